"""``rampup study``: a grid of runs (peak LR x warmup x seed) into a resumable CSV, then a heatmap and a summary."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import platform
import statistics
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import RampupError
from ..core.validate import check_int, check_number
from ._runner import RunResult, resolve_warmup, run_one
from ._tasks import Task, get_task

__all__ = ["CSV_FIELDS", "StudyResult", "read_runs", "run_study", "summarize"]

CSV_FIELDS = [
    "task", "options", "seed", "lr", "peak_lr", "warmup", "schedule", "updates", "threads",
    "final_train_loss", "final_val_loss", "final_metric", "metric_name", "diverged", "diverged_at", "stalled",
    "updates_to_target", "target_loss", "reference_loss", "wall_s", "torch", "numpy", "rampup", "python", "machine",
]


@dataclass(frozen=True)
class StudyResult:
    """Where a study wrote its results and what it did.

    Attributes:
        csv_path: one row per finished run (all studies of this task in this folder).
        heatmap_path, summary_path: the figure and the markdown summary of this grid (``None`` if not asked for).
        rows: the CSV rows of this grid, as dicts of strings.
        ran: runs done by this call; skipped: runs already in the CSV.
    """

    csv_path: Path
    heatmap_path: Path | None
    summary_path: Path | None
    rows: list[dict[str, str]]
    ran: int
    skipped: int


def _versions() -> dict[str, str]:
    import numpy
    import torch

    from .. import __version__

    return {"torch": torch.__version__, "numpy": numpy.__version__, "rampup": __version__,
            "python": platform.python_version(), "machine": f"{platform.machine()} {os.cpu_count()} cpu"}


def _options_json(options: dict[str, Any]) -> str:
    return json.dumps(options, sort_keys=True, separators=(",", ":"))


def _key(task: str, options: str, seed: int, lr: float, warmup: str, updates: int) -> tuple[Any, ...]:
    return (task, options, seed, lr, warmup, updates)


def _row_key(row: dict[str, str]) -> tuple[Any, ...] | None:
    try:
        return _key(row["task"], row["options"], int(row["seed"]), float(row["lr"]), row["warmup"],
                    int(row["updates"]))
    except (KeyError, TypeError, ValueError):
        return None


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _row(result: RunResult, versions: dict[str, str]) -> dict[str, str]:
    values = {name: getattr(result, name) for name in CSV_FIELDS if hasattr(result, name)}
    values["options"] = _options_json(result.options)
    values.update(versions)
    return {name: _fmt(values[name]) for name in CSV_FIELDS}


def read_runs(path: str | os.PathLike[str], *, repair: bool = False) -> list[dict[str, str]]:
    """The finished runs in a study CSV, as dicts of strings (``[]`` if the file does not exist).

    A last line without its newline is a row torn by a killed study: it is ignored, and with ``repair=True`` cut off
    the file so that the next row starts on a line of its own. Rows with a wrong number of fields are ignored.

    Raises:
        RampupError: the file's header is not a study CSV's header.

    Example:
        >>> import tempfile, pathlib
        >>> from rampup.studies import read_runs
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
        >>> _ = p.write_text(",".join(CSV_FIELDS) + "\\n" + "x," * 5)
        >>> read_runs(p, repair=True), p.read_text().count("\\n")
        ([], 1)
    """
    path = Path(path)
    if not path.exists():
        return []
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        data = data[:cut]
        if repair:
            with open(path, "r+b") as f:
                f.truncate(cut)
                f.flush()
                os.fsync(f.fileno())
    if not data:
        return []
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    header = next(reader, None)
    if header != CSV_FIELDS:
        raise RampupError(f"{path} is not a rampup study CSV (its header differs); use another output folder")
    return [dict(zip(CSV_FIELDS, fields, strict=False)) for fields in reader if len(fields) == len(CSV_FIELDS)]


def _append(path: Path, row: dict[str, str]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if not path.exists() or path.stat().st_size == 0:
        writer.writerow(CSV_FIELDS)
    writer.writerow([row[name] for name in CSV_FIELDS])
    # one write of whole lines, then to disk: a kill leaves at most a torn last line, which read_runs ignores
    with open(path, "a", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())
        f.flush()
        os.fsync(f.fileno())


@contextlib.contextmanager
def _exclusive(lock_path: Path, csv_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` so that two studies never append the same runs to one CSV."""
    try:
        import fcntl
    except ImportError:  # no POSIX locks (Windows): one study per folder is then the user's to ensure
        yield
        return
    with open(lock_path, "a") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RampupError(f"another study is writing {csv_path}; wait for it or use another output folder") \
                from None
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _check_list(name: str, values: Iterable[Any]) -> list[Any]:
    out = list(values)
    if not out:
        raise RampupError(f"run_study: {name} must not be empty")
    seen = set()
    for v in out:
        if v in seen:
            raise RampupError(f"run_study: {name} lists {v!r} twice")
        seen.add(v)
    return out


