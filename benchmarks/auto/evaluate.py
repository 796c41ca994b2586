"""Evaluate rampup.auto on the study tasks: no warmup, the fixed-warmup grid, the optimizer rule, the one-step
probe, the Hessian sharpness probe, the multi-step probe (probe-20), the online controller (its defaults; its ramp from the optimizer's rule,
"(rule)"; the gradient norm every 4th update only, "(gn4)"; plus the update-to-weight ratio, "(uw1)"), the controller starting where the multi-step probe
says, and rampup.auto.auto_warmup ("auto", with its guard at the default 20 updates, 0 or 40), over peak LRs and
seeds.

Rows go to a JSON-lines file (resumable: a rerun skips the runs already there). No-warmup and fixed-warmup runs are
taken from the study grids in docs/results/*.csv when the exact configuration is there (the loop in _train.py is the
study runner's loop, checked below to give the same losses), and trained here otherwise.

    python benchmarks/auto/evaluate.py --out /tmp/auto_eval/rows.jsonl --workers 2
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

LM = dict(layers=6, d_model=64, heads=4, seq=32, batch=16)
DIGITS: dict = {}
TASKS = {
    "postln-lm": dict(options=LM, updates=200, lrs=[1e-3, 3e-3, 5e-3, 1e-2, 2e-2, 3e-2], spe=None, seeds=[0, 1, 2],
                      # 10 seeds where the best fixed warmup is (the final-loss goal is judged there)
                      seeds_at={3e-3: list(range(10)), 5e-3: list(range(10))},
                      grid=["none", "linear(20)", "linear(50)", "linear(100)"]),
    "digits-largebatch": dict(options=DIGITS, updates=150, lrs=[0.0125, 0.025, 0.05, 0.1, 0.2, 0.4], spe=1,
                              seeds=list(range(10)),
                              grid=["none", "linear(10)", "linear(25)", "linear(50)"]),
}
AUTO = ["rule", "probe", "sharpness", "probe-20", "online", "online(gn4)", "online(uw1)", "online(rule)",
        "probe-20+online", "auto", "auto(guard=0)", "auto(guard=40)"]


def study_rows(task: str) -> dict:
    """The study grid's rows for ``task`` keyed by (lr, warmup, seed, updates), when their options match ours."""
    path = os.path.join(ROOT, "docs", "results", f"{task}.csv")
    out = {}
    if not os.path.exists(path):
        return out
    for r in csv.DictReader(open(path)):
        opts = json.loads(r["options"])
        want = TASKS[task]["options"]
        if any(opts.get(k) != v for k, v in want.items()):
            continue
        if task == "digits-largebatch" and (opts.get("width") != 256 or opts.get("depth") != 3 or opts.get("batch") != 1024):
            continue
        f = lambda k: float(r[k]) if r[k] not in ("", "nan") else float("nan")
        out[(float(r["lr"]), r["warmup"], int(r["seed"]), int(r["updates"]))] = dict(
            task=task, lr=float(r["lr"]), peak_lr=float(r["peak_lr"]), method=r["warmup"], seed=int(r["seed"]),
            updates=int(r["updates"]), final_train_loss=f("final_train_loss"), final_val_loss=f("final_val_loss"),
            final_metric=f("final_metric"), diverged=r["diverged"] == "True",
            diverged_at=int(r["diverged_at"]) if r["diverged_at"] else None, stalled=r["stalled"] == "True",
            updates_to_target=int(r["updates_to_target"]) if r["updates_to_target"] else None,
            wall_s=float(r["wall_s"]), info={"from": "docs/results"}, train_loss=None, lr_curve=None)
    return out


def job(args: tuple) -> dict:
    import torch

    torch.set_num_threads(1)
    from _train import train

    task, lr, method, seed = args
    t = TASKS[task]
    return train(task, t["options"], lr, method, seed, t["updates"], steps_per_epoch=t["spe"])


def check_same_as_runner() -> None:
    """The loop of _train.py gives the study runner's losses, bit for bit, for a fixed warmup."""
    from _train import train

    from rampup.studies import run_one

    a = run_one("digits-largebatch", 0.1, "linear(3)", seed=1, updates=8, task_options={"quick": True})
    b = train("digits-largebatch", {"quick": True}, 0.1, "linear(3)", 1, 8)
    if a.train_loss != b["train_loss"] or a.lr_curve != b["lr_curve"]:
        raise SystemExit(f"the evaluation loop differs from run_one:\n{a.train_loss}\n{b['train_loss']}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/auto_eval/rows.jsonl")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", default=",".join(TASKS))
    a = ap.parse_args()
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    check_same_as_runner()
    done = set()
    if os.path.exists(a.out):
        for line in open(a.out):
            r = json.loads(line)
            done.add((r["task"], r["lr"], r["method"], r["seed"]))
    todo = []
    for task in a.tasks.split(","):
        t = TASKS[task]
        for method in AUTO + t["grid"]:  # the automatic methods first, the baselines (often in the study CSV) last
            for lr in t["lrs"]:
                for seed in t.get("seeds_at", {}).get(lr, t["seeds"]):
                    if (task, lr, method, seed) not in done:
                        todo.append((task, lr, method, seed))
    print(f"{len(todo)} runs to do", flush=True)
    def record(f, r):
        f.write(json.dumps(r) + "\n")
        f.flush()
        print(r["task"], r["lr"], r["method"], r["seed"], round(r["final_val_loss"], 4),
              "div" if r["diverged"] else "stall" if r["stalled"] else "ok", round(r["wall_s"], 1), flush=True)

    auto = [item for item in todo if item[2] not in TASKS[item[0]]["grid"]]
    base = [item for item in todo if item[2] in TASKS[item[0]]["grid"]]
    with open(a.out, "a") as f, ProcessPoolExecutor(a.workers) as pool:
        for r in pool.map(job, auto):
            record(f, r)
        # the baselines last: the study grids may have finished them in the meantime
        rows = {task: study_rows(task) for task in TASKS}
        missing = []
        for task, lr, method, seed in base:
            row = rows[task].get((lr, method, seed, TASKS[task]["updates"]))
            if row is None:
                missing.append((task, lr, method, seed))
            else:
                record(f, row)
        for r in pool.map(job, missing):
            record(f, r)

if __name__ == "__main__":
    main()
