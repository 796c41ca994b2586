"""Checks a schedule against the mistakes that cost training runs, before the run.

:func:`lint` evaluates the schedule over the run's updates (every one in a run of up to 2**20 updates, else the
updates around each boundary of its structure and an even grid) and returns one :class:`Finding` per problem: its
``code``, ``severity``, the ``step`` where it shows, and a ``message`` that says what to change. Severities:
``"error"`` (the run will not do what was meant: ``rampup lint`` exits 1), ``"warning"`` (very likely a mistake;
exit 1 with ``--strict``), ``"info"`` (a choice worth knowing about). The checks, one function each:

============================  =========  ==================================================================
code                          severity   what it finds
============================  =========  ==================================================================
``first-update-zero``         info       the first update (step 0) gets LR 0 (HF, optax and Keras do it too)
``peak-not-reached``          warning    the factor never reaches the peak 1.0 (within 0.1 %) in the run
``peak-at-end``               warning    the peak is reached only at the last update
``jump-at-join``              warning    the LR jumps or drops where one phase hands over to the next
``jump``                      warning    one update changes the LR by more than ``max_jump`` where no phase
                                         was built to step (a phase a few updates long)
``warmup-too-long``           error      the warmup is as long as the run or longer (warning: > half of it)
``epoch-warmup``              warning    a warmup in epochs that resolves to more than half the run
``steps-per-epoch-1``         info       ``steps_per_epoch=1``: the sign of a scheduler stepped once per epoch
``decay-unfinished``          warning    the run ends before the decay reaches its floor
``lr-zero-tail``              warning    the LR is 0 for the last updates of the run (they do nothing)
``bad-value``                 error      a factor below 0, or not finite
``warmup-short-for-beta2``    info       a warmup shorter than Adam's untuned rule ``2 / (1 - beta2)``
============================  =========  ==================================================================

Phases built to jump are not reported by the ``jump`` checks: ``constant_warmup`` (Goyal et al.), staircase and
multi-step decays, hard restarts (``cycles``) and ``repeat``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import BudgetError, RampupError
from ..core.schedule import Scaled, Schedule
from ..core.spec import as_schedule
from ..core.units import Budget, Duration, make_budget
from ..core.validate import check_number
from ..core.warmup import RAdamWarmup, Warmup
from .facts import WarmupInfo, boundaries, joins, stepwise, warmup_info

__all__ = ["Finding", "lint"]

_SEVERITIES = ("error", "warning", "info")
_PEAK_TOL = 1e-3


@dataclass(frozen=True)
class Finding:
    """One problem :func:`lint` found.

    Attributes:
        code: a stable name for the check, e.g. ``"first-update-zero"``.
        severity: ``"error"`` (the run will not do what was meant), ``"warning"`` (very likely a mistake) or
            ``"info"`` (a choice worth knowing about).
        message: what is wrong and what to change.
        step: the update (0-based) where it shows, or ``None`` when it concerns the whole run.

    Example:
        >>> from rampup import Finding
        >>> print(Finding("first-update-zero", "info", "the first update gets LR 0", 0))
        step 0: info [first-update-zero] the first update gets LR 0
    """

    code: str
    severity: str
    message: str
    step: int | None = None

    def __post_init__(self) -> None:
        if self.severity not in _SEVERITIES:
            raise RampupError(f"Finding: severity must be one of {', '.join(_SEVERITIES)}, got {self.severity!r}")

    def __str__(self) -> str:
        where = "run" if self.step is None else f"step {self.step}"
        return f"{where}: {self.severity} [{self.code}] {self.message}"


# a run up to this many updates is looked at update by update; a longer one at a bounded sample
_FULL_SCAN = 1 << 20
_WINDOW = 64  # updates looked at on each side of a boundary of the structure (a phase's start or end)
_GRID = 1 << 16  # evenly spaced updates looked at across a long run
_MAX_BOUNDARIES = 4096


@dataclass
class _Scan:
    """What one look at the run's factors finds: all of them for a run up to ``_FULL_SCAN`` updates, else those
    around every boundary of the structure (where a phase starts or ends, a jump or a zero tail begins) and on an
    even grid. One-update changes are measured only between neighbouring updates."""

    first: float
    last: float
    peak: float
    peak_step: int
    bad_step: int | None
    last_positive: int | None
    big_steps: list[int]


def _sample(s: Schedule, total: int) -> Any:
    """The updates looked at, sorted: every one of ``0 .. total - 1`` in a short run; in a long one the windows
    around the structure's boundaries, an even grid and the last update. Its size is bounded, whatever ``total``."""
    if total <= _FULL_SCAN:
        return np.arange(total, dtype=np.float64)
    marks = np.fromiter(itertools.islice((b for b in boundaries(s) if b < total), _MAX_BOUNDARIES), dtype=np.float64)
    around = (marks[:, None] + np.arange(-_WINDOW, _WINDOW + 1)[None, :]).ravel()
    grid = np.round(np.linspace(0.0, total - 1.0, _GRID))
    steps = np.unique(np.concatenate([around, grid, [0.0, total - 1.0]]))
    return steps[(steps >= 0) & (steps <= total - 1)]