def run_study(task: str | Task, peak_lrs: Iterable[float] | None = None, warmups: Iterable[str] | None = None,
              seeds: Iterable[int] = (0, 1, 2), updates: int | None = None, out_dir: str | os.PathLike[str] = ".",
              *, task_options: dict[str, Any] | None = None, threads: int = 1, progress: bool = True,
              report: bool = True, console: Any = None) -> StudyResult:
    """Run every (peak LR, warmup, seed) of the grid with :func:`run_one`, appending one row per finished run to
    ``out_dir/<task>.csv``; runs already in it are skipped, so a killed study resumes where it stopped. Then write
    ``<task>-heatmap.png`` and ``<task>-summary.md`` for this grid (``report=False``: neither).

    All arguments are checked before the first run. ``peak_lrs``, ``warmups`` and ``updates`` default to the
    task's. Each row records the seed, the configuration, the outcome and the versions of torch, numpy, rampup and
    python.

    Example:
        >>> import tempfile
        >>> from rampup.studies import run_study
        >>> out = tempfile.mkdtemp()
        >>> r = run_study("digits-largebatch", [0.1], ["none"], seeds=[0], updates=3, out_dir=out,
        ...               task_options={"quick": True}, progress=False, report=False)
        >>> r.ran, r.skipped, r.rows[0]["warmup"]
        (1, 0, 'none')
        >>> run_study("digits-largebatch", [0.1], ["none"], seeds=[0], updates=3, out_dir=out,
        ...           task_options={"quick": True}, progress=False, report=False).skipped
        1
    """
    task = get_task(task, **(task_options or {}))
    updates = task.default_updates if updates is None else updates
    lrs = [check_number("run_study", "peak_lrs", lr, 0.0, None, lo_open=True)
           for lr in _check_list("peak_lrs", task.default_lrs if peak_lrs is None else peak_lrs)]
    warmup_list = _check_list("warmups", task.default_warmups if warmups is None else warmups)
    seed_list = _check_list("seeds", seeds)
    for s in seed_list:
        check_int("run_study", "seeds", s, 0)
    check_int("run_study", "threads", threads, 1)
    for w in warmup_list:
        resolve_warmup(w, updates)  # every spec is checked (and its error raised) before anything runs
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / f"{task.name}.csv"
    options = _options_json(task.options)
    with _exclusive(out / f".{task.name}.lock", csv_path):
        done = {k for k in map(_row_key, read_runs(csv_path, repair=True)) if k is not None}
        # seed-major: a study stopped early still covers the whole grid with its first seeds
        grid = [(lr, w, s) for s in seed_list for w in warmup_list for lr in lrs]
        todo = [g for g in grid if _key(task.name, options, g[2], g[0], g[1], updates) not in done]
        versions = _versions()

        bar = _progress(console) if progress and todo else None
        with bar if bar is not None else contextlib.nullcontext():
            grid_bar = bar.add_task(f"{task.name} grid", total=len(todo), info=f"{len(grid) - len(todo)} done before") \
                if bar else None
            run_bar = bar.add_task("run", total=updates, info="") if bar else None
            for lr, w, s in todo:
                if bar is not None:
                    bar.reset(run_bar, total=updates, description=f"lr={lr:g} {w} seed={s}", info="")

                def tick(t: int, loss: float) -> None:
                    if bar is not None:
                        bar.update(run_bar, completed=t + 1, info=f"loss {loss:.3f}")

                result = run_one(task, lr, w, s, updates, threads=threads, on_update=tick)
                _append(csv_path, _row(result, versions))
                if bar is not None:
                    bar.advance(grid_bar)

    keys = {_key(task.name, options, s, lr, w, updates) for lr, w, s in grid}
    first: dict[tuple[Any, ...], dict[str, str]] = {}
    for r in read_runs(csv_path):
        k = _row_key(r)
        if k in keys:
            first.setdefault(k, r)  # a row written twice by hand or by two studies counts once
    rows = list(first.values())
    heatmap = summary = None
    if report:
        heatmap = out / f"{task.name}-heatmap.png"
        summary = out / f"{task.name}-summary.md"
        cells = _cells(rows, lrs, warmup_list)
        _heatmap(heatmap, task, cells, lrs, warmup_list, updates, len(seed_list))
        summary.write_text(summarize(rows, lrs, warmup_list, task_name=task.name, heatmap=heatmap.name),
                           encoding="utf-8")
    return StudyResult(csv_path, heatmap, summary, rows, len(todo), len(grid) - len(todo))


