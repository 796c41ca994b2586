"""The ``rampup`` command: see and check a schedule before training (the ``cli`` extra).

::

    rampup show   SPEC --total N [--steps-per-epoch K] [--lr 3e-4]   summary table and a plot in the terminal
    rampup plot   SPEC [SPEC ...] -o file.png|.svg [--log]           curves overlaid, warmup ends dashed
    rampup values SPEC --total N --format csv|json [--every k]       the numbers, one row per update
    rampup lint   SPEC [SPEC ...] [--beta2 0.999] [--strict]        exit 0 clean, 1 errors, 2 bad input
    rampup --version

Every command takes ``--config FILE`` (YAML, JSON or TOML; see :func:`rampup.load_config`) instead of SPEC; the
budget options given on the command line replace the config's. Bad input ends in one line on stderr that says
what is wrong and where, and exit code 2.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import typer
from typer.core import TyperGroup

from .check import Finding, lint, warmup_info
from .config import load_config
from .core.errors import BudgetError, RampupError
from .core.schedule import Schedule
from .core.spec import parse
from .core.units import Budget
from .core.validate import check_number
from .studies.cli import register as register_studies

__all__ = ["app", "main"]

MAX_ROWS = 1_000_000  # rows `rampup values` writes at once (about 30 MB of CSV)

# typer ships its own copy of click: find its exception base without importing a private module
_ClickException: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class _OneLineErrors(TyperGroup):
    """Every error of the command line (a bad option as well as a bad spec or config) ends as one line on
    stderr and exit code 2, never a traceback or a framed box."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args=args, prog_name=prog_name or "rampup", complete_var=complete_var,
                              standalone_mode=False, windows_expand_args=windows_expand_args, **extra)
        except _ClickException as e:
            if type(e).__name__ == "NoArgsIsHelpError":  # plain `rampup`: the help, as usual
                typer.echo(e.format_message())  # type: ignore[attr-defined]
                sys.exit(0)
            ctx = getattr(e, "ctx", None)
            where = ctx.command_path if ctx is not None else "rampup"
            _fail(f"{where}: {e.format_message()}")  # type: ignore[attr-defined]
        except BudgetError as e:
            msg = _one_line(str(e))
            opts = [opt for field, opt in _OPTION_OF.items() if field in msg]
            _fail(f"rampup: {msg}" + (f" (on the command line: {', '.join(opts)})" if opts else ""))
        except (RampupError, OSError) as e:
            _fail(f"rampup: {_one_line(str(e))}")
        except typer.Abort:
            _fail("rampup: aborted", code=1)
        sys.exit(rv if isinstance(rv, int) else 0)


_OPTION_OF = {"total_steps": "--total N", "steps_per_epoch": "--steps-per-epoch K",
              "tokens_per_step": "--tokens-per-step T",
              "batch_size": "--batch-size B"}


def _fail(message: str, code: int = 2) -> None:
    typer.echo(" ".join(message.split()) if "\n" in message else message, err=True)
    sys.exit(code)


def _one_line(text: str) -> str:
    """The first line (a spec error draws a caret under the spec on the next lines; its first line already
    names the position)."""
    lines = text.strip().splitlines()
    return lines[0] if lines else text


app = typer.Typer(cls=_OneLineErrors, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="See and check a learning-rate schedule before training.")
register_studies(app)  # rampup demo, rampup study (torch is imported only when they run)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"rampup {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(version: bool = typer.Option(False, "--version", is_eager=True, callback=_version,
                                          help="print rampup's version and exit")) -> None:
    """See and check a learning-rate schedule before training."""


# ---- the schedule a command works on -------------------------------------------------------------------------

@dataclass
class _Run:
    schedule: Schedule  # resolved, factor of the peak
    total: int  # updates in the run
    budget: Budget
    label: str  # as the user wrote it
    lr: float | None
    beta2: float | None


def _budget_fields(total: int | None, steps_per_epoch: int | None, epochs: float | None, batch_size: int | None,
                   grad_accum: int | None, tokens_per_step: int | None) -> dict[str, Any]:
    fields = {"total_steps": total, "steps_per_epoch": steps_per_epoch, "epochs": epochs, "batch_size": batch_size,
              "grad_accum": grad_accum, "tokens_per_step": tokens_per_step}
    return {k: v for k, v in fields.items() if v is not None}


def _from_spec(spec: str, fields: dict[str, Any], lr: float | None, beta2: float | None) -> _Run:
    budget = Budget(**fields)
    s = parse(spec).resolve(budget)
    return _Run(s, _total(s, budget), budget, spec, lr, beta2)


def _from_config(path: Path, fields: dict[str, Any], lr: float | None, beta2: float | None) -> _Run:
    cfg = load_config(path, overrides={**fields, "lr": lr})
    return _Run(cfg.schedule, _total(cfg.schedule, cfg.budget), cfg.budget, cfg.spec, cfg.lr,
                beta2 if beta2 is not None else cfg.beta2)


