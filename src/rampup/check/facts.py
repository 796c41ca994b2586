"""Facts about a schedule's structure that lint, plot, the CLI and the adapters share: where its warmup is and
how long it lasts, where its phases hand over, which parts are built to jump. Read from the structure, never by
evaluating the run step by step."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from ..core.compose import Clip, Repeat
from ..core.decay import Decay, ExpDecay, MultiStep, Noam
from ..core.schedule import Product, Scaled, Schedule, Sequence
from ..core.validate import MAX_STEPS
from ..core.warmup import RAdamWarmup, SaturatingWarmup, Warmup

__all__ = ["WarmupInfo", "boundaries", "joins", "stepwise", "warmup_info"]


@dataclass(frozen=True)
class WarmupInfo:
    """Where a schedule's warmup is: the phase, its length in updates (``None`` if it never ends or is not
    resolved), and ``tau`` for saturating warmups."""

    phase: Schedule
    length: int | None
    tau: float | None = None


def warmup_info(schedule: Schedule) -> WarmupInfo | None:
    """The warmup of ``schedule``: the first phase of a sequence, a factor of a product, the cycle of a repeat.

    Recognises :class:`Warmup`, :class:`SaturatingWarmup`, :class:`RAdamWarmup` and :class:`Noam` (whose rise
    lasts ``warmup`` updates). Returns ``None`` when the schedule has no warmup.

    Example:
        >>> import rampup
        >>> from rampup.check import warmup_info
        >>> warmup_info(rampup.parse("linear(500) >> cosine()")).length
        500
    """
    s = schedule
    if isinstance(s, (Scaled, Clip, Repeat)):
        return warmup_info(s.schedule)
    if isinstance(s, Sequence):
        return warmup_info(s.phases[0])
    if isinstance(s, Product):
        for f in s.factors:
            info = warmup_info(f)
            if info is not None:
                return info
        return None
    if isinstance(s, Warmup):
        return WarmupInfo(s, s.duration if isinstance(s.duration, int) else None)
    if isinstance(s, SaturatingWarmup):
        return WarmupInfo(s, _saturating_length(s), s.tau)
    if isinstance(s, RAdamWarmup):
        return WarmupInfo(s, None)
    if isinstance(s, Noam):
        return WarmupInfo(s, s.warmup if isinstance(s.warmup, int) else None)
    return None


def _saturating_length(s: SaturatingWarmup) -> int | None:
    """A saturating warmup's length: its duration, or sooner the update from which it is within 0.1 % of the peak
    (``start + (1 - start)(1 - exp(-(t + offset) / tau)) >= 0.999``), since it only approaches the peak; None
    without a duration (it runs for ever)."""
    if not isinstance(s.duration, int):
        return None
    near = math.ceil(s.tau * math.log(max(1.0 - s.start, 1e-3) / 1e-3)) - s.offset
    return max(0, min(s.duration, near))


def joins(s: Schedule, at: int = 0) -> Iterator[tuple[int, Schedule, Schedule]]:
    """(step, phase before, phase after) for every hand-over between phases of a sequence, on the run's clock.
    Restarts of a ``repeat`` are not joins: they are built to jump."""
    if isinstance(s, (Scaled, Clip)):
        yield from joins(s.schedule, at)
    elif isinstance(s, Product):
        for f in s.factors:
            yield from joins(f, at)
    elif isinstance(s, Sequence):
        start = at
        for prev, nxt in zip(s.phases, s.phases[1:], strict=False):
            yield from joins(prev, start)
            start += prev.length  # type: ignore[operator]  # resolved: every phase but the last has a length
            yield start, prev, nxt
        yield from joins(s.phases[-1], start)


def boundaries(s: Schedule, at: int = 0) -> Iterator[int]:
    """Steps on the run's clock where a part of ``s`` starts, ends or changes its formula: where each phase starts
    and ends, a sequence's hand-overs, a multi-step decay's milestones, the restarts of a decay with ``cycles`` and
    of a ``repeat``. Read from the structure; a generator, since a repeat may restart for ever (up to 2**53):
    callers take as many as they can afford.

    Example:
        >>> import rampup
        >>> from rampup.check.facts import boundaries
        >>> sorted(set(boundaries(rampup.parse("linear(10) >> multistep([5, 20], duration=30)"))))
        [0, 10, 15, 30, 40]
    """
    yield at
    if isinstance(s, (Scaled, Clip)):
        yield from boundaries(s.schedule, at)
    elif isinstance(s, Product):
        for f in s.factors:
            yield from boundaries(f, at)
    elif isinstance(s, Sequence):
        start = at
        for p in s.phases:
            yield from boundaries(p, start)
            start += p.length or 0
    elif isinstance(s, Repeat):
        yield from boundaries(s.schedule, at)
        L, m = s.schedule.length or 1, s.mult
        first, i = float(L), 1
        while first < MAX_STEPS and (s.times is None or i <= s.times):
            yield at + round(first)
            first, i = first * m + L, i + 1
    elif isinstance(s, MultiStep):
        yield from (at + m for m in s.milestones if isinstance(m, int))
    elif isinstance(s, Decay) and s.cycles > 1 and isinstance(s.duration, int):
        yield from (at + s.duration * k // s.cycles for k in range(1, s.cycles))
    n = s.length
    if n is not None:
        yield at + n


def stepwise(s: Schedule) -> bool:
    """True when some part of ``s`` is built to jump (so a large one-update change there is by design)."""
    if isinstance(s, Warmup):
        return s.shape == "constant"
    if isinstance(s, Decay):
        return s.cycles > 1
    if isinstance(s, (ExpDecay,)):
        return bool(s.staircase)
    if isinstance(s, (MultiStep, Repeat)):
        return True
    if isinstance(s, (Scaled, Clip)):
        return stepwise(s.schedule)
    if isinstance(s, Sequence):
        return any(stepwise(p) for p in s.phases)
    if isinstance(s, Product):
        return any(stepwise(f) for f in s.factors)
    return False