def _scan(s: Schedule, total: int, max_jump: float) -> _Scan:
    steps = _sample(s, total)
    v = np.asarray(s(steps), dtype=np.float64)
    bad = ~np.isfinite(v) | (v < 0)
    bad_step = int(steps[int(np.argmax(bad))]) if bad.any() else None
    w = np.where(bad, -np.inf, v)
    k = int(np.argmax(w))
    pos = np.nonzero(v > 0)[0]
    last_positive = None
    if len(pos):
        i = int(pos[-1])
        last_positive = int(steps[i])
        if i + 1 < len(steps) and steps[i + 1] > steps[i] + 1:  # the zero tail starts between two samples
            last_positive = _last_positive(s, last_positive, int(steps[i + 1]))
    neighbours = np.diff(steps) == 1
    jumps = np.nonzero(neighbours & (np.abs(np.diff(v)) > max_jump))[0][:1000]
    return _Scan(float(v[0]), float(v[-1]), float(w[k]), int(steps[k]), bad_step, last_positive,
                 [int(steps[j + 1]) for j in jumps])


def _last_positive(s: Schedule, lo: int, hi: int) -> int:
    """The last update in ``[lo, hi)`` with a factor above 0, by bisection (``s(lo) > 0``, ``s(hi) == 0``: a
    decay's end value held to the end of the run)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if s(mid) > 0:
            lo = mid
        else:
            hi = mid
    return lo


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.3g}%"


@dataclass
class _Run:
    """What every check reads: the schedule as resolved (``s``) and as written (``raw``), the run and its scan."""

    s: Schedule
    raw: Schedule
    total: int
    budget: Budget
    scan: _Scan
    warm: WarmupInfo | None
    beta2: float | None
    max_jump: float

    @property
    def w(self) -> int | None:
        return self.warm.length if self.warm is not None else None


def lint(schedule: Schedule | str, budget: Budget | None = None, *, beta2: float | None = None,
         max_jump: float = 0.1, **budget_fields: Any) -> list[Finding]:
    """Check a schedule for the mistakes that lose training runs; an empty list means it is clean.

    The run is the updates ``0 .. total_steps - 1``; ``total_steps`` defaults to the schedule's length. A
    schedule with units (``"5%"``, ``"2ep"``) is resolved against the budget first; the checks on epochs look at
    the durations as written. The factor is relative to the peak: a top-level ``scale(lr)`` is looked through.
    A run of up to 2**20 updates is checked update by update, a longer one (up to 2**53) from its structure: the
    updates around every phase's start and end, and an even grid of 65536, so lint takes the same time for a
    run of a thousand updates and one of a trillion.

    Args:
        schedule: a :class:`Schedule` or a spec string.
        budget: a :class:`Budget`, or its fields as keywords (``total_steps=...``, ``steps_per_epoch=...``).
        beta2: Adam's second-moment decay, for the advice on the untuned warmup ``2 / (1 - beta2)``.
        max_jump: the largest change of the factor in one update that is not reported (default 0.1 of the peak).

    Returns:
        The findings sorted by step (whole-run findings last), each with code, severity (``"error"``,
        ``"warning"``, ``"info"``), message and step.

    Raises:
        BudgetError: a duration needs a budget field that was not given, or the run length is unknown.

    Example:
        >>> import rampup
        >>> [(f.code, f.severity) for f in rampup.lint("linear(5%) >> cosine(to=0.1)", total_steps=10_000)]
        [('first-update-zero', 'info')]
        >>> rampup.lint("linear(500, start=0.01) >> cosine(to=0.1)", total_steps=10_000)
        []
    """
    schedule = as_schedule(schedule, owner="lint", resolved=False)
    if budget is None:
        budget = make_budget("lint", budget_fields)
    elif budget_fields:
        raise RampupError("lint: pass a Budget or budget fields, not both")
    if beta2 is not None:
        beta2 = check_number("lint", "beta2", beta2, 0.0, 1.0, hi_open=True)
    max_jump = check_number("lint", "max_jump", max_jump, 0.0, None, lo_open=True)
    raw = schedule
    while isinstance(raw, Scaled) and raw.peak > 0:
        raw = raw.schedule
    try:
        s = raw.resolve(budget)
    except BudgetError:
        # phases longer than the run cannot be fitted to it: lint them as written, on the run's clock
        loose = _unfitted(raw, budget)
        if loose is None:
            raise
        if loose._missing is not None:  # an open phase with no room left: only the warmup can be judged
            warm = warmup_info(loose)
            early = _length_findings(warm.length if warm else None, budget.total_steps or 0, warmup_info(raw), budget)
            if not any(f.severity == "error" for f in early):
                raise
            return early
        s = loose
    total = budget.total_steps if budget.total_steps is not None else s.length
    if total is None:
        raise BudgetError(f"lint: {s.spec()} never ends, so the run length is unknown: pass total_steps=...")
    if total < 1:
        raise RampupError(f"lint: the run needs at least one update, got total_steps={total}")
    run = _Run(s, raw, total, budget, _scan(s, total, max_jump), warmup_info(s), beta2, max_jump)
    out = [f for check in _CHECKS for f in check(run)]
    return sorted(out, key=lambda f: (f.step is None, f.step or 0, _SEVERITIES.index(f.severity)))


def _check_bad_value(r: _Run) -> Iterator[Finding]:
    t = r.scan.bad_step
    if t is not None:
        yield Finding("bad-value", "error", f"the factor is {float(r.s(t))!r} at step {t}: an LR must be a finite "
                      "number >= 0; check the scale and the phases' start/to values", t)


def _check_first_update(r: _Run) -> Iterator[Finding]:
    # info, not a warning: HF transformers, optax and Keras start their warmups at 0 too
    if r.scan.first == 0.0:
        fix = ("give the warmup start=0.01 (a small first LR) or offset=1 (count the first update as 1, as "
               "pytorch_warmup does)") if r.warm is not None else "start the schedule above 0"
        yield Finding("first-update-zero", "info", f"the first update (step 0) gets LR 0 and is wasted: {fix}", 0)


def _check_warmup_length(r: _Run) -> Iterator[Finding]:
    yield from _length_findings(r.w, r.total, warmup_info(r.raw), r.budget)


def _check_steps_per_epoch(r: _Run) -> Iterator[Finding]:
    if r.budget.steps_per_epoch == 1 and r.total > 1:
        yield Finding("steps-per-epoch-1", "info",
                      "steps_per_epoch=1 makes an epoch one update: if the scheduler is stepped once per epoch "
                      "(Lightning's interval='epoch'), a warmup of N steps lasts N epochs; step it after every "
                      "optimizer update and give the real steps_per_epoch", None)


def _check_peak(r: _Run) -> Iterator[Finding]:
    if r.w is not None and r.w >= r.total:  # would only repeat a warmup that outlasts the run
        return
    scan, total = r.scan, r.total
    if scan.peak < 1.0 - _PEAK_TOL:
        yield Finding("peak-not-reached", "warning",
                      f"the LR never reaches the peak: at most {scan.peak:.4g} of it, at step {scan.peak_step}; "
                      "give a saturating warmup a duration, or shorten the phases before the peak", scan.peak_step)
    elif scan.peak_step == total - 1 and total > 1 and scan.first < scan.peak:
        yield Finding("peak-at-end", "warning",
                      f"the peak LR is reached only at the last update (step {total - 1}): the warmup takes the "
                      "whole run; shorten it", total - 1)


def _handovers(r: _Run) -> list[tuple[int, Schedule, Schedule]]:
    return [(b, p, n) for b, p, n in itertools.islice(joins(r.s), _MAX_BOUNDARIES) if 0 < b < r.total]


def _check_joins(r: _Run) -> Iterator[Finding]:
    for b, prev, nxt in _handovers(r):
        before2, before, after = (float(x) for x in r.s(np.array([max(0, b - 2), b - 1, b], dtype=np.float64)))
        jump = after - before
        slope = abs(before - before2) if b >= 2 else 0.0
        built_to_jump = isinstance(prev, Warmup) and prev.shape == "constant"
        if abs(jump) > r.max_jump and abs(jump) > 1.5 * slope and not built_to_jump:
            what = "jumps up" if jump > 0 else "drops"
            yield Finding("jump-at-join", "warning",
                          f"the LR {what} from {before:.4g} to {after:.4g} of the peak at step {b}, where "
                          f"{nxt.spec()} takes over from {prev.spec()}: leave the later phase's start unset so it "
                          "continues from the value reached, or make the earlier phase end where the next begins", b)


def _check_jump(r: _Run) -> Iterator[Finding]:
    if stepwise(r.s):
        return
    join_steps = {b for b, _, _ in _handovers(r)}
    lone = [t for t in r.scan.big_steps if t not in join_steps]
    if not lone:
        return
    s, t, total, mj = r.s, lone[0], r.total, r.max_jump
    a1, b0 = (float(x) for x in s(np.array([t - 1, t], dtype=np.float64)))
    around = [u for u in (t - 1, t + 1) if 1 <= u < total]
    near = [abs(float(s(u)) - float(s(u - 1))) for u in around]
    # a short phase changes by the same large amount every update; only an isolated change is a jump
    if not near or abs(b0 - a1) > 2 * max(near):
        yield Finding("jump", "warning", f"the LR changes from {a1:.4g} to {b0:.4g} of the peak in one update at "
                      f"step {t} (more than max_jump={mj:g}); make the phase there longer", t)
    else:
        yield Finding("jump", "warning", f"the LR changes by {abs(b0 - a1):.3g} of the peak per update around step "
                      f"{t} (more than max_jump={mj:g}): a phase only a few updates long is a jump; make it longer", t)


def _check_decay_unfinished(r: _Run) -> Iterator[Finding]:
    length, total, scan = r.s.length, r.total, r.scan
    if length is None or length <= total:
        return
    floor = float(r.s(length))
    if scan.last - floor > 0.01 * max(scan.peak - floor, 1e-12):
        yield Finding("decay-unfinished", "warning",
                      f"the run ends (step {total - 1}) at {scan.last:.4g} of the peak, above the schedule's floor "
                      f"{floor:.4g}: the schedule lasts {length} updates, the run {total}; fit it to the run "
                      f"(total_steps={total}, or shorten its phases)", total - 1)


def _check_zero_tail(r: _Run) -> Iterator[Finding]:
    last, total = r.scan.last_positive, r.total
    if last is not None and last < total - 1 and r.scan.peak > 0:
        z = last + 1
        yield Finding("lr-zero-tail", "warning",
                      f"the LR is 0 from step {z} to the end of the run: {total - z} updates do nothing; fit the "
                      f"schedule to the run (total_steps={total}) or give the decay a floor (to=0.01)", z)


def _check_beta2(r: _Run) -> Iterator[Finding]:
    if r.beta2 is not None:
        yield from _beta2_findings(r.warm, r.beta2, r.total)


#: one function per check, in the order of the table in the module's docstring
_CHECKS: tuple[Callable[[_Run], Iterable[Finding]], ...] = (
    _check_first_update, _check_peak, _check_joins, _check_jump, _check_warmup_length, _check_steps_per_epoch,
    _check_decay_unfinished, _check_zero_tail, _check_bad_value, _check_beta2)


def _length_findings(w: int | None, total: int, raw_warm: WarmupInfo | None, budget: Budget) -> list[Finding]:
    """A warmup as long as the run, or longer than half of it (told apart when it was written in epochs)."""
    if w is None or 2 * w <= total:
        return []
    raw_dur = getattr(raw_warm.phase, "duration", None) if raw_warm is not None else None
    sev = "error" if w >= total else "warning"
    if isinstance(raw_dur, Duration) and raw_dur.unit == "epochs":
        n = _fmt(raw_dur.value)
        return [Finding("epoch-warmup", sev,
                        f"the warmup {raw_dur.spec()} is {w} updates at steps_per_epoch={budget.steps_per_epoch}, "
                        f"{_pct(w, total)} of the run of {total}: if you meant {n} updates write linear_warmup({n}); "
                        "durations in epochs need steps_per_epoch in optimizer updates (after gradient "
                        "accumulation), not batches", None)]
    if w >= total:
        return [Finding("warmup-too-long", "error",
                        f"the warmup lasts {w} updates, as long as the run ({total}) or longer: the peak LR is never "
                        f"used; shorten it (5% of the run is {math.ceil(total / 20)} updates)", None)]
    return [Finding("warmup-too-long", "warning",
                    f"the warmup lasts {w} updates, {_pct(w, total)} of the run of {total}: more than half of "
                    "training is spent below the peak; warmups are usually 1-10% of the run", None)]


def _unfitted(raw: Schedule, budget: Budget) -> Schedule | None:
    """``raw`` with its durations in updates but not fitted to ``total_steps`` (an open phase stays open), or
    None when a duration needs the run's length (a percentage)."""
    if budget.total_steps is None:
        return None
    try:
        return raw._resolve(dataclasses.replace(budget, total_steps=None, epochs=None))
    except RampupError:
        return None

