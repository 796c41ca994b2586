"""Time ``scheduler.step()`` of rampup.torch.Scheduler against its floor, a bare closed-form Python loop that writes
``base * factor`` into each param group, and against torch's LambdaLR and SequentialLR(LinearLR, CosineAnnealingLR),
for the same warmup + cosine schedule, with 1 and 16 param groups, side by side in one run.

The floor is what a hand-written inline loop costs: ``f = lam(t)`` (the schedule written out in Python, as HF's
``get_cosine_schedule_with_warmup`` lambda is), then ``group["lr"] = base * f`` for each group, with no call but
``lam``. Two measurements,
each the median over interleaved repeats of the mean time per call:

- ``step()`` alone: the scheduler is stepped without an optimizer update in between (rampup with
  ``count="calls"``, so that every call advances, as torch's schedulers do). This is the scheduler's own cost,
  the one compared with the floor.
- per update: ``optimizer.step(); scheduler.step()`` with rampup's default ``count="updates"`` (its step hook
  included), minus the same loop's ``optimizer.step()`` without any scheduler. This is what a training loop pays.

Runs on any rampup version with ``rampup.torch.Scheduler`` (so the same file measures before and after a change):

    python benchmarks/bench_torch_step.py                          # print
    python benchmarks/bench_torch_step.py --write docs/benchmarks.md
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch
from _report import run
from torch.optim import lr_scheduler as lrs

import rampup
from rampup.torch import Scheduler

WARMUP, TOTAL, CALLS, REPEATS = 500, 10_000, 2_000, 31
SPEC = f"linear({WARMUP}) >> cosine()"
SECTION = "## PyTorch scheduler step"
NAMES = ("floor", "rampup", "LambdaLR", "SequentialLR")


def lam(t: int) -> float:
    """The same schedule as a LambdaLR user writes it (HF's get_cosine_schedule_with_warmup, floor 0)."""
    if t < WARMUP:
        return t / WARMUP
    p = (t - WARMUP) / (TOTAL - WARMUP)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * p)))


def make_opt(groups: int) -> torch.optim.Optimizer:
    return torch.optim.SGD([{"params": [torch.zeros(4)], "lr": 0.1 * (i + 1)} for i in range(groups)], lr=0.1)


class Floor:
    """The floor's LRs for :func:`check_same_schedule`; its timing is the inline loop in :func:`time_alone`."""

    def __init__(self, opt: torch.optim.Optimizer) -> None:
        self.groups = opt.param_groups
        self.bases = [g["lr"] for g in self.groups]
        self.t = -1
        self.step()

    def step(self) -> None:
        self.t += 1
        f = lam(self.t)
        for group, base in zip(self.groups, self.bases, strict=True):
            group["lr"] = base * f


CONTENDERS: dict[str, Callable[[torch.optim.Optimizer, str], Any]] = {
    "floor": lambda o, count: Floor(o),
    "rampup": lambda o, count: Scheduler(o, SPEC, total_steps=TOTAL, count=count),
    "LambdaLR": lambda o, count: lrs.LambdaLR(o, lam),
    "SequentialLR": lambda o, count: lrs.SequentialLR(
        o, [lrs.LinearLR(o, start_factor=1e-8, end_factor=1.0, total_iters=WARMUP),
            lrs.CosineAnnealingLR(o, T_max=TOTAL - WARMUP)], milestones=[WARMUP]),
}


def time_floor(groups: int) -> float:
    """The bare loop, inline: no call but the schedule's formula."""
    opt = make_opt(groups)
    group_list = opt.param_groups
    bases = [g["lr"] for g in group_list]
    t0 = time.perf_counter()
    for t in range(1, CALLS + 1):
        f = lam(t)
        for group, base in zip(group_list, bases, strict=False):  # strict=False: what a bare zip does
            group["lr"] = base * f
    return (time.perf_counter() - t0) / CALLS


def time_alone(name: str, groups: int) -> float:
    if name == "floor":
        return time_floor(groups)
    opt = make_opt(groups)
    step = CONTENDERS[name](opt, "calls").step
    t0 = time.perf_counter()
    for _ in range(CALLS):
        step()
    return (time.perf_counter() - t0) / CALLS


def time_update(name: str | None, groups: int) -> float:
    opt = make_opt(groups)
    ostep = opt.step
    if name is None:
        t0 = time.perf_counter()
        for _ in range(CALLS):
            ostep()
        return (time.perf_counter() - t0) / CALLS
    sstep = CONTENDERS[name](opt, "updates").step
    t0 = time.perf_counter()
    for _ in range(CALLS):
        ostep()
        sstep()
    return (time.perf_counter() - t0) / CALLS


