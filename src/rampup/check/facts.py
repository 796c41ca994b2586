"""Facts about a schedule's structure that lint, plot, the CLI and the adapters share: where its warmup is and
how long it lasts, where its phases hand over, which parts are built to jump. Read from the structure, never by
evaluating the run step by step."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..core.compose import Clip, Repeat
from ..core.decay import Decay, ExpDecay, MultiStep, Noam
from ..core.schedule import Product, Scaled, Schedule, Sequence
from ..core.warmup import RAdamWarmup, SaturatingWarmup, Warmup

__all__ = ["WarmupInfo", "joins", "stepwise", "warmup_info"]


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
        return WarmupInfo(s, s.duration if isinstance(s.duration, int) else None, s.tau)
    if isinstance(s, RAdamWarmup):
        return WarmupInfo(s, None)
    if isinstance(s, Noam):
        return WarmupInfo(s, s.warmup if isinstance(s.warmup, int) else None)
    return None


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
        for prev, nxt in zip(s.phases, s.phases[1:]):
            yield from joins(prev, start)
            start += prev.length  # type: ignore[operator]  # resolved: every phase but the last has a length
            yield start, prev, nxt
        yield from joins(s.phases[-1], start)


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