def _progress(console: Any) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.fields[info]}"), console=console or Console(stderr=True))


@dataclass
class _Cell:
    val: list[float]
    train: list[float]
    diverged: int
    stalled: int
    to_target: list[int]
    n: int

    @property
    def mean(self) -> float:
        return statistics.fmean(self.val) if self.val else math.nan

    @property
    def sd(self) -> float:
        return statistics.stdev(self.val) if len(self.val) > 1 else 0.0

    @property
    def stable(self) -> bool:
        return self.n > 0 and self.diverged == 0 and self.stalled == 0


def _cells(rows: list[dict[str, str]], lrs: list[float], warmups: list[str]) -> dict[tuple[str, float], _Cell]:
    cells = {(w, lr): _Cell([], [], 0, 0, [], 0) for w in warmups for lr in lrs}
    for r in rows:
        cell = cells.get((r["warmup"], float(r["lr"])))
        if cell is None:
            continue
        cell.n += 1
        if r["diverged"] == "True":
            cell.diverged += 1
            continue
        cell.stalled += r["stalled"] == "True"
        cell.val.append(float(r["final_val_loss"]))
        cell.train.append(float(r["final_train_loss"]))
        if r["updates_to_target"]:
            cell.to_target.append(int(r["updates_to_target"]))
    return cells


def summarize(rows: list[dict[str, str]], lrs: Sequence[float], warmups: Sequence[str], *, task_name: str = "",
              heatmap: str | None = None) -> str:
    """The markdown summary of a grid's rows: per warmup, the stable peak LRs (no seed diverged or stalled), the
    best mean final validation loss and where, and the updates to the target loss; then the full tables.

    Example:
        >>> from rampup.studies import summarize
        >>> row = dict(task="t", warmup="none", lr="0.1", diverged="False", stalled="False", final_val_loss="0.5",
        ...            final_train_loss="0.4", updates_to_target="7", seed="0", updates="10", target_loss="1.0",
        ...            wall_s="2.0", threads="1", options="{}", metric_name="accuracy", final_metric="0.9",
        ...            torch="", numpy="", rampup="", python="", machine="")
        >>> print(summarize([row], [0.1], ["none"]).splitlines()[8])
        | none | 0.1 | 0.1 | 0.5000 ± 0.0000 | 0.1 | 7 |
    """
    lrs, warmups = list(lrs), list(warmups)
    cells = _cells(rows, lrs, warmups)
    first = rows[0] if rows else {}
    seeds = sorted({int(r["seed"]) for r in rows})
    target = first.get("target_loss", "")
    total_s = sum(float(r["wall_s"]) for r in rows)
    lines = [
        f"# Study {task_name or first.get('task', '')}",
        "",
        (f"Task options `{first.get('options', '')}`; {first.get('updates', '?')} updates per run; seeds "
        f"{', '.join(map(str, seeds))}; {len(rows)} runs ({len(lrs) * len(warmups) * max(len(seeds), 1)} in the grid); "
        f"run time {total_s:.0f} s in all, {total_s / max(len(rows), 1):.1f} s a run, {first.get('threads', '?')} "
        f"thread(s); torch {first.get('torch', '?')}, rampup {first.get('rampup', '?')}, {first.get('machine', '?')}."),
        "",
        ("Stable: no seed diverged or stalled (ended within 5% of the reference loss). Losses are validation losses at "
        "the end, mean ± sd over the seeds that did not diverge."),
        "",
        (f"| warmup | stable peak LRs | largest stable | best final val loss | at peak LR | updates to train loss "
        f"<= {target} (median) |"),
        "|---|---|---|---|---|---|",
    ]
    for w in warmups:
        stable = [lr for lr in lrs if cells[(w, lr)].stable]
        finite = [lr for lr in lrs if cells[(w, lr)].val]
        best = min(finite, key=lambda lr: cells[(w, lr)].mean) if finite else None
        if best is None:
            best_txt, at, tgt = "all diverged", "", ""
        else:
            c = cells[(w, best)]
            best_txt, at = f"{c.mean:.4f} ± {c.sd:.4f}", f"{best:g}"
            tgt = f"{statistics.median(c.to_target):g}" if c.to_target else "not reached"
            if c.to_target and len(c.to_target) < c.n:
                tgt += f" ({len(c.to_target)}/{c.n} seeds)"
        stable_txt = ", ".join(f"{lr:g}" for lr in stable) or "none"
        largest = f"{max(stable):g}" if stable else "none"
        lines.append(f"| {w} | {stable_txt} | {largest} | {best_txt} | {at} | {tgt} |")

    head = "| warmup \\ peak LR | " + " | ".join(f"{lr:g}" for lr in lrs) + " |"
    sep = "|---" * (len(lrs) + 1) + "|"
    lines += ["", "Final validation loss, mean over seeds (×k: k seeds diverged; s k: k seeds stalled):", "",
              head, sep]
    for w in warmups:
        out = []
        for lr in lrs:
            c = cells[(w, lr)]
            txt = "–" if not c.val else f"{c.mean:.3f}"
            if c.diverged:
                txt += f" ×{c.diverged}"
            if c.stalled:
                txt += f" s{c.stalled}"
            out.append(txt)
        lines.append(f"| {w} | " + " | ".join(out) + " |")
    lines += ["", (f"Updates until the train loss (mean of the last 10) is <= {target}, median over the seeds that got "
              "there (k/n: only k of n seeds did):"), "", head, sep]
    for w in warmups:
        out = []
        for lr in lrs:
            c = cells[(w, lr)]
            txt = f"{statistics.median(c.to_target):g}" if c.to_target else "–"
            if c.to_target and len(c.to_target) < c.n:
                txt += f" ({len(c.to_target)}/{c.n})"
            out.append(txt)
        lines.append(f"| {w} | " + " | ".join(out) + " |")
    if heatmap:
        lines += ["", f"![final loss heatmap]({heatmap})"]
    return "\n".join(lines) + "\n"


