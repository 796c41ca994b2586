"""Tables and figures of the rampup.auto evaluation from the rows of evaluate.py.

    python benchmarks/auto/report.py /tmp/auto_eval/rows.jsonl docs/auto   (or docs/auto/rows.jsonl.gz)
"""

from __future__ import annotations

import gzip
import json
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evaluate import AUTO, TASKS


def load(path):
    rows = {}
    for line in (gzip.open(path, "rt") if path.endswith(".gz") else open(path)):
        r = json.loads(line)
        rows[(r["task"], r["lr"], r["method"], r["seed"])] = r
    return rows


def cell(rows, task, lr, method, seeds=None):
    rs = [rows[k] for k in rows if k[:3] == (task, lr, method) and (seeds is None or k[3] in seeds)]
    ok = [r for r in rs if not r["diverged"] and not r["stalled"]]
    val = statistics.mean(r["final_val_loss"] for r in ok) if len(ok) == len(rs) and rs else math.nan
    tt = [r["updates_to_target"] for r in rs]
    to_t = statistics.mean(tt) if rs and all(t is not None for t in tt) else None
    status = f"{len(ok)}/{len(rs)}"
    return dict(n=len(rs), ok=len(ok), val=val, to_target=to_t, status=status,
                div=sum(r["diverged"] for r in rs), stall=sum(r["stalled"] for r in rs))


def stable_width(rows, task, method, seeds=None):
    """max/min LR of the widest run of neighbouring grid LRs where every seed neither diverged nor stalled (1.0 for
    one LR, 0 for none): a stable LR beyond an unstable one does not widen the range."""
    best: list = []
    run: list = []
    for lr in TASKS[task]["lrs"]:
        c = cell(rows, task, lr, method, seeds)
        run = [*run, lr] if c["n"] and c["ok"] == c["n"] else []
        if run and (not best or run[-1] / run[0] > best[-1] / best[0]):
            best = run
    return (best[-1] / best[0] if best else 0.0), best


def main():
    rows = load(sys.argv[1])
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    md = []
    for task, t in TASKS.items():
        methods = t["grid"] + AUTO
        md.append(f"### {task}\n")
        md.append("Mean final validation loss over the seeds (stable runs only; `stall`/`div` counts otherwise), "
                  "updates to the target loss in brackets.\n")
        md.append("| method | " + " | ".join(f"lr {lr:g}" for lr in t["lrs"]) + " | stable range |")
        md.append("|---" * (len(t["lrs"]) + 2) + "|")
        for m in methods:
            cells = []
            for lr in t["lrs"]:
                c = cell(rows, task, lr, m)
                if not c["n"]:
                    cells.append("-")
                elif c["ok"] == c["n"]:
                    cells.append(f"{c['val']:.4f}" + (f" [{c['to_target']:.0f}]" if c["to_target"] else ""))
                else:
                    cells.append(f"{c['ok']}/{c['n']} ok ({c['stall']} stall, {c['div']} div)")
            w, lrs = stable_width(rows, task, m)
            cells.append(f"{w:g}x" if lrs else "none")
            md.append(f"| {m} | " + " | ".join(cells) + " |")
        # the goals
        fixed = [m for m in t["grid"] if m != "none"]
        best = None
        for m in fixed:
            for lr in t["lrs"]:
                c = cell(rows, task, lr, m)
                if c["n"] and c["ok"] == c["n"] and (best is None or c["val"] < best[2]):
                    best = (m, lr, c["val"], c["to_target"])
        w_none, _ = stable_width(rows, task, "none")
        md.append("")
        if best:
            md.append(f"Best fixed warmup: `{best[0]}` at lr {best[1]:g} (val {best[2]:.4f}, target after "
                      f"{best[3]:.1f} updates, mean of the seeds). No warmup: stable range {w_none:g}x.\n")
            three = t["seeds"][:3]
            w3_none, _ = stable_width(rows, task, "none", three)
            md.append("| method | range / no-warmup range (goal >= 4) | the same, seeds 0-2 only | val at best lr / "
                      "best fixed (goal <= 1.01) | paired by seed: mean ratio ± s.e. | updates to target / best "
                      "fixed (goal <= 1.1) |")
            md.append("|---|---|---|---|---|---|")
            for m in AUTO:
                w, _ = stable_width(rows, task, m)
                w3, _ = stable_width(rows, task, m, three)
                c = cell(rows, task, best[1], m)
                r_val = c["val"] / best[2] if c["n"] else math.nan
                r_t = (c["to_target"] / best[3]) if c["to_target"] and best[3] else math.nan
                md.append(f"| {m} | {w / w_none if w_none else math.nan:.2f} | "
                          f"{w3 / w3_none if w3_none else math.nan:.2f} | {r_val:.4f} | "
                          f"{paired(rows, task, best[1], m, best[0])} | {r_t:.2f} |")
        md.append("")
        md.append(costs(rows, task, t))
        plot(rows, task, methods, os.path.join(out, f"{task}.png"))
    text = "\n".join(md)
    open(os.path.join(out, "tables.md"), "w").write(text + "\n")
    print(text)


