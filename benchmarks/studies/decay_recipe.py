"""The decay-recipe study's report: warmup then cosine decay to 10% of the peak, over a grid of peak LRs and seeds,
read from the study's CSV (one row per run). Writes a section of docs/results.md and a sensitivity figure.

For each warmup: (a) faster convergence: updates until the task's target train loss, at that warmup's best LR;
(b) better final loss: the final validation loss at its best LR (mean over seeds, with each seed); (c) robustness:
the final validation loss as a function of the peak LR, and the range of grid LRs whose mean is within 2% of the
best of all warmups. With ``--auto``, rampup.auto.auto_warmup's runs in the same recipe (benchmarks/auto/
out_of_sample.py run-lm) are a row too, their probe's backward passes charged (the run trains that many updates
fewer, and they count in its updates to target).

    python benchmarks/studies/decay_recipe.py docs/results/decay/postln-lm.csv --auto docs/results/decay/auto.jsonl \
        --write docs/results.md
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

SECTION = "## The decay recipe on {task}: warmup, then cosine to 10%"
AUTO = "auto (probe + online)"
NAMES = {"constant(0) >> cosine(to=0.1)": "no warmup", "linear(5%) >> cosine(to=0.1)": "linear 5%",
         "linear(20%) >> cosine(to=0.1)": "linear 20%", AUTO: AUTO}
MODELS = {"postln-lm": "6-layer Post-LN transformer, d 64, Adam beta2 0.98",
          "preln-lm": "6-layer Pre-LN transformer, d 64, Adam beta2 0.98"}


def load(path: str) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load_auto(path: str, task: str) -> list[dict[str, str]]:
    """auto_warmup's rows for ``task`` in the CSV's form; updates to target count the probe's backward passes."""
    out = []
    for line in open(path):
        r = json.loads(line)
        if r["task"] != task:
            continue
        to = r["updates_to_target"]
        out.append({"warmup": AUTO, "lr": str(r["lr"]), "seed": str(r["seed"]), "updates": str(r["info"]["budget"]),
                    "final_val_loss": str(r["final_val_loss"]), "diverged": str(r["diverged"]),
                    "stalled": str(r["stalled"]), "target_loss": "",
                    "updates_to_target": "" if to is None else str(to + r["info"]["backward"])})
    return out


