"""The rampup command, through typer's runner: every command, --config, exit codes, one-line errors."""

import csv
import io
import json
import math

import pytest

pytest.importorskip("typer")
from typer.testing import CliRunner

from rampup.cli import app

runner = CliRunner()
CLEAN = "linear(5%, start=0.01) >> cosine(to=0.1)"


def run(*args):
    return runner.invoke(app, list(args))


def assert_one_line_error(result):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_show_summary_and_terminal_plot():
    r = run("show", CLEAN, "--total", "10000", "--lr", "3e-4")
    assert r.exit_code == 0, r.output
    out = r.output
    assert "linear_warmup(500, start=0.01) >> cosine_decay(9500, to=0.1)" in out
    assert "500 updates (5% of the run)" in out
    assert "0.01  (lr 3e-06)" in out  # the first update: 0.01 of the peak
    assert "at step 500" in out  # where the peak is first reached
    assert "lint" in out and "clean" in out
    assert any(0x2800 <= ord(c) <= 0x28FF for c in out)  # the braille chart
    assert "^500" in out  # the warmup end under the chart


def test_show_reports_lint_findings_and_steps_per_epoch():
    r = run("show", "linear(2ep) >> cosine()", "--total", "1000", "--steps-per-epoch", "100")
    assert r.exit_code == 0, r.output
    assert "200 updates (20% of the run)" in r.output
    assert "first-update-zero" in r.output


def test_show_without_total_uses_the_schedule_length():
    r = run("show", "linear(4) >> cosine(4)")
    assert r.exit_code == 0 and "8 updates" in r.output


def test_values_csv_every_step():
    r = run("values", "linear(4) >> cosine(4)", "--total", "8")
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.output)))
    assert rows[0] == ["step", "factor"]
    got = [float(x[1]) for x in rows[1:]]
    expect = [t / 4 for t in range(4)] + [(1 + math.cos(math.pi * u / 4)) / 2 for u in range(4)]
    assert got == pytest.approx(expect, abs=1e-15)
    assert [int(x[0]) for x in rows[1:]] == list(range(8))


def test_values_json_every_k_with_lr(tmp_path):
    out = tmp_path / "v.json"
    r = run("values", "linear(10) >> linear(10)", "--format", "json", "--every", "5", "--lr", "0.5", "-o", str(out))
    assert r.exit_code == 0, r.output
    rows = json.loads(out.read_text())
    assert [row["step"] for row in rows] == [0, 5, 10, 15]
    # linear warmup t/10 then linear decay 1 - u/10
    assert [row["factor"] for row in rows] == pytest.approx([0.0, 0.5, 1.0, 0.5])
    assert [row["lr"] for row in rows] == pytest.approx([0.0, 0.25, 0.5, 0.25])


