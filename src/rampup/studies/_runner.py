"""Train one configuration of a task (peak LR, warmup, seed, updates), deterministically, and measure it."""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import RampupError, SpecError
from ..core.schedule import Schedule
from ..core.spec import parse
from ..core.validate import check_int, check_number, show
from ._tasks import Task, get_task

__all__ = ["RunResult", "deterministic", "resolve_warmup", "run_one"]

_SMOOTH = 10  # updates averaged for the final train loss and for "updates to target"
_STALL_MARGIN = 0.05  # a run ending within 5% of the task's reference loss has stalled


def resolve_warmup(warmup: str, updates: int) -> Schedule:
    """The LR factor schedule of a run of ``updates`` updates for the warmup spec ``warmup``.

    ``"none"`` is the constant peak LR; a spec without ``>>`` is a warmup followed by the constant peak
    (``"linear(200)"`` is ``linear_warmup(200) >> constant()``); a spec with ``>>`` is the whole schedule, as
    :func:`rampup.parse` reads it. Durations in units (``"10%"``) are resolved against ``updates``.

    Example:
        >>> from rampup.studies import resolve_warmup
        >>> s = resolve_warmup("linear(200)", 400)
        >>> s, s(0), s(100), s(399)
        (linear_warmup(200) >> constant(200), 0.0, 0.5, 1.0)
        >>> resolve_warmup("none", 400)(0), resolve_warmup("linear(10%) >> cosine()", 400)(40)
        (1.0, 1.0)
    """
    check_int("resolve_warmup", "updates", updates, 1)
    if not isinstance(warmup, str) or not warmup.strip():
        raise RampupError(f"resolve_warmup: warmup must be a spec string such as 'none' or 'linear(200)', "
                          f"got {show(warmup)}")
    spec = warmup.strip()
    if spec == "none":
        return parse("constant()", total_steps=updates)
    if ">>" in spec:
        return parse(spec, total_steps=updates)
    try:
        return parse(f"{spec} >> constant()", total_steps=updates)
    except SpecError as e:
        parse(spec, total_steps=updates)  # the error at the user's own position, if the spec itself is wrong
        raise RampupError(f"warmup {spec!r} cannot start a schedule: {e}") from None


@contextlib.contextmanager
def deterministic(seed: int, threads: int = 1) -> Iterator[None]:
    """Seed python, numpy and torch with ``seed``, fix torch's thread count and switch on
    ``torch.use_deterministic_algorithms``; the thread count and the deterministic flag are restored on exit.

    Example:
        >>> import torch
        >>> from rampup.studies import deterministic
        >>> with deterministic(0):
        ...     a = torch.rand(2)
        >>> with deterministic(0):
        ...     b = torch.rand(2)
        >>> bool((a == b).all())
        True
    """
    import torch

    check_int("deterministic", "threads", threads, 1)
    prev_threads = torch.get_num_threads()
    prev_det = torch.are_deterministic_algorithms_enabled()
    prev_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.set_num_threads(prev_threads)
        torch.use_deterministic_algorithms(prev_det, warn_only=prev_warn)


@dataclass(frozen=True)
class RunResult:
    """What one run measured.

    Attributes:
        task, options, lr, peak_lr, warmup, schedule, seed, updates, threads: the configuration (``lr`` is the grid
            value, ``peak_lr`` what the optimizer used after the task's scaling rule, ``schedule`` the resolved spec).
        train_loss: the loss of every update done (shorter than ``updates`` after a divergence).
        lr_curve: the LR of every update done.
        evals: ``(updates done, validation loss, metric)`` at each evaluation.
        final_train_loss: mean train loss of the last 10 updates (``nan`` if diverged).
        final_val_loss, final_metric: at the end (``nan`` if diverged).
        diverged: a non-finite loss or one above the task's ``diverge_loss``; ``diverged_at`` is that update.
        stalled: not diverged, and the final train loss is within 5% of the task's reference loss.
        updates_to_target: the first number of updates after which the mean loss of the last 10 updates is at or
            below the task's ``target_loss`` (``None`` if never).
        wall_s: seconds the run took.
    """

    task: str
    options: dict[str, Any]
    lr: float
    peak_lr: float
    warmup: str
    schedule: str
    seed: int
    updates: int
    threads: int
    train_loss: list[float] = field(repr=False)
    lr_curve: list[float] = field(repr=False)
    evals: list[tuple[int, float, float]] = field(repr=False)
    final_train_loss: float
    final_val_loss: float
    final_metric: float
    diverged: bool
    diverged_at: int | None
    stalled: bool
    updates_to_target: int | None
    target_loss: float | None
    reference_loss: float
    metric_name: str
    wall_s: float