def check_same_schedule() -> None:
    """The contenders give the same LRs (to rounding), so the timing compares like with like."""
    s = rampup.parse(SPEC, total_steps=TOTAL)
    for name in CONTENDERS:
        opt = make_opt(1)
        sched = CONTENDERS[name](opt, "calls")
        for t in range(1200):
            assert abs(opt.param_groups[0]["lr"] - 0.1 * s(t)) < 1e-8, (name, t)  # LinearLR cannot start at 0: 1e-8
            sched.step()


def measure() -> dict[tuple[str, str, int], float]:
    warnings.simplefilter("ignore")  # torch warns when a scheduler steps with no optimizer step, by design here
    torch.set_num_threads(1)
    check_same_schedule()
    results: dict[tuple[str, str, int], float] = {}
    for groups in (1, 16):
        runs: dict[tuple[str, str | None], list[float]] = {}
        for _ in range(REPEATS):  # interleaved, so that drifts of the machine hit every contender alike
            for name in CONTENDERS:
                runs.setdefault(("alone", name), []).append(time_alone(name, groups))
                if name != "floor":
                    runs.setdefault(("update", name), []).append(time_update(name, groups))
            runs.setdefault(("update", None), []).append(time_update(None, groups))
        base = statistics.median(runs[("update", None)])
        for (kind, name), ts in runs.items():
            if name is not None:
                med = statistics.median(ts)
                results[(kind, name, groups)] = med - base if kind == "update" else med
        results[("optimizer", "SGD.step", groups)] = base
    sched = rampup.parse(SPEC, total_steps=TOTAL)
    evals = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for t in range(CALLS):
            sched(t)
        evals.append((time.perf_counter() - t0) / CALLS)
    results[("core", "s(t)", 1)] = statistics.median(evals)
    return results


def report(r: dict[tuple[str, str, int], float]) -> list[str]:
    us = 1e6
    intro = (f"Same schedule in each: linear warmup over {WARMUP} updates, then cosine to 0 at {TOTAL} (rampup "
             f"`{SPEC}`; the floor, a bare Python loop that computes the same formula and writes `base * factor` "
             "into each group; a LambdaLR with that formula; SequentialLR(LinearLR, CosineAnnealingLR)); median "
             f"over {REPEATS} interleaved repeats of {CALLS} calls, one thread.")
    machine = (f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
               f"torch {torch.__version__}, {platform.system()}. Command: `python benchmarks/bench_torch_step.py "
               "--write docs/benchmarks.md`.")
    head = ("| groups | measure | floor (us) | rampup (us) | LambdaLR (us) | SequentialLR (us) | rampup / floor "
            "| rampup / LambdaLR |")
    out = [SECTION, "", intro, "", machine, "", head, "|---|---|---|---|---|---|---|---|"]
    for groups in (1, 16):
        a, b, c, d = (r[("alone", n, groups)] for n in NAMES)
        out.append(f"| {groups} | `step()` alone | {a * us:.2f} | {b * us:.2f} | {c * us:.2f} | {d * us:.2f} "
                   f"| {b / a:.2f}x | {b / c:.2f}x |")
        b, c, d = (r[("update", n, groups)] for n in NAMES[1:])
        out.append(f"| {groups} | per update (minus `opt.step()`) | | {b * us:.2f} | {c * us:.2f} | {d * us:.2f} "
                   f"| | {b / c:.2f}x |")
    optimizer = ("`opt.step()` of the SGD optimizer alone (no gradients): "
                 + ", ".join(f"{r[('optimizer', 'SGD.step', g)] * us:.1f} us with {g} group(s)" for g in (1, 16))
                 + ". Goal: `step()` alone within 1.5x of the floor with 1 and 16 groups.")
    note = (f"`s(t)` itself, the checked public call, takes {r[('core', 's(t)', 1)] * us:.2f} us; the scheduler does "
            "not call it: it evaluates the schedule through `rampup.core.scalar.scalar_function(s)`, the same "
            "arithmetic bound once into closures (equal to `s(t)` bit for bit, tested). The per-update rows "
            "subtract two medians of loops dominated by `opt.step()`, so they carry a few microseconds of noise; "
            "the `step()` alone rows are the precise comparison.")
    out += ["", optimizer, "", note, ""]
    return out


def main() -> None:
    run(__doc__, SECTION, lambda: report(measure()))


if __name__ == "__main__":
    sys.exit(main())
