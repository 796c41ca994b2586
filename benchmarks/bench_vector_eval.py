"""Time the vectorised evaluation of a warmup + cosine schedule over 2M steps against one ``np.cos`` pass over the
same steps, the floor of any closed-form cosine schedule on arrays.

``s(steps)`` with ``steps = np.arange(2_000_000)`` (int64, what ``s.values(n)`` and plots pass) and the schedule
``linear(5%) >> cosine(to=0.1)`` resolved for 2M updates; the floor is ``np.cos(steps)`` on the same array (numpy
converts it to float64 on the way, as the schedule must too). Median of interleaved repeats, one thread.

Runs on any rampup version with ``rampup.parse`` (so the same file measures before and after a change):

    python benchmarks/bench_vector_eval.py                          # print
    python benchmarks/bench_vector_eval.py --write docs/benchmarks.md
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time

import numpy as np
from _report import run

import rampup

N, REPEATS = 2_000_000, 21
SPEC = "linear(5%) >> cosine(to=0.1)"
SECTION = "## Vectorised evaluation"


def measure() -> dict[str, float]:
    s = rampup.parse(SPEC, total_steps=N)
    steps = np.arange(N)
    ref = s(steps[:1000])
    assert all(ref[t] == s(t) for t in range(1000))  # the array path gives the scalar values
    runs: dict[str, list[float]] = {"cos": [], "schedule": []}
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        np.cos(steps)
        runs["cos"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        s(steps)
        runs["schedule"].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in runs.items()}


def report(r: dict[str, float]) -> list[str]:
    ms = 1e3
    return [SECTION, "",
            (f"`s(np.arange({N:_}))` for `{SPEC}` resolved for {N:_} updates, against one `np.cos` pass over the same "
             f"int64 steps; median of {REPEATS} interleaved repeats."), "",
            (f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, numpy "
             f"{np.__version__}, {platform.system()}. Command: `python benchmarks/bench_vector_eval.py --write "
             "docs/benchmarks.md`."), "",
            "| np.cos (ms) | schedule (ms) | schedule / np.cos |", "|---|---|---|",
            f"| {r['cos'] * ms:.1f} | {r['schedule'] * ms:.1f} | {r['schedule'] / r['cos']:.2f}x |", "",
            "Goal: within 3x of `np.cos`.", ""]


def main() -> None:
    run(__doc__, SECTION, lambda: report(measure()))


if __name__ == "__main__":
    sys.exit(main())