def _total(s: Schedule, budget: Budget) -> int:
    total = budget.total_steps if budget.total_steps is not None else s.length
    if not total:
        raise RampupError(f"{s.spec()} never ends: give the run's length with --total N")
    return total


def _runs(specs: list[str] | None, configs: list[Path] | None, fields: dict[str, Any], lr: float | None,
          beta2: float | None = None, one: bool = False) -> list[_Run]:
    specs, configs = specs or [], configs or []
    if lr is not None:
        check_number("--lr", "the peak learning rate", lr, 0.0, None, lo_open=True)
    if not specs and not configs:
        raise RampupError("give a schedule: a SPEC such as 'linear(5%) >> cosine(to=0.1)', or --config FILE")
    if one and len(specs) + len(configs) > 1:
        raise RampupError("give one schedule: a SPEC or --config FILE, not both")
    return [_from_spec(s, fields, lr, beta2) for s in specs] + [_from_config(c, fields, lr, beta2) for c in configs]


# ---- options shared by the commands -----------------------------------------------------------------------------

_SPEC = typer.Argument(None, metavar="SPEC", help="the schedule, e.g. 'linear(5%) >> cosine(to=0.1)'",
                       show_default=False)
_SPECS = typer.Argument(None, metavar="SPEC...", help="one or more schedules", show_default=False)
_CONFIG = typer.Option(None, "--config", "-c", help="a YAML, JSON or TOML config instead of SPEC", show_default=False,
                       dir_okay=False)
_TOTAL = typer.Option(None, "--total", "-n", min=1,
                      help="optimizer updates in the run (default: the schedule's length)")
_SPE = typer.Option(None, "--steps-per-epoch", min=1, help="optimizer updates per epoch (for durations in 'ep')")
_EPOCHS = typer.Option(None, "--epochs", help="epochs in the run (with --steps-per-epoch)")
_BATCH = typer.Option(None, "--batch-size", min=1, help="samples per micro-batch (for durations in 'samples')")
_ACCUM = typer.Option(None, "--grad-accum", min=1, help="micro-batches per optimizer update")
_TOKENS = typer.Option(None, "--tokens-per-step", min=1, help="tokens per optimizer update (for durations in 'tok')")
_LR = typer.Option(None, "--lr", help="the peak learning rate: show absolute values")


# ---- show -------------------------------------------------------------------------------------------------------

@app.command()
def show(spec: str | None = _SPEC, config: Path | None = _CONFIG, total: int | None = _TOTAL,
         steps_per_epoch: int | None = _SPE, epochs: float | None = _EPOCHS, batch_size: int | None = _BATCH,
         grad_accum: int | None = _ACCUM, tokens_per_step: int | None = _TOKENS, lr: float | None = _LR,
         width: int = typer.Option(64, min=16, max=400, help="width of the terminal plot in characters"),
         height: int = typer.Option(12, min=4, max=100, help="height of the terminal plot in lines")) -> None:
    """A summary (first update, warmup, peak, end) and a plot of the schedule in the terminal."""
    from rich.console import Console
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    fields = _budget_fields(total, steps_per_epoch, epochs, batch_size, grad_accum, tokens_per_step)
    run = _runs([spec] if spec is not None else None, [config] if config is not None else None, fields, lr,
                one=True)[0]
    s, n = run.schedule, run.total
    steps, values = _sample(s, n)
    inside = steps < n
    peak_i = int(np.argmax(np.where(inside, values, -np.inf)))
    warm = warmup_info(s)

    def val(f: float) -> str:
        text = f"{f:.6g}"
        return text if run.lr is None else f"{text}  (lr {f * run.lr:.4g})"

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("run", f"{n} updates" + (f", peak lr {run.lr:g}" if run.lr is not None else ""))
    table.add_row("first update (step 0)", val(float(values[0])))
    if warm is not None and warm.length:
        table.add_row("warmup", f"{warm.length} updates ({100 * warm.length / n:.3g}% of the run)")
    elif warm is not None and warm.tau:
        table.add_row("warmup", f"saturating, tau = {warm.tau:g} updates")
    else:
        table.add_row("warmup", "none")
    table.add_row("peak", f"{val(float(values[peak_i]))} at step {int(steps[peak_i])}")
    table.add_row(f"last update (step {n - 1})", val(float(s(n - 1))))
    table.add_row(f"end (step {n})", val(float(s(n))))
    findings = lint(s, run.budget)
    table.add_row("lint", "clean" if not findings else ", ".join(sorted({f.code for f in findings}))
                  + "  (details: rampup lint)")
    console = Console(highlight=False)
    console.print(f"[bold]schedule[/bold]  {escape(s.spec())}", soft_wrap=True)
    console.print(table)
    chart = _chart(steps, values * (run.lr or 1.0), n, warm.length if warm is not None else None, width, height)
    console.print(Panel(chart, title=escape(_clip_text(run.label, width)), expand=False))


