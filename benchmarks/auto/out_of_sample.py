"""The out-of-sample evaluation of rampup.auto.auto_warmup (docs/auto.md, protocol frozen 2026-12-02): its runs on
preln-lm (the fixed warmups come from the decay-recipe study's CSV) and the report of both new tasks, preln-lm and
cartpole (rows of rl_cartpole.py), against the goals.

    python benchmarks/auto/out_of_sample.py run-lm --task preln-lm --workers 2   # as run_grids.sh decay-preln
    python benchmarks/auto/out_of_sample.py report --lm-auto docs/results/decay/auto.jsonl \\
        --rl docs/auto/oos-cartpole.jsonl.gz --write docs/auto.md
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import os
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # benchmarks/, for _report
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

LM_LRS = [0.00375, 0.0075, 0.015, 0.03, 0.06, 0.12, 0.24, 0.48]  # the frozen grid and its two added points
LM_UPDATES = 2000
LM_THEN = "cosine_decay(to=0.1)"
LM_FIXED = {"constant(0) >> cosine(to=0.1)": "none", "linear(5%) >> cosine(to=0.1)": "linear(5%)",
            "linear(20%) >> cosine(to=0.1)": "linear(20%)"}
LM_CSV = os.environ.get("OOS_LM_CSV", os.path.join(ROOT, "docs", "results", "decay", "preln-lm.csv"))
METHODS = ["none", "linear(5%)", "linear(20%)", "auto"]


def _lm_job(args: tuple[str, float, int]) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)
    from _train import train

    task, lr, seed = args
    r = train(task, {}, lr, "auto", seed, LM_UPDATES, then=LM_THEN, charge=True)
    r.pop("lr_curve")
    r.pop("train_loss")  # 2000 numbers a run; the row keeps what the reports read
    return r


def run_lm(task: str, out: str, workers: int, seeds: list[int], lrs: list[float]) -> None:
    """auto_warmup's runs on an LM task in the decay recipe (2000 updates, then cosine to 10%), compute charged."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    done = {(r["task"], r["lr"], r["seed"]) for r in map(json.loads, open(out))} if os.path.exists(out) else set()
    todo = [(task, lr, s) for lr in lrs for s in seeds if (task, lr, s) not in done]
    print(f"{len(todo)} runs to do", flush=True)
    with open(out, "a") as f, ProcessPoolExecutor(workers) as pool:
        for r in pool.map(_lm_job, todo):
            f.write(json.dumps(r) + "\n")
            f.flush()
            print(r["lr"], r["seed"], r["updates"], round(r["final_val_loss"], 4), r["diverged"], r["stalled"],
                  round(r["wall_s"], 1), flush=True)


# ---- the report -------------------------------------------------------------------------------------------------

def _rows(path: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (gzip.open(path, "rt") if path.endswith(".gz") else open(path))]


def lm_rows(auto_path: str) -> list[dict[str, Any]]:
    """preln-lm runs as one list: the fixed warmups from the decay study's CSV, auto's from its JSON lines.
    ``score`` is the final validation loss (lower is better); ``compute`` counts forward+backward passes (the
    probe's included) until the target, ``None`` if never."""
    out = []
    for r in csv.DictReader(open(LM_CSV)):
        if r["warmup"] not in LM_FIXED or int(r["updates"]) != LM_UPDATES:
            continue
        t = int(r["updates_to_target"]) if r["updates_to_target"] else None
        out.append(dict(method=LM_FIXED[r["warmup"]], lr=float(r["lr"]), seed=int(r["seed"]),
                        score=float(r["final_val_loss"]), bad=r["diverged"] == "True" or r["stalled"] == "True",
                        flag="d" if r["diverged"] == "True" else "s" if r["stalled"] == "True" else "",
                        compute=t, probe=0, updates=int(r["updates"])))
    for r in _rows(auto_path):
        if r["task"] != "preln-lm":
            continue
        p = r["info"]["backward"]
        t = r["updates_to_target"]
        out.append(dict(method="auto", lr=r["lr"], seed=r["seed"], score=r["final_val_loss"],
                        bad=r["diverged"] or r["stalled"], flag="d" if r["diverged"] else "s" if r["stalled"] else "",
                        compute=None if t is None else t + p, probe=p, probe_fwd=r["info"]["forward"],
                        start=r["info"]["start"], handover=r["info"].get("handover"),
                        backoffs=r["info"].get("decisions", {}).get("backoff"), updates=r["updates"]))
    return out


def rl_rows(path: str) -> list[dict[str, Any]]:
    """cartpole runs: ``score`` is the final evaluation return (higher is better), ``bad`` a collapse."""
    out = []
    for r in _rows(path):
        p = r["info"].get("backward", 0)
        t = r["updates_to_target"]
        out.append(dict(method=r["method"], lr=r["lr"], seed=r["seed"], score=r["final_return"], bad=r["collapsed"],
                        flag="c" if r["collapsed"] else "", compute=None if t is None else t + p, probe=p,
                        probe_fwd=r["info"].get("forward", 0), start=r["info"].get("start"),
                        handover=r["info"].get("handover"), backoffs=r["info"].get("decisions", {}).get("backoff"),
                        updates=r["updates"]))
    return out