def run_one(task: str | Task, lr: float, warmup: str = "none", seed: int = 0, updates: int | None = None, *,
            threads: int = 1, eval_every: int | None = None, task_options: dict[str, Any] | None = None,
            on_update: Callable[[int, float], None] | None = None,
            scheduler: Callable[[Task, Any, Any, int], Any] | None = None) -> RunResult:
    """Train ``task`` once: peak LR ``lr`` (through the task's scaling rule), warmup spec ``warmup`` (see
    :func:`resolve_warmup`), seed ``seed``, ``updates`` updates (the task's default if ``None``).

    Before update ``t`` (``t`` updates already applied) every parameter group's LR is set to
    ``peak * s(t)``; the run stops early when it diverges. It evaluates every ``eval_every`` updates (default: a
    quarter of the run) and at the end. Same arguments on the same machine, same numbers.

    ``scheduler``: instead of the warmup spec, a function ``(task, model, optimizer, updates) -> scheduler``, called
    once the model and the optimizer (at the peak LR) are built, inside the seeded context: an automatic warmup such
    as :class:`rampup.auto.OnlineWarmup`, or any torch LR scheduler. The run then reads each update's LR from the
    optimizer, calls ``scheduler.observe(loss)`` (when it has one) before ``optimizer.step()`` and
    ``scheduler.step()`` after it; ``warmup`` is only the run's label.

    Example:
        >>> from rampup.studies import run_one
        >>> r = run_one("digits-largebatch", 0.1, "linear(4)", seed=0, updates=6, task_options={"quick": True})
        >>> len(r.train_loss), r.lr_curve[:2], r.diverged
        (6, [0.0, 0.1], False)
    """
    import torch

    task = get_task(task, **(task_options or {}))
    updates = task.default_updates if updates is None else updates
    schedule = resolve_warmup(warmup, updates) if scheduler is None else None
    lr = check_number("run_one", "lr", lr, 0.0, None, lo_open=True)
    check_int("run_one", "seed", seed, 0)
    eval_every = check_int("run_one", "eval_every", max(1, updates // 4) if eval_every is None else eval_every, 1)
    peak = float(task.peak_lr(float(lr)))
    factors = None
    if schedule is not None:
        factors = [float(f) for f in np.asarray(schedule(np.arange(updates)), dtype=np.float64)]

    losses: list[float] = []
    lrs: list[float] = []
    evals: list[tuple[int, float, float]] = []
    diverged_at: int | None = None
    start = time.perf_counter()
    with deterministic(seed, threads):
        model = task.build_model()
        opt = task.optimizer(model.parameters(), peak)
        gen = torch.Generator().manual_seed(seed)
        batches = task.batches(gen)

        def evaluate(done: int) -> None:
            model.eval()
            with torch.no_grad():
                val, metric = task.evaluate(model)
            model.train()
            evals.append((done, float(val), float(metric)))

        sched = None if scheduler is None else scheduler(task, model, opt, updates)
        observe = getattr(sched, "observe", None)
        model.train()
        for t in range(updates):
            if factors is not None:
                lr_t = peak * factors[t]
                for group in opt.param_groups:
                    group["lr"] = lr_t
            else:
                lr_t = float(opt.param_groups[0]["lr"])
            loss = task.loss(model, next(batches))
            value = float(loss.detach())
            losses.append(value)
            lrs.append(lr_t)
            if not math.isfinite(value) or value > task.diverge_loss:
                diverged_at = t
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if observe is not None:
                observe(loss)
            opt.step()
            if sched is not None:
                sched.step()
            if on_update is not None:
                on_update(t, value)
            if (t + 1) % eval_every == 0 and t + 1 < updates:
                evaluate(t + 1)
        if diverged_at is None:
            evaluate(updates)
    wall = time.perf_counter() - start

    diverged = diverged_at is not None
    nan = float("nan")
    final_train = nan if diverged else float(np.mean(losses[-_SMOOTH:]))
    final_val, final_metric = (nan, nan) if diverged else evals[-1][1:]
    to_target = None
    if task.target_loss is not None:
        window: list[float] = []
        for t, value in enumerate(losses):
            window = ([*window, value])[-_SMOOTH:]
            if len(window) == min(_SMOOTH, updates) and math.isfinite(value) and np.mean(window) <= task.target_loss:
                to_target = t + 1
                break
    stalled = not diverged and final_train >= (1 - _STALL_MARGIN) * task.reference_loss
    return RunResult(task=task.name, options=dict(task.options), lr=float(lr), peak_lr=peak, warmup=warmup,
                     schedule=warmup if schedule is None else repr(schedule), seed=seed, updates=updates,
                     threads=threads, train_loss=losses, lr_curve=lrs, evals=evals, final_train_loss=final_train,
                     final_val_loss=final_val, final_metric=final_metric, diverged=diverged,
                     diverged_at=diverged_at, stalled=stalled, updates_to_target=to_target,
                     target_loss=task.target_loss, reference_loss=task.reference_loss,
                     metric_name=task.metric_name, wall_s=wall)