def _heatmap(path: Path, task: Task, cells: dict[tuple[str, float], _Cell], lrs: list[float], warmups: list[str],
             updates: int, n_seeds: int) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import numpy as np
    from matplotlib.figure import Figure

    grid = np.array([[cells[(w, lr)].mean for lr in lrs] for w in warmups], dtype=float)
    fig = Figure(figsize=(1.3 * len(lrs) + 2.5, 0.8 * len(warmups) + 1.8), layout="constrained")
    ax = fig.subplots()
    cmap = matplotlib.colormaps["viridis_r"].with_extremes(bad="#d9d9d9")
    im = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, aspect="auto")
    fig.colorbar(im, ax=ax, label="final validation loss (mean over seeds)")
    finite = grid[np.isfinite(grid)]
    mid = float(finite.min() + finite.max()) / 2 if finite.size else 0.0
    for i, w in enumerate(warmups):
        for j, lr in enumerate(lrs):
            c = cells[(w, lr)]
            txt = "diverged" if not c.val and c.n else ("" if not c.val else f"{c.mean:.3f}")
            if c.diverged and c.val:
                txt += f"\n× {c.diverged}/{c.n} div"
            if c.stalled:
                txt += f"\nstalled {c.stalled}/{c.n}"
            dark = c.val and c.mean > mid and not c.diverged
            box = {"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.5} if c.diverged else None
            ax.text(j, i, txt, ha="center", va="center", fontsize=8, color="white" if dark else "black", bbox=box)
            if c.diverged:
                ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="xx",
                                                          edgecolor="#b2182b", linewidth=0, alpha=0.5))
    ax.set_xticks(range(len(lrs)), [f"{lr:g}" for lr in lrs])
    ax.set_yticks(range(len(warmups)), warmups)
    scale = task.peak_lr(1.0)
    ax.set_xlabel("peak LR" if scale == 1.0 else f"grid LR (the run's peak LR is {scale:g} x this)")
    ax.set_ylabel("warmup")
    ax.set_title(f"{task.name}: {updates} updates, {n_seeds} seed(s)", fontsize=10)
    fig.savefig(path, dpi=120)
