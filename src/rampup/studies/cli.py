"""The ``rampup demo`` and ``rampup study`` commands, added to a typer app by :func:`register`.

::

    rampup demo  [--out rampup-demo.png] [--lr 1e-2] [--warmup "linear(100)"] [--updates N] [--quick]
    rampup study TASK [--lrs 1e-3,3e-3] [--warmups "none,linear(50)"] [--seeds 0,1,2] [--updates N] [--out DIR]
                      [--option KEY=VALUE ...] [--quick] [--threads 1] [--no-progress]

Bad input ends in one line on stderr naming the option and the value, and exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ..core.errors import RampupError

__all__ = ["register", "split_list"]


def split_list(text: str, option: str) -> list[str]:
    """Split a comma-separated option value at the commas outside parentheses and brackets, so that a warmup spec
    with arguments stays whole.

    Example:
        >>> from rampup.studies.cli import split_list
        >>> split_list("none, linear(10%, start=0.1),sqrt(50)", "--warmups")
        ['none', 'linear(10%, start=0.1)', 'sqrt(50)']
    """
    items, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch in "([") - (ch in ")]")
        if ch == "," and depth == 0:
            items.append(cur.strip())
            cur = ""
        else:
            cur += ch
    items.append(cur.strip())
    if depth != 0 or any(not item for item in items):
        raise RampupError(f"{option} must be a comma-separated list without empty items, got {text!r}")
    return items


def _numbers(text: str, option: str, kind: type) -> list[Any]:
    out = []
    for item in split_list(text, option):
        try:
            out.append(kind(item))
        except ValueError:
            raise RampupError(f"{option}: {item!r} is not {'an integer' if kind is int else 'a number'} "
                              f"(in {text!r})") from None
    return out


def _option_value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _options(pairs: list[str], quick: bool) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise RampupError(f"--option must be KEY=VALUE, got {pair!r}")
        options[key.strip()] = _option_value(value.strip())
    if quick:
        options["quick"] = True
    return options


def _fail(e: Exception) -> None:
    lines = str(e).strip().splitlines()
    typer.echo(f"rampup: {lines[0] if lines else type(e).__name__}", err=True)
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add the ``demo`` and ``study`` commands to ``app``.

    Example:
        >>> import typer
        >>> from typer.testing import CliRunner
        >>> from rampup.studies.cli import register
        >>> app = typer.Typer()
        >>> register(app)
        >>> r = CliRunner().invoke(app, ["study", "digits-largebatch", "--lrs", "0.1,x"])
        >>> r.exit_code, r.output.strip()
        (2, "rampup: --lrs: 'x' is not a number (in '0.1,x')")
    """

    @app.command("demo")
    def demo_cmd(
        out: Path = typer.Option(Path("rampup-demo.png"), "--out", "-o", help="the PNG to write"),
        lr: float | None = typer.Option(None, "--lr", help="peak LR (default 1e-2)"),
        warmup: str | None = typer.Option(None, "--warmup", help='warmup spec (default "linear(100)")'),
        updates: int | None = typer.Option(None, "--updates", help="updates per run (default 200)"),
        seed: int | None = typer.Option(None, "--seed", help="seed (default 0)"),
        threads: int = typer.Option(1, "--threads", help="torch threads"),
        quick: bool = typer.Option(False, "--quick", help="a tiny model and a few updates"),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="show progress bars"),
    ) -> None:
        """Train a Post-LN transformer at a high peak LR without and with warmup; print a table, write a PNG."""
        from ._demo import demo

        try:
            if out.suffix.lower() != ".png":
                raise RampupError(f"--out must name a .png file, got {str(out)!r}")
            demo(out, peak_lr=lr, warmup=warmup, updates=updates, seed=seed, quick=quick, threads=threads,
                 progress=progress)
        except (ValueError, OSError) as e:
            _fail(e)

    @app.command("study")
    def study_cmd(
        task_arg: str | None = typer.Argument(None, metavar="TASK", help="the task (or --task)"),
        task: str | None = typer.Option(None, "--task", help="the task: postln-lm, preln-lm, digits-largebatch, "
                                                                "digits-smallbatch or a registered one"),
        lrs: str | None = typer.Option(None, "--lrs", help="peak LRs, e.g. 1e-3,3e-3 (default: the task's)"),
        warmups: str | None = typer.Option(None, "--warmups",
                                              help='warmup specs, e.g. "none,linear(50),linear(200)"'),
        seeds: str = typer.Option("0,1,2", "--seeds", help="seeds, e.g. 0,1,2"),
        updates: int | None = typer.Option(None, "--updates", help="updates per run (default: the task's)"),
        out: Path = typer.Option(Path("studies"), "--out", help="folder for the CSV, heatmap and summary"),
        option: list[str] = typer.Option([], "--option", help="task option KEY=VALUE (repeatable)"),
        quick: bool = typer.Option(False, "--quick", help="the task's tiny sizes"),
        threads: int = typer.Option(1, "--threads", help="torch threads per run"),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="show progress bars"),
    ) -> None:
        """Run a grid of peak LRs x warmups x seeds; resumable CSV, heatmap PNG and markdown summary in --out."""
        from ._study import run_study
        from ._tasks import task_names

        try:
            if task_arg and task and task_arg != task:
                raise RampupError(f"TASK {task_arg!r} and --task {task!r} disagree; give one")
            name = task_arg or task
            if not name:
                raise RampupError(f"give a task: one of {', '.join(task_names())}")
            result = run_study(
                name,
                None if lrs is None else _numbers(lrs, "--lrs", float),
                None if warmups is None else split_list(warmups, "--warmups"),
                _numbers(seeds, "--seeds", int), updates, out, task_options=_options(option, quick),
                threads=threads, progress=progress)
        except (ValueError, OSError) as e:
            _fail(e)
        typer.echo(f"{result.ran} run(s) done, {result.skipped} already in {result.csv_path}")
        typer.echo(result.summary_path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
        typer.echo(f"heatmap: {result.heatmap_path}")
