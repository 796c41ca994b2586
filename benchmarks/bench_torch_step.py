"""Time ``scheduler.step()`` of rampup.torch.Scheduler against torch's LambdaLR and SequentialLR(LinearLR,
CosineAnnealingLR), for the same warmup + cosine schedule, with 1 and 16 param groups, in one run.

Two measurements, each the median over repeats of the mean time per call:

- ``step()`` alone: the scheduler is stepped without an optimizer update in between (rampup with
  ``count="calls"``, so that every call advances, as torch's schedulers do). This is the scheduler's own cost.
- per update: ``optimizer.step(); scheduler.step()`` with rampup's default ``count="updates"`` (its step hook
  included), minus the same loop's ``optimizer.step()`` without any scheduler. This is what a training loop pays.

Usage: ``python benchmarks/bench_torch_step.py [--write docs/benchmarks.md]``
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
import warnings

import torch
from torch.optim import lr_scheduler as lrs

import rampup
from rampup.torch import Scheduler

WARMUP, TOTAL, CALLS, REPEATS = 500, 10_000, 2_000, 21
SPEC = f"linear({WARMUP}) >> cosine()"
SECTION = "## PyTorch scheduler step"


def lam(t: int) -> float:
    """The same schedule as a LambdaLR user writes it (HF's get_cosine_schedule_with_warmup, floor 0)."""
    if t < WARMUP:
        return t / WARMUP
    p = (t - WARMUP) / (TOTAL - WARMUP)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * p)))


def make_opt(groups: int) -> torch.optim.Optimizer:
    return torch.optim.SGD([{"params": [torch.zeros(4)], "lr": 0.1 * (i + 1)} for i in range(groups)], lr=0.1)


CONTENDERS = {
    "rampup": lambda o, count: Scheduler(o, SPEC, total_steps=TOTAL, count=count),
    "LambdaLR": lambda o, count: lrs.LambdaLR(o, lam),
    "SequentialLR": lambda o, count: lrs.SequentialLR(
        o, [lrs.LinearLR(o, start_factor=1e-8, end_factor=1.0, total_iters=WARMUP),
            lrs.CosineAnnealingLR(o, T_max=TOTAL - WARMUP)], milestones=[WARMUP]),
}


def time_alone(name: str, groups: int) -> float:
    opt = make_opt(groups)
    sched = CONTENDERS[name](opt, "calls")
    step = sched.step
    t0 = time.perf_counter()
    for _ in range(CALLS):
        step()
    return (time.perf_counter() - t0) / CALLS


def time_update(name: str | None, groups: int) -> float:
    opt = make_opt(groups)
    if name is not None:
        sched = CONTENDERS[name](opt, "updates")
        ostep, sstep = opt.step, sched.step
        t0 = time.perf_counter()
        for _ in range(CALLS):
            ostep()
            sstep()
    else:
        ostep = opt.step
        t0 = time.perf_counter()
        for _ in range(CALLS):
            ostep()
    return (time.perf_counter() - t0) / CALLS


def check_same_schedule() -> None:
    """The three contenders give the same LRs (to rounding), so the timing compares like with like."""
    s = rampup.parse(SPEC, total_steps=TOTAL)
    for name in CONTENDERS:
        opt = make_opt(1)
        sched = CONTENDERS[name](opt, "calls")
        for t in range(0, 1200):
            assert abs(opt.param_groups[0]["lr"] - 0.1 * s(t)) < 1e-8, (name, t)  # LinearLR cannot start at 0: 1e-8
            sched.step()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", help="replace the section in this markdown file")
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # torch warns when a scheduler steps with no optimizer step, by design here
    torch.set_num_threads(1)
    check_same_schedule()
    results: dict[tuple[str, str, int], float] = {}
    for groups in (1, 16):
        runs: dict[tuple[str, str | None], list[float]] = {}
        for _ in range(REPEATS):  # interleaved, so that drifts of the machine hit every contender alike
            for name in CONTENDERS:
                runs.setdefault(("alone", name), []).append(time_alone(name, groups))
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
    lines = report(results)
    print("\n".join(lines))
    if args.write:
        write_section(args.write, lines)


def report(r: dict[tuple[str, str, int], float]) -> list[str]:
    us = 1e6
    out = [SECTION, "",
           f"Same schedule in each: linear warmup over {WARMUP} updates, then cosine to 0 at {TOTAL} "
           "(rampup `" + SPEC + f"`, a LambdaLR with the same formula in Python, SequentialLR(LinearLR, "
           "CosineAnnealingLR)); median over "
           f"{REPEATS} interleaved repeats of {CALLS} calls, one thread.", "",
           f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
           f"torch {torch.__version__}, {platform.system()}. Command: `python benchmarks/bench_torch_step.py "
           "--write docs/benchmarks.md`.", "",
           "| groups | measure | rampup (us) | LambdaLR (us) | SequentialLR (us) | rampup / LambdaLR "
           "| rampup / SequentialLR |",
           "|---|---|---|---|---|---|---|"]
    for groups in (1, 16):
        for kind, label in (("alone", "`step()` alone"), ("update", "per update (minus `opt.step()`)")):
            a, b, c = (r[(kind, n, groups)] for n in ("rampup", "LambdaLR", "SequentialLR"))
            out.append(f"| {groups} | {label} | {a * us:.2f} | {b * us:.2f} | {c * us:.2f} | {a / b:.2f}x "
                       f"| {a / c:.2f}x |")
    out += ["", "`opt.step()` of the SGD optimizer alone (no gradients): "
            + ", ".join(f"{r[('optimizer', 'SGD.step', g)] * us:.1f} us with {g} group(s)" for g in (1, 16))
            + ". Goal: at most 1.0x LambdaLR and 0.3x SequentialLR.", "",
            f"The schedule's own evaluation, `s(t)` on the core's scalar path, takes {r[('core', 's(t)', 1)] * us:.2f} "
            "us of rampup's `step()`, once per step whatever the number of groups. The per-update rows subtract "
            "two medians of loops dominated by `opt.step()`, so they carry a few microseconds of noise; the "
            "`step()` alone rows are the precise comparison.", ""]
    return out


def write_section(path: str, lines: list[str]) -> None:
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n"
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    else:
        nxt = text.find("\n## ", start + len(SECTION))
        text = text[:start] + "\n".join(lines) + ("\n" + text[nxt + 1:] if nxt >= 0 else "")
    with open(path, "w") as f:
        f.write(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    sys.exit(main())
