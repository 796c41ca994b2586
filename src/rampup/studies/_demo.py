"""``rampup demo``: a Post-LN transformer at a high peak LR, without warmup and with it, side by side."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import RampupError
from ._runner import RunResult, run_one
from ._tasks import get_task

__all__ = ["DEMO", "DemoResult", "demo"]

# The model and peak LR of the postln-lm grid in docs/results.md, where at every seed the Post-LN model stalls at the
# unigram loss without warmup and learns with 100 warmup updates; the two runs fit in 3 minutes on 2 CPU cores.
DEMO: dict[str, Any] = {"task": "postln-lm", "options": {}, "peak_lr": 1e-2, "warmup": "linear(100)", "updates": 200,
                        "seed": 0}
_QUICK: dict[str, Any] = {"options": {"quick": True}, "updates": 12, "warmup": "linear(6)"}
#: the name of the probed run, everywhere (progress bar, table, legend)
AUTO_NAME = "auto (probe + online)"


@dataclass(frozen=True)
class DemoResult:
    """The demo's runs (no warmup first), their names, the probe's passes before each, and the PNG it wrote.

    Attributes:
        runs: one :class:`rampup.studies.RunResult` per run.
        png: the figure.
        names: one name per run, the same in the progress bar, the table and the legend.
        probe_passes: the forward+backward passes each run spent before its first update (its probe's; 0 for
            the others): the run's curves are drawn shifted right by as many, so that compute is on the x axis.
    """

    runs: list[RunResult]
    png: Path
    names: list[str] = field(default_factory=list)
    probe_passes: list[int] = field(default_factory=list)


def demo(out: str | os.PathLike[str] = "rampup-demo.png", *, peak_lr: float | None = None,
         warmup: str | None = None, updates: int | None = None, seed: int | None = None, quick: bool = False,
         auto: bool = True, threads: int = 1, progress: bool = True, console: Any = None) -> DemoResult:
    """Train the Post-LN character transformer of ``postln-lm`` at the same high peak LR without warmup, with
    ``warmup``, and (``auto=True``) with the warmup :func:`rampup.auto.warmup_from_optimizer` chooses from the
    task's optimizer for this run ("optimizer rule (N)") and with :func:`rampup.auto.auto_warmup` ("auto (probe +
    online)": the ladder probe, then the online controller), with no tuning (not with ``quick``: its few updates
    are shorter than those warmups); print a table (final train and validation loss, when the loss reached the
    target, how the run ended, time) and write ``out``, a PNG with the loss curves and the LR curves side by side.

    Compute is counted: the probed run's probe trains too (its forward+backward passes, about 60 on this task),
    so its curves are drawn shifted right by those passes and the x axis is forward+backward passes (one per
    update for the others); its "target at" column counts them as well.

    Defaults are :data:`DEMO`; ``quick=True`` uses a tiny model and a few updates (for tests). One torch thread by
    default: on a busy machine more threads wait on each other (measured: 2 threads took 5 times longer than 1
    on 2 shared cores). ``console``: the rich ``Console`` for the bars and the table (``None``: standard output;
    ``False``: print nothing).

    Example:
        >>> import tempfile, os
        >>> from rampup.studies import demo
        >>> r = demo(os.path.join(tempfile.mkdtemp(), "d.png"), quick=True, progress=False, console=False)
        >>> r.names, [run.warmup for run in r.runs], r.png.stat().st_size > 0
        (['no warmup', 'linear warmup 6'], ['none', 'linear(6)'], True)
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
    plan = _plan(task, peak_lr, warmup, updates, seed, auto=auto and not quick)
    try:
        for name, spec, hook in plan:
            tid = bar.add_task(name, total=updates, info="") if bar else None

            def tick(t: int, loss: float, tid: Any = tid) -> None:
                if bar is not None:
                    bar.update(tid, completed=t + 1, info=f"loss {loss:.3f}")

            runs.append(run_one(task, peak_lr, spec, seed, updates, threads=threads, on_update=tick,
                                scheduler=hook))
    finally:
        if bar is not None:
            bar.stop()
    names = [name for name, _, _ in plan]
    passes = [hook.backward_passes if isinstance(hook, _Probed) else 0 for _, _, hook in plan]
    png = Path(out)
    _figure(runs, names, passes, task.reference_loss, task.target_loss, peak_lr).savefig(png, dpi=110)
    if con is not None:
        con.print(_table(runs, names, passes, task.name, peak_lr, updates))
        con.print(f"loss and LR curves: {png}")
    return DemoResult(runs, png, names, passes)


def _plan(task: Any, peak_lr: float, warmup: str, updates: int, seed: int, *, auto: bool) -> list[tuple[str, str, Any]]:
    """``(name, warmup spec, scheduler hook)`` for each run, in order."""
    runs: list[tuple[str, str, Any]] = [("no warmup", "none", None), (_name(warmup), warmup, None)]
    if auto:
        spec, length = _rule_warmup(task, peak_lr, updates)
        runs.append((f"optimizer rule ({length})", spec, None))
        runs.append((AUTO_NAME, "auto_warmup (probe + online)", _Probed(seed)))
    return runs


