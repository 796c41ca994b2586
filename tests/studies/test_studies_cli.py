"""The demo and study commands on a fresh typer app; bad options end in one line and exit code 2."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from rampup.studies import read_runs
from rampup.studies.cli import register


@pytest.fixture(scope="module")
def app():
    app = typer.Typer()
    register(app)
    return app


def test_study_command_runs_a_grid_and_resumes(app, tmp_path):
    args = ["study", "digits-largebatch", "--quick", "--lrs", "0.05,0.1", "--warmups", "none,linear(2)",
            "--seeds", "0", "--updates", "4", "--out", str(tmp_path), "--no-progress"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "4 run(s) done, 0 already" in first.output and "| linear(2) |" in first.output
    assert (tmp_path / "digits-largebatch-heatmap.png").stat().st_size > 0
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0 and "0 run(s) done, 4 already" in second.output
    assert len(read_runs(tmp_path / "digits-largebatch.csv")) == 4


def test_task_option_and_task_flag(app, tmp_path):
    r = CliRunner().invoke(app, ["study", "--task", "digits-largebatch", "--option", "quick=true", "--option",
                                 "batch=512", "--lrs", "0.1", "--warmups", "none", "--seeds", "0", "--updates", "2",
                                 "--out", str(tmp_path), "--no-progress"])
    assert r.exit_code == 0, r.output
    (row,) = read_runs(tmp_path / "digits-largebatch.csv")
    assert float(row["peak_lr"]) == pytest.approx(0.2) and '"batch":512' in row["options"]


def test_quick_demo_command(app, tmp_path):
    r = CliRunner().invoke(app, ["demo", "--quick", "--no-progress", "--out", str(tmp_path / "d.png")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args,message", [
    (["study", "nope"], "unknown task 'nope'"),
    (["study"], "give a task"),
    (["study", "postln-lm", "--task", "digits-largebatch"], "disagree"),
    (["study", "digits-largebatch", "--lrs", "0.1,,0.2"], "--lrs must be a comma-separated list"),
    (["study", "digits-largebatch", "--lrs", "-1"], "peak_lrs must be in (0, inf), got -1.0"),
    (["study", "digits-largebatch", "--seeds", "0,x"], "--seeds: 'x' is not an integer"),
    (["study", "digits-largebatch", "--warmups", "none,linear(5"], "--warmups must be a comma-separated list"),
    (["study", "digits-largebatch", "--warmups", "none,linear(500)", "--updates", "10"], "more than total_steps=10"),
    (["study", "digits-largebatch", "--option", "depthless"], "--option must be KEY=VALUE"),
    (["study", "digits-largebatch", "--option", "colour=red"], "no option 'colour'"),
    (["study", "digits-largebatch", "--updates", "0"], "updates must be a whole number >= 1, got 0"),
    (["study", "digits-largebatch", "--threads", "0"], "threads must be a whole number >= 1, got 0"),
    (["demo", "--threads", "0", "--quick"], "threads must be a positive integer, got 0"),
    (["demo", "--out", "x.jpg"], "--out must name a .png file"),
    (["demo", "--warmup", "linear(", "--quick"], "position"),
])
def test_bad_options_give_one_line_and_exit_code_2(app, args, message, tmp_path):
    r = CliRunner().invoke(app, args + (["--out", str(tmp_path)] if args[0] == "study" else []))
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.output
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