def paired(rows, task, lr, method, ref):
    """Mean over seeds of val(method) / val(ref) at ``lr``, seed by seed (same initialisation and batches), with
    its standard error: the noise against which the 1% goal is judged."""
    ratios = []
    for (tk, l, m, seed), r in rows.items():
        if (tk, l, m) == (task, lr, method) and (task, lr, ref, seed) in rows:
            o = rows[(task, lr, ref, seed)]
            if not (r["diverged"] or r["stalled"] or o["diverged"] or o["stalled"]):
                ratios.append(r["final_val_loss"] / o["final_val_loss"])
    if len(ratios) < 2:
        return "-"
    se = statistics.stdev(ratios) / math.sqrt(len(ratios))
    return f"{statistics.mean(ratios):.4f} ± {se:.4f} (n={len(ratios)})"


def costs(rows, task, t):
    """The probes' cost (forward/backward passes, against the run's own updates) and what the controllers did."""
    lines = [("| method | lr | probe fwd / bwd (mean) | bwd / run's updates | start (mean) | hand-over at (mean, of runs "
              "that reached the peak) | back-offs (mean) |"), "|---|---|---|---|---|---|---|"]
    for m in AUTO:
        if m == "rule":
            continue
        for lr in t["lrs"]:
            rs = [rows[k] for k in rows if k[:3] == (task, lr, m)]
            if not rs:
                continue
            info = [r["info"] for r in rs]
            fwd = [i["forward"] for i in info if "forward" in i]
            bwd = [i["backward"] for i in info if "backward" in i]
            start = [i["start"] for i in info if "start" in i]
            hand = [i["handover"] for i in info if i.get("handover") is not None]
            back = [i["decisions"]["backoff"] for i in info if "decisions" in i]
            mean = lambda xs, f="{:.1f}": f.format(statistics.mean(xs)) if xs else "-"
            lines.append(f"| {m} | {lr:g} | {mean(fwd, '{:.0f}')} / {mean(bwd, '{:.0f}')} | "
                         f"{mean([b / t['updates'] for b in bwd], '{:.0%}')} | {mean(start, '{:.3g}')} | "
                         f"{mean(hand)} ({len(hand)}/{len(rs)}) | {mean(back)} |")
    return "\n".join(lines) + "\n"


def plot(rows, task, methods, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    colors = plt.get_cmap("tab20").colors
    for i, m in enumerate(methods):
        xs, ys = [], []
        for lr in TASKS[task]["lrs"]:
            rs = [rows[k] for k in rows if k[:3] == (task, lr, m)]
            vals = [r["final_val_loss"] for r in rs if not r["diverged"]]
            if vals:
                xs.append(lr)
                ys.append(statistics.mean(vals))
        style = "-o" if m in AUTO else "--."
        ax.plot(xs, ys, style, label=m, alpha=0.9, color=colors[i % len(colors)])
    ax.set_xscale("log")
    ax.set_xlabel("peak LR (grid value)")
    ax.set_ylabel("final val loss (mean of seeds,\ndiverged runs left out)")
    ax.set_title(task)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main()