def _sample(s: Schedule, n: int, limit: int = 200_000) -> tuple[Any, Any]:
    """Steps 0..n (every one when there are few, else an even sample) and the schedule there."""
    steps = np.arange(n + 1, dtype=np.float64) if n + 1 <= limit else np.unique(np.round(np.linspace(0.0, n, limit)))
    return steps, np.asarray(s(steps), dtype=np.float64)


_BRAILLE = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]])


def _chart(steps: Any, values: Any, n: int, warmup: int | None, width: int, height: int) -> str:
    """A line chart in braille characters (2 x 4 dots per character), with y labels and the x range; each
    column of dots spans the values of its steps, so a jump shows as a vertical line."""
    label_w = 9
    cols, rows = 2 * (width - label_w - 1), 4 * height
    lo_v, hi_v = min(0.0, float(values.min())), float(values.max())
    span = hi_v - lo_v or 1.0
    # dot column of every step, and the extent of the curve in each dot column
    col = np.minimum((steps / max(n, 1) * (cols - 1)).round().astype(int), cols - 1)
    row = np.clip(((hi_v - values) / span * (rows - 1)).round().astype(int), 0, rows - 1)
    grid = np.zeros((rows, cols), dtype=bool)
    top = np.full(cols, rows)
    bottom = np.full(cols, -1)
    np.minimum.at(top, col, row)
    np.maximum.at(bottom, col, row)
    last = None
    for c in range(cols):
        if bottom[c] < 0:
            continue
        a, b = top[c], bottom[c]
        if last is not None:  # join to the previous column, so the line has no gaps
            a, b = min(a, last), max(b, last)
        grid[a:b + 1, c] = True
        last = row[np.nonzero(col == c)[0][-1]]
    cells = grid.reshape(height, 4, cols // 2, 2)
    codes = (cells * _BRAILLE[None, :, None, :]).sum(axis=(1, 3))
    lines = []
    for i in range(height):
        y = hi_v - span * i / (height - 1)
        label = f"{y:.3g}".rjust(label_w) if i in (0, height // 2, height - 1) else " " * label_w
        lines.append(label + " " + "".join(chr(0x2800 + int(c)) for c in codes[i]))
    axis = " " * (label_w + 1) + "0"
    right = str(n)
    inner = cols // 2 - 1 - len(right)
    if warmup is not None and 0 < warmup < n:
        at = round(warmup / n * (cols // 2 - 1))
        mark = f"^{warmup}"
        if at >= 1 and at + len(mark) < inner:
            axis += " " * (at - 1) + mark + " " * (inner - at - len(mark) + 1) + right
            return "\n".join(lines) + "\n" + axis + "\n" + " " * (label_w + 1) + f"update (^ warmup ends at {warmup})"
    axis += " " * max(1, inner) + right
    return "\n".join(lines) + "\n" + axis + "\n" + " " * (label_w + 1) + "update"


def _clip_text(text: str, n: int) -> str:
    return text if len(text) <= n - 4 else text[: n - 7] + "..."


# ---- plot -------------------------------------------------------------------------------------------------------

@app.command()
def plot(specs: list[str] | None = _SPECS,
         config: list[Path] | None = typer.Option(None, "--config", "-c", dir_okay=False, show_default=False,
                                                     help="a config file (repeat for several)"),
         output: Path = typer.Option(..., "--output", "-o", dir_okay=False, help="the picture: .png, .svg or .pdf"),
         total: int | None = _TOTAL, steps_per_epoch: int | None = _SPE, epochs: float | None = _EPOCHS,
         batch_size: int | None = _BATCH, grad_accum: int | None = _ACCUM,
         tokens_per_step: int | None = _TOKENS, lr: float | None = _LR,
         log: bool = typer.Option(False, "--log", help="logarithmic y axis"),
         title: str | None = typer.Option(None, help="the figure's title")) -> None:
    """Draw one or more schedules, overlaid, to a PNG, SVG or PDF file; warmup ends are dashed."""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise RampupError(f"--output {output}: the picture must end in .png, .svg or .pdf")
    fields = _budget_fields(total, steps_per_epoch, epochs, batch_size, grad_accum, tokens_per_step)
    runs = _runs(specs, config, fields, lr)
    lrs = {r.lr for r in runs}
    if len(lrs) > 1:
        raise RampupError("the configs give different peak LRs: pass --lr to plot them on one axis")
    from .plot import figure

    fig = figure([r.schedule for r in runs], [r.total for r in runs], lr=lrs.pop(), log=log, title=title,
                 labels=[r.label for r in runs])
    fig.savefig(output, format=fmt)
    typer.echo(f"wrote {output}")


# ---- values -----------------------------------------------------------------------------------------------------

class _Format(str, Enum):
    csv = "csv"
    json = "json"


@app.command()
def values(spec: str | None = _SPEC, config: Path | None = _CONFIG, total: int | None = _TOTAL,
           steps_per_epoch: int | None = _SPE, epochs: float | None = _EPOCHS,
           batch_size: int | None = _BATCH, grad_accum: int | None = _ACCUM,
           tokens_per_step: int | None = _TOKENS, lr: float | None = _LR,
           format: _Format = typer.Option(_Format.csv, "--format", "-f", help="csv or json"),
           every: int = typer.Option(1, "--every", "-k", min=1, help="every k-th update only"),
           output: Path | None = typer.Option(None, "--output", "-o", dir_okay=False,
                                                 help="write to this file instead of stdout")) -> None:
    """The schedule's numbers, one row per update 0 .. total-1 (or every k-th): step, factor (and lr)."""
    fields = _budget_fields(total, steps_per_epoch, epochs, batch_size, grad_accum, tokens_per_step)
    run = _runs([spec] if spec is not None else None, [config] if config is not None else None, fields, lr,
                one=True)[0]
    rows_wanted = -(-run.total // every)
    if rows_wanted > MAX_ROWS:
        raise RampupError(f"values: {rows_wanted} rows ({run.total} updates, every {every}) are more than the "
                          f"{MAX_ROWS} written at once: pass --every {-(-run.total // MAX_ROWS)} or more")
    steps = np.arange(0, run.total, every, dtype=np.int64)
    factors = np.asarray(run.schedule(steps.astype(np.float64)), dtype=np.float64)
    cols = ["step", "factor"] + (["lr"] if run.lr is not None else [])
    rows = [[int(t), float(f)] + ([float(f) * run.lr] if run.lr is not None else [])
            for t, f in zip(steps.tolist(), factors.tolist(), strict=True)]
    if format is _Format.json:
        text = json.dumps([dict(zip(cols, r, strict=True)) for r in rows]) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        writer.writerows([[repr(x) if isinstance(x, float) else x for x in r] for r in rows])
        text = buf.getvalue()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {len(rows)} rows to {output}", err=True)


# ---- lint -------------------------------------------------------------------------------------------------------

@app.command("lint")
def lint_cmd(specs: list[str] | None = _SPECS,
             config: list[Path] | None = typer.Option(None, "--config", "-c", dir_okay=False, show_default=False,
                                                         help="a config file (repeat for several)"),
             total: int | None = _TOTAL, steps_per_epoch: int | None = _SPE, epochs: float | None = _EPOCHS,
             batch_size: int | None = _BATCH, grad_accum: int | None = _ACCUM,
             tokens_per_step: int | None = _TOKENS,
             beta2: float | None = typer.Option(None, "--beta2",
                                                   help="Adam's beta2, for the hint on the warmup length"),
             max_jump: float = typer.Option(0.1, "--max-jump",
                                            help="the largest change of the factor in one update not reported"),
             strict: bool = typer.Option(False, "--strict", help="exit 1 on warnings too, not only on errors"),
             ) -> None:
    """Check schedules for the mistakes that lose runs. Exit 0 without errors (warnings and infos are printed),
    1 with errors (or, with --strict, warnings), 2 on bad input."""
    fields = _budget_fields(total, steps_per_epoch, epochs, batch_size, grad_accum, tokens_per_step)
    specs, config = specs or [], config or []
    if not specs and not config:
        raise RampupError("give a schedule: a SPEC such as 'linear(5%) >> cosine(to=0.1)', or --config FILE")
    # lint resolves the schedule itself: the checks on epochs look at the durations as written
    checked: list[tuple[str, list[Finding]]] = [
        (spec, lint(parse(spec), Budget(**fields), beta2=beta2, max_jump=max_jump)) for spec in specs]
    for path in config:
        cfg = load_config(path, overrides=fields)
        b2 = beta2 if beta2 is not None else cfg.beta2
        checked.append((f"{path}: {cfg.spec}", lint(parse(cfg.spec), cfg.budget, beta2=b2, max_jump=max_jump)))
    failed = False
    for label, findings in checked:
        bad = [f for f in findings if f.severity == "error" or (strict and f.severity == "warning")]
        failed = failed or bool(bad)
        status = "clean" if not findings else f"{len(findings)} finding{'s' * (len(findings) != 1)}"
        typer.echo(f"{label}: {status}")
        for f in findings:
            typer.echo(f"  {f}")
    if failed:
        raise typer.Exit(1)


def main() -> None:
    """Run the ``rampup`` command line (the console script)."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