@pytest.mark.parametrize("suffix,magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_plot_writes_files(tmp_path, suffix, magic):
    out = tmp_path / f"s.{suffix}"
    r = run("plot", CLEAN, "wsd(5%, 20%)", "--total", "1000", "-o", str(out), "--log")
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert data.startswith(magic) and len(data) > 1000
    if suffix == "png":
        from matplotlib.image import imread

        img = imread(str(out))
        assert img.ndim == 3 and img.shape[0] > 100 and img.std() > 0


def test_lint_exit_codes():
    clean = run("lint", CLEAN, "--total", "10000")
    assert clean.exit_code == 0 and "clean" in clean.output
    info = run("lint", "linear(5%) >> cosine(to=0.1)", CLEAN, "--total", "10000")
    assert info.exit_code == 0  # first-update-zero is an info: HF, optax and Keras start at 0 too
    assert "info [first-update-zero]" in info.output and f"{CLEAN}: clean" in info.output
    assert run("lint", "linear(5%) >> cosine(to=0.1)", "--total", "10000", "--strict").exit_code == 0
    warn = run("lint", "linear_warmup(60, start=0.01) >> cosine_decay()", "--total", "100")
    assert warn.exit_code == 0 and "warning [warmup-too-long]" in warn.output
    assert run("lint", "linear_warmup(60, start=0.01) >> cosine_decay()", "--total", "100", "--strict").exit_code == 1
    error = run("lint", "linear_warmup(100, start=0.01) >> cosine_decay()", "--total", "100")
    assert error.exit_code == 1 and "error [warmup-too-long]" in error.output
    hint_only = run("lint", CLEAN, "--total", "10000", "--beta2", "0.999")
    assert hint_only.exit_code == 0 and "[warmup-short-for-beta2]" in hint_only.output
    assert_one_line_error(run("lint", "linear(5%", "--total", "10"))


CONFIG = """\
schedule: "linear(5%) >> cosine(to=0.1)"
lr: 1.0e-3
total_steps: 2000
optimizer:
  betas: [0.9, 0.999]
"""


def test_every_command_takes_a_config(tmp_path):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(CONFIG)
    show = run("show", "--config", str(cfg))
    assert show.exit_code == 0 and "100 updates (5% of the run)" in show.output and "lr 0.001" in show.output
    values = run("values", "-c", str(cfg), "--every", "1000")
    assert values.exit_code == 0
    rows = values.output.splitlines()
    assert rows[:2] == ["step,factor,lr", "0,0.0,0.0"] and len(rows) == 3
    step, factor, lr = rows[2].split(",")
    assert step == "1000" and float(factor) == pytest.approx(_cos(900, 1900), rel=1e-12)
    assert float(lr) == pytest.approx(_cos(900, 1900) * 1e-3, rel=1e-12)
    out = tmp_path / "p.png"
    plot = run("plot", "-c", str(cfg), CLEAN, "--total", "2000", "--lr", "1e-3", "-o", str(out))
    assert plot.exit_code == 0 and out.stat().st_size > 0
    two = run("plot", "-c", str(cfg), CLEAN, "--total", "2000", "-o", str(out))
    assert "different peak LRs" in assert_one_line_error(two)
    lint = run("lint", "-c", str(cfg))
    assert lint.exit_code == 0
    assert "[first-update-zero]" in lint.output and "[warmup-short-for-beta2]" in lint.output  # betas from the file
    # a budget option on the command line replaces the config's
    assert "200 updates" in run("show", "-c", str(cfg), "--total", "4000").output


def _cos(u, d, to=0.1):
    return to + (1 - to) * (1 + math.cos(math.pi * u / d)) / 2


@pytest.mark.parametrize("args,needle", [
    (["show", "linear(5%) >> cosine(to=0.1", "--total", "100"], "position 27"),
    (["show", "linear(5%) >> cosine()"], "--total N"),
    (["show", "linear(5%) >> cosine()", "--total", "abc"], "--total"),
    (["show", "linear(5%) >> cosine()", "--total", "0"], "--total"),
    (["show", "linear(2ep) >> cosine()", "--total", "100"], "--steps-per-epoch"),
    (["show", "inverse_sqrt()"], "--total"),
    (["show", "linear(5) >> cosine(5)", "--lr", "-1"], "--lr"),
    (["show"], "give a schedule"),
    (["show", "linear_warmup(5)", "-c", "x.yaml"], "not both"),
    (["show", "-c", "missing.yaml"], "missing.yaml"),
    (["plot", "linear_warmup(5)", "-o", "x.gif"], ".png, .svg or .pdf"),
    (["plot", "linear_warmup(5)"], "--output"),
    (["values", "linear_warmup(5)", "--format", "xml"], "--format"),
    (["values", "linear_warmup(5)", "--every", "0"], "--every"),
    (["lint", "linear_warmup(5)", "--beta2", "1.5"], "beta2"),
    (["frobnicate"], "frobnicate"),
    (["show", "--no-such-option"], "--no-such-option"),
])
def test_bad_input_is_one_line_and_exit_2(args, needle):
    line = assert_one_line_error(run(*args))
    assert needle in line


def test_bad_config_names_file_and_field(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('schedule = "linear(5) >> cosine(5)"\ntotal_steps = -3\n')
    line = assert_one_line_error(run("show", "-c", str(cfg)))
    assert str(cfg) in line and "total_steps" in line and "-3" in line


def test_help_and_main():
    r = run("--help")
    assert r.exit_code == 0 and "show" in r.output and "lint" in r.output
    from rampup import cli

    assert callable(cli.main)