def _cell(rows: list[dict[str, Any]], method: str, lr: float) -> list[dict[str, Any]]:
    return sorted((r for r in rows if r["method"] == method and r["lr"] == lr), key=lambda r: r["seed"])


def _stable_width(rows: list[dict[str, Any]], method: str, lrs: list[float]) -> tuple[float, list[float]]:
    best: list[float] = []
    run: list[float] = []
    for lr in lrs:
        c = _cell(rows, method, lr)
        run = [*run, lr] if c and not any(r["bad"] for r in c) else []
        if run and (not best or run[-1] / run[0] > best[-1] / best[0]):
            best = run
    return (best[-1] / best[0] if best else 0.0), best


def task_report(name: str, rows: list[dict[str, Any]], higher: bool, what: str, budget: int) -> list[str]:
    lrs = sorted({r["lr"] for r in rows})
    sign = -1 if higher else 1
    md = [f"### {name} (out of sample)", "",
          f"{what}: mean over seeds (`d` diverged, `s` stalled, `c` collapsed seeds, counted in the mean when they "
          "have a number); compute to target in brackets (median over seeds that got there, forward+backward "
          "passes, the probe's included).", "",
          "| method | " + " | ".join(f"lr {lr:g}" for lr in lrs) + " | stable range |", "|---" * (len(lrs) + 2) + "|"]
    means: dict[tuple[str, float], float] = {}
    for m in METHODS:
        cells = []
        for lr in lrs:
            c = _cell(rows, m, lr)
            if not c:
                cells.append("-")
                continue
            vals = [r["score"] for r in c if not math.isnan(r["score"])]
            flags = "".join(r["flag"] for r in c)
            mean = statistics.mean(vals) if vals else math.nan
            if not flags:
                means[(m, lr)] = mean
            tt = [r["compute"] for r in c if r["compute"] is not None]
            cells.append((f"{mean:.4g}" if vals else "nan") + (f" ({flags})" if flags else "")
                         + (f" [{statistics.median(tt):.0f}" + ("" if len(tt) == len(c) else f", {len(tt)}/{len(c)}")
                            + "]" if tt else ""))
        w, rng = _stable_width(rows, m, lrs)
        cells.append(f"{w:g}x ({rng[0]:g}-{rng[-1]:g})" if rng else "none")
        md.append(f"| {m} | " + " | ".join(cells) + " |")
    fixed = [(m, lr) for (m, lr) in means if m in ("linear(5%)", "linear(20%)")]
    if not fixed:
        return md
    bm, blr = min(fixed, key=lambda k: sign * means[k])
    best = means[(bm, blr)]
    w_none, _ = _stable_width(rows, "none", lrs)
    w_auto, _ = _stable_width(rows, "auto", lrs)
    auto = _cell(rows, "auto", blr)
    ref = {r["seed"]: r for r in _cell(rows, bm, blr)}
    pairs = [(r["seed"], r["score"], ref[r["seed"]]["score"]) for r in auto if r["seed"] in ref]
    ratios = [(b / a if higher else a / b) for _, a, b in pairs]
    amean = statistics.mean(r["score"] for r in auto) if auto else math.nan
    ratio = (best / amean) if higher else (amean / best)
    tt_a = [r["compute"] for r in auto]
    tt_b = [ref[s]["compute"] for s in ref]
    t_ratio = (statistics.mean(tt_a) / statistics.mean(tt_b)
               if tt_a and tt_b and None not in tt_a and None not in tt_b else math.nan)
    se = statistics.stdev(ratios) / math.sqrt(len(ratios)) if len(ratios) > 1 else math.nan
    verdict = lambda ok: "**met**" if ok else "**missed**"
    md += ["", f"Best fixed warmup: `{bm}` at lr {blr:g} ({what.split(':')[0].lower()} {best:.4g}, mean of "
               f"{len(ref)} seeds). No warmup: stable range {w_none:g}x.", "",
           "| goal | auto | verdict |", "|---|---|---|",
           (f"| final {'return' if higher else 'val loss'} within 1% of the best fixed warmup at its LR "
            f"({'best / auto' if higher else 'auto / best'} <= 1.01) | {ratio:.4f} (auto {amean:.4g}, n={len(auto)}); "
            f"paired by seed {statistics.mean(ratios):.4f} ± {se:.4f}: "
            + ", ".join(f"seed {s}: {a:.4g} vs {b:.4g}" for s, a, b in pairs) + f" | {verdict(ratio <= 1.01)} |"),
           (f"| compute to target <= 1.1x the best fixed warmup's (probe included) | "
            + (f"{t_ratio:.2f} ({statistics.mean(tt_a):.0f} vs {statistics.mean(tt_b):.0f} passes)"
               if not math.isnan(t_ratio) else "not every seed reached the target: " + f"{tt_a} vs {tt_b}")
            + f" | {verdict(t_ratio <= 1.1) if not math.isnan(t_ratio) else '**missed**'} |"),
           (f"| stable range >= 4x the no-warmup range | {w_auto / w_none if w_none else math.nan:.2f} "
            f"({w_auto:g}x against {w_none:g}x) | {verdict(w_none > 0 and w_auto / w_none >= 4)} |")]
    a_all = [r for r in rows if r["method"] == "auto"]
    probe = [r["probe"] for r in a_all]
    md += ["", (f"Cost: the probe took {min(probe)}-{max(probe)} backward passes (mean {statistics.mean(probe):.0f}) "
                f"and {min(r['probe_fwd'] for r in a_all)}-{max(r['probe_fwd'] for r in a_all)} forward passes: "
                f"{statistics.mean(probe) / budget:.1%} of the {budget}-update budget, which the run trained "
                "fewer. What auto did, per LR:"), "",
           "| lr | start per seed | probe backward passes | hand-over at update (mean; runs that got there) | "
           "back-offs (mean) |", "|---|---|---|---|---|"]
    for lr in lrs:
        c = _cell(rows, "auto", lr)
        if not c:
            continue
        h = [r["handover"] for r in c if r["handover"] is not None]
        starts = ", ".join(f"{r['start']:g}" for r in c)
        passes = ", ".join(str(r["probe"]) for r in c)
        hand = f"{statistics.mean(h):.0f} ({len(h)}/{len(c)})" if h else f"never (0/{len(c)})"
        back = statistics.mean(r["backoffs"] or 0 for r in c)
        md.append(f"| {lr:g} | {starts} | {passes} | {hand} | {back:.1f} |")
    return md