def cells(rows: list[dict[str, str]]) -> dict[tuple[str, float], list[dict[str, str]]]:
    out: dict[tuple[str, float], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        out[(r["warmup"], float(r["lr"]))].append(r)
    return out


def _ok(r: dict[str, str]) -> bool:
    return r["diverged"] != "True" and r["stalled"] != "True"


def _seeds_text(grid: dict[tuple[str, float], list[dict[str, str]]]) -> str:
    """The seeds every cell has, then the extra ones per LR: "0, 1, 2 (and 3, 4 at 0.0075)"."""
    per_lr: dict[float, set[int]] = defaultdict(set)
    for (_, lr), v in grid.items():
        per_lr[lr] |= {int(r["seed"]) for r in v}
    every = set.intersection(*({int(r["seed"]) for r in v} for v in grid.values()))
    if not every:
        return ", ".join(map(str, sorted(set().union(*per_lr.values()))))
    return ", ".join(map(str, sorted(every))) + "".join(
        f" (and {', '.join(map(str, sorted(s - every)))} at {lr:g})" for lr, s in sorted(per_lr.items()) if s - every)


def report(path: str, figure: Path | None, auto: str | None = None) -> list[str]:
    rows = load(path)
    task = rows[0]["task"]
    if auto:
        rows += load_auto(auto, task)
    grid = cells(rows)
    warmups = [w for w in NAMES if any(k[0] == w for k in grid)]
    lrs = sorted({k[1] for k in grid})
    updates = rows[0]["updates"]
    mean = {k: statistics.mean(float(r["final_val_loss"]) for r in v) for k, v in grid.items()}
    best_lr = {w: min((lr for lr in lrs if (w, lr) in mean), key=lambda lr: mean[(w, lr)]) for w in warmups}
    overall = min(mean[(w, best_lr[w])] for w in warmups)
    lines = [SECTION.format(task=task), "",
             (f"{task} ({MODELS.get(task, task)}), {updates} updates: the warmup, then "
              "cosine decay to 10% of the peak over the rest of the run, as practitioners train. Peak LRs "
              f"{', '.join(f'{lr:g}' for lr in lrs)}; seeds {_seeds_text(grid)}; one torch thread per run, "
              "two runs side by side on 2 cores. Data: "
              f"[{Path(path).name}](results/decay/{Path(path).name})"
              + (f" and [{Path(auto).name}](results/decay/{Path(auto).name}) (`{AUTO}`: `rampup.auto.auto_warmup` "
                 "with its defaults, then the same cosine; its probe's backward passes are charged: the run trains "
                 "that many updates fewer, and they count in its updates to target)" if auto else "")
              + f". Command: `bash benchmarks/studies/run_grids.sh {'decay' if task == 'postln-lm' else 'decay-preln'}`"
              + (" (the fixed warmups, then auto's runs with `benchmarks/auto/out_of_sample.py run-lm`)"
                 if auto else "")
              + f", then `python benchmarks/studies/decay_recipe.py {path}"
              + (f" --auto {auto}" if auto else "") + " --write docs/results.md`."), "",
             "Final validation loss (mean over seeds; `d` a diverged seed, `s` a stalled one):", "",
             "| warmup | " + " | ".join(f"{lr:g}" for lr in lrs) + " |", "|---" * (len(lrs) + 1) + "|"]
    for w in warmups:
        row = []
        for lr in lrs:
            v = grid.get((w, lr), [])
            if not v:
                row.append("")
                continue
            flags = "".join("d" if r["diverged"] == "True" else "s" if r["stalled"] == "True" else "" for r in v)
            cell = f"{mean[(w, lr)]:.3f}" + (f" ({flags})" if flags else "")
            row.append(f"**{cell}**" if lr == best_lr[w] else cell)
        lines.append(f"| {NAMES[w]} | " + " | ".join(row) + " |")
    lines += ["", "| warmup | best LR | final val at it (per seed) | updates to target (per seed) | LRs within 2% "
              "of the best of all |", "|---|---|---|---|---|"]
    for w in warmups:
        v = sorted(grid[(w, best_lr[w])], key=lambda r: int(r["seed"]))
        per = ", ".join(f"{float(r['final_val_loss']):.3f}" for r in v)
        to = ", ".join(r["updates_to_target"] or "never" for r in v)
        near = [lr for lr in lrs if (w, lr) in mean and mean[(w, lr)] <= 1.02 * overall
                and all(_ok(r) for r in grid[(w, lr)])]
        width = f"{min(near):g} to {max(near):g} ({max(near) / min(near):g}x)" if near else "none"
        lines.append(f"| {NAMES[w]} | {best_lr[w]:g} | {mean[(w, best_lr[w])]:.3f} ({per}) | {to} | {width} |")
    target = rows[0]["target_loss"]  # the study CSV's first row
    lines += ["", (f"Updates to target: the first update after which the mean train loss of the last 10 updates is "
                   f"at or below {target} (the task's target). The LR range counts grid LRs, neighbouring or not, "
                   "whose mean is within 2% of the best mean of any warmup, with no seed diverged or stalled."), ""]
    if figure is not None:
        _figure(task, grid, mean, warmups, lrs, figure)
        lines += [f"![final validation loss against peak LR](results/decay/{figure.name})", ""]
    return lines


def _figure(task, grid, mean, warmups, lrs, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 3.6), dpi=100, layout="constrained")
    ax = fig.subplots()
    for w in warmups:
        xs = [lr for lr in lrs if (w, lr) in mean]
        ax.plot(xs, [mean[(w, lr)] for lr in xs], marker="o", label=NAMES[w])
        for lr in xs:
            ax.scatter([lr] * len(grid[(w, lr)]), [float(r["final_val_loss"]) for r in grid[(w, lr)]], s=8, alpha=0.4)
    ax.set_xscale("log")
    ax.set_xlabel("peak learning rate")
    ax.set_ylabel("final validation loss (dots: seeds)")
    ax.set_title(f"{task}, warmup then cosine to 10%: loss against peak LR", fontsize="medium")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    fig.savefig(path)


def write_section(path: str, lines: list[str]) -> None:
    text = Path(path).read_text()
    start = text.find(lines[0])
    if start < 0:
        at = text.find("\n## Reproducing")
        at = len(text) if at < 0 else at + 1
        text = text[:at] + "\n".join(lines) + "\n" + text[at:]
    else:
        nxt = text.find("\n## ", start + len(lines[0]))
        text = text[:start] + "\n".join(lines) + ("\n" + text[nxt + 1:] if nxt >= 0 else "\n")
    Path(path).write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("--auto", help="auto_warmup's rows (JSON lines of benchmarks/auto/out_of_sample.py run-lm)")
    ap.add_argument("--write", help="replace (or add) the section in this markdown file, and draw the figure")
    args = ap.parse_args()
    task = load(args.csv)[0]["task"]
    fig = Path(args.csv).with_name(f"decay-recipe-{task}.png") if args.write else None
    lines = report(args.csv, fig, args.auto)
    print("\n".join(lines))
    if args.write:
        write_section(args.write, lines)


if __name__ == "__main__":
    sys.exit(main())
