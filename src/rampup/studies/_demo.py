"""``rampup demo``: a Post-LN transformer at a high peak LR, without warmup and with it, side by side."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import RampupError
from ._runner import RunResult, run_one
from ._tasks import get_task

__all__ = ["DEMO", "DemoResult", "demo"]

# The model and peak LR of the postln-lm grid in docs/results.md, where at every seed the Post-LN model stalls at the
# unigram loss without warmup and learns with 100 warmup updates; the two runs fit in 3 minutes on 2 CPU cores.
DEMO: dict[str, Any] = dict(task="postln-lm", options={}, peak_lr=1e-2, warmup="linear(100)", updates=200, seed=0)
_QUICK: dict[str, Any] = dict(options=dict(quick=True), updates=12, warmup="linear(6)")


@dataclass(frozen=True)
class DemoResult:
    """The demo's runs (no warmup first) and the PNG it wrote."""

    runs: list[RunResult]
    png: Path


def demo(out: str | os.PathLike[str] = "rampup-demo.png", *, peak_lr: float | None = None,
         warmup: str | None = None, updates: int | None = None, seed: int | None = None, quick: bool = False,
         auto: bool = True, threads: int = 1, progress: bool = True, console: Any = None) -> DemoResult:
    """Train the Post-LN character transformer of ``postln-lm`` at the same high peak LR without warmup, with
    ``warmup``, and (``auto=True``) with the warmup :func:`rampup.auto.warmup_from_optimizer` chooses from the
    task's optimizer and with :func:`rampup.auto.auto_warmup` (probe, then the online controller), with no tuning
    (not with ``quick``: its few updates are shorter than those warmups); print a table (final train and validation loss, updates to the target loss,
    diverged, stalled) and write ``out``, a PNG with the loss curves and the LR curves side by side.

    Defaults are :data:`DEMO`; ``quick=True`` uses a tiny model and a few updates (for tests). One torch thread by
    default: on a busy machine more threads wait on each other (measured: 2 threads took 5 times longer than 1
    on 2 shared cores). ``console``: the rich ``Console`` for the bars and the table (``None``: standard output;
    ``False``: print nothing).

    Example:
        >>> import tempfile, os
        >>> from rampup.studies import demo
        >>> r = demo(os.path.join(tempfile.mkdtemp(), "d.png"), quick=True, progress=False, console=False)
        >>> [run.warmup for run in r.runs], r.png.stat().st_size > 0
        (['none', 'linear(6)'], True)
    """
    cfg = {**DEMO, **(_QUICK if quick else {})}
    peak_lr = cfg["peak_lr"] if peak_lr is None else peak_lr
    warmup = cfg["warmup"] if warmup is None else warmup
    updates = cfg["updates"] if updates is None else updates
    seed = cfg["seed"] if seed is None else seed
    from ._runner import resolve_warmup

    resolve_warmup(warmup, updates)  # a bad spec fails before any training
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise RampupError(f"threads must be a positive integer, got {threads!r}")
    task = get_task(cfg["task"], **cfg["options"])
    from rich.console import Console

    con = None if console is False else (console or Console())
    runs: list[RunResult] = []
    bar = None
    if progress and con is not None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       TextColumn("{task.fields[info]}"), console=con)
        bar.start()
    runs_to_do: list[tuple[str, str, Any]] = [("no warmup", "none", None), (f"warmup {warmup}", warmup, None)]
    if auto and not quick:
        runs_to_do.append(("auto warmup (rule)", _auto_warmup(task, peak_lr), None))
        runs_to_do.append(("auto_warmup (probed)", "auto_warmup (probe + online)", _probed(seed)))
    try:
        for label, spec, hook in runs_to_do:
            tid = bar.add_task(label, total=updates, info="") if bar else None

            def tick(t: int, loss: float, tid: Any = tid) -> None:
                if bar is not None:
                    bar.update(tid, completed=t + 1, info=f"loss {loss:.3f}")

            runs.append(run_one(task, peak_lr, spec, seed, updates, threads=threads, on_update=tick,
                                scheduler=hook))
    finally:
        if bar is not None:
            bar.stop()
    png = Path(out)
    _plot(png, runs, task.reference_loss, task.target_loss)
    if con is not None:
        con.print(_table(runs, task.name, peak_lr, updates))
        con.print(f"loss and LR curves: {png}")
    return DemoResult(runs, png)


def _probed(seed: int) -> Any:
    """A ``run_one`` scheduler hook: :func:`rampup.auto.auto_warmup` on the run's own model and optimizer, probing
    on batches of its own (seeded apart from the training batches)."""

    def hook(task: Any, model: Any, opt: Any, updates: int) -> Any:
        import torch

        from ..auto import auto_warmup

        batches = task.batches(torch.Generator().manual_seed(10_000 + seed))
        return auto_warmup(model, opt, task.loss, batches, total_steps=updates)

    return hook


def _auto_warmup(task: Any, peak_lr: float) -> str:
    """The spec of the warmup rampup.auto derives from the task's own optimizer (untuned: 2/(1 - beta2) for Adam)."""
    import torch

    from ..auto import warmup_from_optimizer

    opt = task.optimizer([torch.zeros(1, requires_grad=True)], task.peak_lr(peak_lr))
    return repr(warmup_from_optimizer(opt).schedule)


def _table(runs: list[RunResult], name: str, peak_lr: float, updates: int) -> Any:
    from rich.table import Table

    target = runs[0].target_loss
    table = Table(title=f"{name}, peak LR {peak_lr:g}, {updates} updates, seed {runs[0].seed}; stalled = ended at "
                        f"the unigram loss {runs[0].reference_loss:.2f}")
    table.add_column("warmup", no_wrap=True)
    for col in ("train loss", "val loss", f"updates to {target:g}", "diverged", "stalled", "time"):
        table.add_column(col, justify="right")
    for r in runs:
        table.add_row(r.warmup, f"{r.final_train_loss:.3f}", f"{r.final_val_loss:.3f}",
                      str(r.updates_to_target) if r.updates_to_target is not None else "never",
                      "yes" if r.diverged else "no", "yes" if r.stalled else "no", f"{r.wall_s:.0f} s")
    return table


def _plot(path: Path, runs: list[RunResult], reference: float, target: float | None) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4), layout="constrained")
    ax_loss, ax_lr = fig.subplots(1, 2)
    for r in runs:
        loss = np.asarray(r.train_loss, dtype=float)
        k = min(10, len(loss))
        smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
        line, = ax_loss.plot(np.arange(k, len(loss) + 1), smooth, label=r.schedule)
        if r.evals:
            steps, vals, _ = zip(*r.evals)
            ax_loss.plot(steps, vals, "o", color=line.get_color(), markersize=4)
        ax_lr.plot(np.arange(len(r.lr_curve)), r.lr_curve, color=line.get_color(), label=r.schedule)
    ax_loss.axhline(reference, color="grey", linestyle=":", label=f"unigram loss {reference:.2f} (stall)")
    if target is not None:
        ax_loss.axhline(target, color="grey", linestyle="--", linewidth=0.8, label=f"target {target:g}")
    ax_loss.set_xlabel("update")
    ax_loss.set_ylabel("train loss (mean of 10), dots: validation")
    ax_loss.legend(fontsize=8)
    ax_lr.set_xlabel("update")
    ax_lr.set_ylabel("learning rate")
    ax_lr.legend(fontsize=8)
    fig.suptitle(f"{runs[0].task}: the same model and peak LR, without warmup, with a fixed one and the "
                 f"automatic ones", fontsize=11)
    fig.savefig(path, dpi=110)
