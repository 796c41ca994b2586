"""A killed study resumes where it stopped: no finished run repeated or lost."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rampup.studies import CSV_FIELDS, read_runs, run_study

pytest.importorskip("torch", reason="the studies train torch models: the studies extra")  # the subprocess needs it

GRID = dict(peak_lrs=[0.02, 0.05, 0.1], warmups=["none", "linear(5)"], seeds=[0, 1], updates=40)
KW = dict(task_options={"quick": True}, progress=False)

SCRIPT = """
import sys
from rampup.studies import run_study
run_study("digits-largebatch", [0.02, 0.05, 0.1], ["none", "linear(5)"], [0, 1], 40, sys.argv[1],
          task_options={"quick": True}, progress=False)
"""


def _keys(rows):
    return [(r["lr"], r["warmup"], r["seed"]) for r in rows]


def _check_complete(rows):
    counts = collections.Counter(_keys(rows))
    expected = {(repr(lr), w, str(s)) for lr in GRID["peak_lrs"] for w in GRID["warmups"] for s in GRID["seeds"]}
    assert set(counts) == expected
    assert all(n == 1 for n in counts.values()), counts


def test_study_killed_with_sigkill_resumes_without_repeats_or_losses(tmp_path):
    csv_path = tmp_path / "digits-largebatch.csv"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if csv_path.exists() and len(read_runs(csv_path)) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the study ended before it could be killed: " + proc.stderr.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    before = read_runs(csv_path)
    assert 2 <= len(before) < 12
    data_before = csv_path.read_bytes()
    complete_before = data_before[: data_before.rfind(b"\n") + 1]

    result = run_study("digits-largebatch", out_dir=tmp_path, **GRID, **KW)
    assert result.skipped == len(before) and result.ran == 12 - len(before)
    after = read_runs(csv_path)
    _check_complete(after)
    # the rows finished before the kill are kept byte for byte, at the start of the file
    assert csv_path.read_bytes().startswith(complete_before)
    assert after[: len(before)] == before
    # a second resume has nothing left to do
    again = run_study("digits-largebatch", out_dir=tmp_path, **GRID, **KW)
    assert (again.ran, again.skipped) == (0, 12)
    assert read_runs(csv_path) == after


def test_a_torn_last_line_is_ignored_and_that_run_redone(tmp_path):
    first = run_study("digits-largebatch", out_dir=tmp_path, **{**GRID, "seeds": [0]}, **KW)
    csv_path = first.csv_path
    lines = csv_path.read_text().splitlines(keepends=True)
    assert len(lines) == 1 + 6
    # cut the last row in the middle, as a kill during the write would
    torn = "".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2]
    csv_path.write_text(torn)
    assert len(read_runs(csv_path)) == 5
    lost = _keys(read_runs_from_lines(lines))[-1]

    result = run_study("digits-largebatch", out_dir=tmp_path, **GRID, **KW)
    assert result.skipped == 5 and result.ran == 7
    rows = read_runs(csv_path)
    _check_complete(rows)
    assert lost in _keys(rows[5:])
    # every line of the file is a whole row again
    assert all(line.count(",") >= len(CSV_FIELDS) - 1 for line in csv_path.read_text().splitlines())


def read_runs_from_lines(lines):
    import csv

    return [dict(zip(CSV_FIELDS, f)) for f in csv.reader(lines[1:])]


def test_a_failing_run_keeps_the_runs_before_it(tmp_path, monkeypatch):
    import rampup.studies._study as study

    real = study.run_one
    calls = []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(study, "run_one", failing)
    with pytest.raises(KeyboardInterrupt):
        run_study("digits-largebatch", out_dir=tmp_path, **GRID, **KW)
    assert len(read_runs(tmp_path / "digits-largebatch.csv")) == 2
    monkeypatch.setattr(study, "run_one", real)
    result = run_study("digits-largebatch", out_dir=tmp_path, **GRID, **KW)
    assert (result.ran, result.skipped) == (10, 2)
    _check_complete(read_runs(tmp_path / "digits-largebatch.csv"))


def test_a_foreign_csv_is_refused(tmp_path):
    (tmp_path / "digits-largebatch.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a rampup study CSV"):
        run_study("digits-largebatch", out_dir=tmp_path, **GRID, **KW)
    assert Path(tmp_path / "digits-largebatch.csv").read_text() == "a,b\n1,2\n"


def test_two_studies_never_write_one_csv_at_once(tmp_path):
    fcntl = pytest.importorskip("fcntl")

    # a study holds this lock while it runs; a second one started meanwhile is refused before running anything
    with open(tmp_path / ".digits-largebatch.lock", "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ValueError, match="another study is writing"):
            run_study("digits-largebatch", out_dir=tmp_path, **GRID, **KW)
    assert read_runs(tmp_path / "digits-largebatch.csv") == []
    assert run_study("digits-largebatch", out_dir=tmp_path, **{**GRID, "seeds": [0], "peak_lrs": [0.02]}, **KW).ran == 2