def _name(spec: str) -> str:
    """The run's name for a warmup spec: ``"linear(100)"`` -> ``"linear warmup 100"``."""
    s = spec.strip()
    if s == "none":
        return "no warmup"
    m = re.fullmatch(r"(linear|cosine|exp|geometric)\((\d+)\)", s)
    if m:
        return f"{m.group(1)} warmup {m.group(2)}"
    return f"warmup {s}"


class _Probed:
    """A ``run_one`` scheduler hook: :func:`rampup.auto.auto_warmup` on the run's own model and optimizer, probing
    on batches of its own (seeded apart from the training batches); it keeps the probe's backward passes."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.backward_passes = 0

    def __call__(self, task: Any, model: Any, opt: Any, updates: int) -> Any:
        import torch

        from ..auto import auto_warmup

        batches = task.batches(torch.Generator().manual_seed(10_000 + self.seed))
        sched = auto_warmup(model, opt, task.loss, batches, total_steps=updates)
        self.backward_passes = sched.probe_result.backward_passes
        return sched


def _rule_warmup(task: Any, peak_lr: float, updates: int) -> tuple[str, int]:
    """The spec of the warmup rampup.auto derives from the task's own optimizer for a run of ``updates`` updates
    (untuned: 2/(1 - beta2) for Adam, capped at half the run), and its length ``W`` in updates."""
    import torch

    from ..auto import warmup_from_optimizer

    opt = task.optimizer([torch.zeros(1, requires_grad=True)], task.peak_lr(peak_lr))
    choice = warmup_from_optimizer(opt, total_steps=updates)
    inputs = choice.explanations[0].inputs
    return repr(choice.schedule), int(inputs.get("capped_at", inputs.get("warmup", 0)))


def _table(runs: list[RunResult], names: list[str], passes: list[int], name: str, peak_lr: float,
           updates: int) -> Any:
    """The results, readable in 80 columns."""
    from rich.table import Table

    target = runs[0].target_loss
    caption = (f"ended: stalled = at the unigram loss {runs[0].reference_loss:.2f}; target at = forward+backward "
               f"passes until the train loss (mean of 10) reached {target:g}, a probe's included")
    table = Table(title=f"{name}: peak LR {peak_lr:g}, {updates} updates, seed {runs[0].seed}", caption=caption,
                  caption_justify="left")
    table.add_column("run", no_wrap=True)
    for col in ("train", "val", "target at", "ended", "time"):
        table.add_column(col, justify="right", no_wrap=True)
    for r, label, extra in zip(runs, names, passes, strict=True):
        ended = "diverged" if r.diverged else "stalled" if r.stalled else "ok"
        at = str(r.updates_to_target + extra) if r.updates_to_target is not None else "never"
        table.add_row(label, f"{r.final_train_loss:.3f}", f"{r.final_val_loss:.3f}", at, ended, f"{r.wall_s:.0f} s")
    return table


def _figure(runs: list[RunResult], names: list[str], passes: list[int], reference: float, target: float | None,
            peak_lr: float) -> Any:
    """The loss curves and the LR curves, compute (forward+backward passes) on the x axis."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.4), layout="constrained")
    ax_loss, ax_lr = fig.subplots(1, 2)
    for r, label, extra in zip(runs, names, passes, strict=True):
        if extra:
            label = f"{label}, shifted by its probe's {extra} passes"
        loss = np.asarray(r.train_loss, dtype=float)
        k = min(10, len(loss))
        smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
        line, = ax_loss.plot(np.arange(k, len(loss) + 1) + extra, smooth, label=label)
        if r.evals:
            steps, vals, _ = zip(*r.evals, strict=True)
            ax_loss.plot(np.asarray(steps) + extra, vals, "o", color=line.get_color(), markersize=4)
        ax_lr.plot(np.arange(len(r.lr_curve)) + extra, r.lr_curve, color=line.get_color(), label=label)
    ax_loss.axhline(reference, color="grey", linestyle=":", label=f"unigram loss {reference:.2f} (stalled)")
    if target is not None:
        ax_loss.axhline(target, color="grey", linestyle="--", linewidth=0.8, label=f"target {target:g}")
    for ax in (ax_loss, ax_lr):
        ax.set_xlabel("compute: forward+backward passes (one per update; a probe's first)")
    ax_loss.set_ylabel("train loss (mean of 10), dots: validation")
    ax_loss.legend(fontsize=8)
    ax_lr.set_ylabel("learning rate")
    ax_lr.legend(fontsize=8)
    fig.suptitle(f"Does warmup help? One small transformer ({runs[0].task}), the same peak LR {peak_lr:g}, "
                 f"trained {len(runs)} ways", fontsize=11)
    return fig
