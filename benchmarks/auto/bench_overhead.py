"""What OnlineWarmup costs inside a real training loop: the char-LM study task (postln-lm, 6 layers, d 64), the
same updates driven once by rampup.torch.Scheduler and once by OnlineWarmup (observe with its grad norm + step).

Two measures, both ratios taken in the same run:
- in-loop: the seconds spent inside the scheduler's calls (observe + step, or step), over the whole update time;
- end to end: the wall time of the update loop with each scheduler, alternating runs, median of the repeats.
The controller is kept in its warmup phase for the whole measure (growth so small it never reaches the peak), the
phase where it does its work.

With ``--probe LR``: also auto_warmup's probe (``ladder_probe(steps=20, n_batches=3)``) on the same model at peak
LR ``LR``, its wall time over that of a 2,000-update loop (the per-update time measured here, times 2,000), and
probe + controller together against the goal of 2% of a 2,000-update run.

    python benchmarks/auto/bench_overhead.py --updates 100 --repeats 3 --grad-norm-every 1 --probe 1e-2
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

import rampup.torch
from rampup.auto import OnlineSettings, OnlineWarmup, ladder_probe
from rampup.studies import deterministic, get_task

LM = {"layers": 6, "d_model": 64, "heads": 4, "seq": 32, "batch": 16}


def loop(kind: str, updates: int, grad_norm_every: int, update_ratio_every: int | None) -> dict:
    task = get_task("postln-lm", **LM)
    with deterministic(0, 1):
        model = task.build_model()
        opt = task.optimizer(model.parameters(), 1e-3)
        batches = task.batches(torch.Generator().manual_seed(0))
        if kind == "online":
            sched = OnlineWarmup(opt, start=0.05, growth=1e-6,
                                 settings=OnlineSettings(grad_norm_every=grad_norm_every,
                                                         update_ratio_every=update_ratio_every))
        else:
            sched = rampup.torch.Scheduler(opt, "linear_warmup(1000)")
        inside = 0.0
        start = time.perf_counter()
        for _ in range(updates):
            loss = task.loss(model, next(batches))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if kind == "online":
                t = time.perf_counter()
                sched.observe(loss)
                inside += time.perf_counter() - t
            opt.step()
            t = time.perf_counter()
            sched.step()
            inside += time.perf_counter() - t
        total = time.perf_counter() - start
    return {"total_s": total, "inside_s": inside}


def probe_seconds(lr: float) -> dict:
    """Wall time of auto_warmup's probe on the LM at peak ``lr``, with its passes."""
    task = get_task("postln-lm", **LM)
    with deterministic(0, 1):
        model = task.build_model()
        opt = task.optimizer(model.parameters(), lr)
        batches = task.batches(torch.Generator().manual_seed(10_000))
        start = time.perf_counter()
        r = ladder_probe(model, opt, task.loss, batches, steps=20, n_batches=3)
        seconds = time.perf_counter() - start
    return {"probe_s": seconds, "backward": r.backward_passes, "forward": r.forward_passes, "start": r.start}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--updates", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--grad-norm-every", type=int, default=1)
    ap.add_argument("--update-ratio-every", type=int, default=None)
    ap.add_argument("--probe", type=float, default=None, help="also time the probe at this peak LR")
    a = ap.parse_args()
    torch.set_num_threads(1)
    runs: dict[str, list[dict]] = {"scheduler": [], "online": []}
    for _ in range(a.repeats):
        for kind in runs:
            runs[kind].append(loop(kind, a.updates, a.grad_norm_every, a.update_ratio_every))
    per_update = {k: statistics.median(r["total_s"] for r in v) / a.updates for k, v in runs.items()}
    inside = {k: statistics.median(r["inside_s"] / r["total_s"] for r in v) for k, v in runs.items()}
    out = {
        "updates": a.updates, "repeats": a.repeats, "grad_norm_every": a.grad_norm_every,
        "update_ratio_every": a.update_ratio_every,
        "update_ms": {k: 1e3 * v for k, v in per_update.items()},
        "inside_fraction": inside,
        "in_loop_extra": inside["online"] - inside["scheduler"],
        "end_to_end_ratio": per_update["online"] / per_update["scheduler"],
        "torch": torch.__version__,
    }
    if a.probe is not None:
        probes = sorted((probe_seconds(a.probe) for _ in range(a.repeats)), key=lambda r: r["probe_s"])
        p = probes[len(probes) // 2]  # the median run
        share = p["probe_s"] / (2000 * per_update["scheduler"])
        out["probe"] = {**p, "lr": a.probe, "share_of_2000_updates": share,
                        "probe_plus_controller": share + out["in_loop_extra"]}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