def _beta2_findings(warm: WarmupInfo | None, beta2: float, total: int) -> Iterator[Finding]:
    rule = max(1, round(2.0 / (1.0 - beta2)))
    cite = (f"Adam with beta2={beta2:g} suggests at least {rule} warmup updates (the untuned rule 2/(1-beta2), "
            "Ma & Yarats 2021)")
    short = f"; the run has only {total}, so consider a smaller beta2" if 2 * rule > total else ""
    if warm is None:
        yield Finding("warmup-short-for-beta2", "info", f"{cite}, but the schedule has no warmup: put "
                      f"linear_warmup({rule}) in front{short}", None)
    elif warm.tau is not None:
        tau_rule = max(1, round(1.0 / (1.0 - beta2)))
        if warm.tau < tau_rule:
            yield Finding("warmup-short-for-beta2", "info",
                          f"Adam with beta2={beta2:g} suggests a saturating warmup with tau >= {tau_rule} "
                          f"(1/(1-beta2), Ma & Yarats 2021); this one has tau={warm.tau:g}{short}", None)
    elif warm.length is not None and warm.length < rule and not isinstance(warm.phase, RAdamWarmup):
        yield Finding("warmup-short-for-beta2", "info",
                      f"{cite}; this warmup lasts {warm.length}: lengthen it or use untuned_warmup({beta2:g}){short}",
                      None)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))