SECTION = "## Evaluation out of sample: preln-lm and cartpole"


def plot(name: str, rows: list[dict[str, Any]], ylabel: str, path: str) -> None:
    """Mean score against peak LR per method (dots: seeds; collapsed or diverged seeds drawn where they have a
    number): the sensitivity curve."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 3.6), dpi=100, layout="constrained")
    ax = fig.subplots()
    lrs = sorted({r["lr"] for r in rows})
    for m in METHODS:
        xs = [lr for lr in lrs if any(not math.isnan(r["score"]) for r in _cell(rows, m, lr))]
        ys = [statistics.mean(r["score"] for r in _cell(rows, m, lr) if not math.isnan(r["score"])) for lr in xs]
        line = ax.plot(xs, ys, marker="o", label=m, linestyle="-" if m == "auto" else "--")[0]
        for lr in xs:
            v = [r["score"] for r in _cell(rows, m, lr) if not math.isnan(r["score"])]
            ax.scatter([lr] * len(v), v, s=8, alpha=0.35, color=line.get_color())
    ax.set_xscale("log")
    ax.set_xlabel("peak learning rate")
    ax.set_ylabel(ylabel)
    ax.set_title(f"{name} (out of sample): warmup then cosine to 10%", fontsize="medium")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    fig.savefig(path)


def report(lm_auto: str, rl: str, write: str | None) -> None:
    from _report import write_section

    lm, cp = lm_rows(lm_auto), rl_rows(rl)
    md = [SECTION, "",
          ("Written by `python benchmarks/auto/out_of_sample.py report --lm-auto docs/results/decay/auto.jsonl "
           "--rl docs/auto/oos-cartpole.jsonl.gz --write docs/auto.md` from the runs of the protocol above "
           "(`run-lm` for `auto` on preln-lm, the decay-recipe CSV for its fixed warmups, `rl_cartpole.py` for "
           "cartpole). `auto` is `auto_warmup` with the frozen defaults; its probe's backward passes are charged "
           "(the run trains that many updates fewer and they count in its compute to target)."), ""]
    md += task_report("preln-lm", lm, False, "Final validation loss", LM_UPDATES)
    md += ["", "![preln-lm: final validation loss against peak LR](auto/oos-preln-lm.png)", ""]
    md += task_report("cartpole", cp, True, "Final return", 3200)
    md += ["", "![cartpole: final return against peak LR](auto/oos-cartpole.png)", ""]
    print("\n".join(md))
    if write:
        here = os.path.dirname(os.path.abspath(write))
        plot("preln-lm", lm, "final validation loss (dots: seeds)", os.path.join(here, "auto", "oos-preln-lm.png"))
        plot("cartpole", cp, "final return, 20 episodes (dots: seeds)", os.path.join(here, "auto", "oos-cartpole.png"))
        write_section(write, SECTION, md)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("run-lm")
    a.add_argument("--task", default="preln-lm")
    a.add_argument("--out", default=os.path.join(ROOT, "docs", "results", "decay", "auto.jsonl"))
    a.add_argument("--workers", type=int, default=2)
    a.add_argument("--seeds", default="0,1,2")
    a.add_argument("--lrs", default=",".join(map(str, LM_LRS)))
    b = sub.add_parser("report")
    b.add_argument("--lm-auto", required=True)
    b.add_argument("--rl", required=True)
    b.add_argument("--write")
    args = ap.parse_args()
    if args.cmd == "run-lm":
        run_lm(args.task, args.out, args.workers, [int(s) for s in args.seeds.split(",")],
               [float(x) for x in args.lrs.split(",")])
    else:
        report(args.lm_auto, args.rl, args.write)


if __name__ == "__main__":
    main()
