"""Composition beyond the operators: clipping, repetition, and the named recipes built from phases
(warmup-stable-decay, one-cycle, tri-stage). ``>>``, ``*`` and scaling live with the value, in ``schedule``."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .decay import constant, cosine_decay, geometric_decay, linear_decay, sqrt_decay
from .errors import RampupError
from .schedule import Product, Schedule, Sequence, _check_schedule, _Wraps
from .units import DurationLike, coerce_duration
from .validate import MAX_STEPS, check_choice, check_int, check_number
from .warmup import Warmup, cosine_warmup, linear_warmup

__all__ = ["SPEC_FUNCTIONS", "Clip", "Repeat", "clip", "one_cycle", "repeat", "tri_stage", "with_warmup", "wsd"]


@dataclass(frozen=True, repr=False)
class Clip(_Wraps):
    """``min(max, max(min, schedule))``."""

    schedule: Schedule
    min: float = 0.0
    max: float | None = None

    def __post_init__(self) -> None:
        _check_schedule("clip", "schedule", self.schedule)
        object.__setattr__(self, "min", check_number("clip", "min", self.min, 0.0, None))
        if self.max is not None:
            object.__setattr__(self, "max", check_number("clip", "max", self.max, 0.0, None))
            if self.max < self.min:
                raise RampupError(f"clip: max={self.max!r} is below min={self.min!r}")

    def _eval(self, t: Any, ops: Any) -> Any:
        return ops.clip(self.schedule._eval(t, ops), self.min, self.max)

    @cached_property
    def _top(self) -> float:
        top = max(self.schedule._top, self.min)
        return top if self.max is None else min(top, self.max)

    def _with_length(self, n: int) -> Schedule:
        return Clip(self.schedule._with_length(n), self.min, self.max)

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return clip, {"schedule": self.schedule, "min": self.min, "max": self.max}


def clip(schedule: Schedule, min: float = 0.0, max: float | None = None) -> Clip:
    """Keep a schedule within bounds: ``f(t) = min(max, max(min, schedule(t)))``; ``min`` is a floor.

    Example:
        >>> from rampup import clip, linear_decay
        >>> clip(linear_decay(4), min=0.3).values().tolist()
        [1.0, 0.75, 0.5, 0.3, 0.3]
    """
    return Clip(schedule, min, max)


@dataclass(frozen=True, repr=False)
class Repeat(Schedule):
    """A schedule of length L run ``times`` times (for ever when None); cycle i lasts ``L * mult ** i`` updates
    and runs the schedule stretched to that length."""

    schedule: Schedule
    times: int | None = None
    mult: float = 1.0
    decay: float = 1.0
    shrink: str = "height"

    def __post_init__(self) -> None:
        _check_schedule("repeat", "schedule", self.schedule)
        object.__setattr__(self, "decay", check_number("repeat", "decay", self.decay, 0.0, 1.0, lo_open=True))
        object.__setattr__(self, "shrink", check_choice("repeat", "shrink", self.shrink, ("height", "top")))
        if self.times is not None:
            object.__setattr__(self, "times", check_int("repeat", "times", self.times, 1, MAX_STEPS))
        # a cycle longer than any run is never reached; the bound keeps the cycle arithmetic finite
        object.__setattr__(self, "mult", check_number("repeat", "mult", self.mult, 1.0, float(MAX_STEPS)))
        L = self.schedule.length
        if self.times is not None and L:
            m, n = self.mult, self.times
            log_len = math.log(L) + (math.log(n) if m == 1.0 else n * math.log(m) - math.log(m - 1.0))
            if log_len > math.log(MAX_STEPS) + 1e-9 or self.length > MAX_STEPS:  # type: ignore[operator]
                raise RampupError(f"repeat: times={n} cycles of {L} updates growing by mult={m!r} last more than "
                                  "2**53 updates, longer than any run")

    def _find_missing(self) -> str | None:
        missing = self.schedule._missing
        if missing is None and not self.schedule.length:
            return f"repeat needs a schedule of finite length >= 1, got {self.schedule.spec()}"
        return missing

    def _cycle(self, t: Any, ops: Any) -> tuple[Any, Any, Any]:
        """(cycle index n, first step of cycle n, stretch m**n) for t; exact at cycle boundaries."""
        L, m = float(self.schedule.length), self.mult  # type: ignore[arg-type]
        if m == 1.0:
            n = ops.floor(t / L)
            return n, n * L, 1.0
        n = ops.floor(ops.log(1.0 + t * (m - 1.0) / L) / math.log(m))
        # the logarithm can land one cycle off next to a boundary; powers of m are exact, so step back or on once
        first = L * (m**n - 1.0) / (m - 1.0)
        n = ops.where(first > t, n - 1.0, n)
        n = ops.where(L * (m ** (n + 1.0) - 1.0) / (m - 1.0) <= t, n + 1.0, n)
        stretch = m**n
        return n, L * (stretch - 1.0) / (m - 1.0), stretch

    def _eval(self, t: Any, ops: Any) -> Any:
        L = float(self.schedule.length)  # type: ignore[arg-type]
        # past 2**53 updates (no run is that long, and t + 1 == t there) the cycle of step 2**53 holds, which
        # keeps m**n finite for every mult <= 2**53
        t = ops.clip(t, 0.0, float(self.length if self.times is not None else MAX_STEPS))  # type: ignore[arg-type]
        n, first, stretch = self._cycle(t, ops)
        u = (t - first) / stretch
        if self.times is not None:  # at the very end, the last cycle's end value, not a fresh start
            u = ops.where(n > self.times - 1.0, L, u)
        v = self.schedule._eval(u, ops)
        if self.decay == 1.0:
            return v
        # cycle n's height above the floor shrinks by decay**n (Keras m_mul, torch triangular2), or its top does
        # and the floor stays (timm cycle_decay)
        floor, f = self.schedule.end_value or 0.0, self.decay**n
        if self.shrink == "height":
            return floor + f * (v - floor)
        return floor + (f - floor) * (v - floor) / (1.0 - floor)

    @property
    def length(self) -> int | None:
        """``times * L``, or ``L (mult**times - 1) / (mult - 1)`` rounded (the first step of the cycle after the
        last, in the arithmetic that finds the cycles)."""
        L = self.schedule.length
        if self.times is None or L is None:
            return None
        m = self.mult
        if m == 1.0:
            return L * self.times
        return round(L * (m**self.times - 1.0) / (m - 1.0))

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return repeat, {"schedule": self.schedule, "times": self.times, "mult": self.mult, "decay": self.decay,
                        "shrink": self.shrink}


def repeat(schedule: Schedule, times: int | None = None, mult: float = 1.0, decay: float = 1.0,
           shrink: str = "height") -> Repeat:
    """Restarts: run ``schedule`` (length L) again and again; cycle i lasts ``L * mult ** i`` updates (torch
    ``CosineAnnealingWarmRestarts``' ``T_mult``) and runs the schedule stretched to that length. A schedule with
    its own warmup gives each restart its warmup. ``times=None`` repeats for ever.

    ``decay`` in (0, 1] makes each restart lower: with the schedule's floor ``b`` (its end value) and its value
    ``v`` in cycle i, ``f = b + decay**i (v - b)`` (``shrink="height"``: Keras ``CosineDecayRestarts(m_mul)``) or
    ``f = b + (decay**i - b) (v - b) / (1 - b)`` (``shrink="top"``: the top of cycle i is ``decay**i``, timm's
    ``cycle_decay``).

    Example:
        >>> from rampup import repeat, linear_decay
        >>> repeat(linear_decay(2), times=2).values(6).tolist()
        [1.0, 0.5, 1.0, 0.5, 0.0, 0.0]
        >>> repeat(linear_decay(2), mult=2).values(7).tolist()
        [1.0, 0.5, 1.0, 0.75, 0.5, 0.25, 1.0]
        >>> [round(v, 6) for v in repeat(linear_decay(2, to=0.2), decay=0.5).values(6).tolist()]
        [1.0, 0.6, 0.6, 0.4, 0.4, 0.3]
    """
    return Repeat(schedule, times, mult, decay, shrink)


def with_warmup(schedule: Schedule, warmup: Schedule | DurationLike, overlap: bool = False) -> Schedule:
    """Put a warmup in front of any schedule.

    ``overlap=False`` (default): the warmup runs first, then ``schedule`` from its own step 0, i.e.
    ``warmup >> schedule``: decays start from the value the warmup reached. ``overlap=True``: the two run on the
    same clock and multiply, ``schedule * warmup`` (pytorch_warmup's dampening), which is how warmups that
    never end (``exp_warmup``, ``radam_warmup``) are used. ``warmup`` may be a duration for a linear warmup.

    Example:
        >>> from rampup import with_warmup, step_decay
        >>> with_warmup(step_decay(2, gamma=0.5), 2)
        linear_warmup(2) >> step_decay(2, gamma=0.5)
    """
    _check_schedule("with_warmup", "schedule", schedule)
    if not isinstance(warmup, Schedule):
        warmup = linear_warmup(warmup)
    if not isinstance(overlap, bool):
        raise RampupError(f"with_warmup: overlap must be true or false, got {overlap!r}")
    if overlap:
        return Product((schedule, warmup))
    if warmup.length is None and not isinstance(warmup, Warmup):
        raise RampupError(
            f"with_warmup: {warmup.spec()} never ends, so nothing could come after it: pass overlap=True "
            "to multiply it with the schedule, or give it a duration"
        )
    return Sequence((warmup, schedule))


_DECAYS: dict[str, Callable[..., Schedule]] = {"linear": linear_decay, "cosine": cosine_decay, "sqrt": sqrt_decay}
_RISES: dict[str, Callable[..., Schedule]] = {"linear": linear_warmup, "cosine": cosine_warmup}


def wsd(warmup: DurationLike, decay: DurationLike, shape: str = "sqrt", warmup_shape: str = "linear",
        to: float = 0.0, start: float = 0.0, stable: DurationLike | None = None) -> Sequence:
    """Warmup-stable-decay (HF ``warmup_stable_decay``; Hägele et al. 2024): a warmup, a constant phase,
    then a cooldown of the given ``shape`` (``"linear"``, ``"cosine"`` or ``"sqrt"`` = 1-sqrt).

    ``stable=None`` makes the stable phase the rest of training (``total_steps`` minus warmup and decay). HF's
    ``min_lr_ratio`` is both ``start`` and ``to``.

    Example:
        >>> from rampup import wsd
        >>> wsd(2, 2, shape="linear", stable=1).values(6).tolist()
        [0.0, 0.5, 1.0, 1.0, 0.5, 0.0]
    """
    if shape not in _DECAYS:
        raise RampupError(f"wsd: shape must be 'linear', 'cosine' or 'sqrt', got {shape!r}")
    if warmup_shape not in ("linear", "cosine", "sqrt"):
        raise RampupError(f"wsd: warmup_shape must be 'linear', 'cosine' or 'sqrt', got {warmup_shape!r}")
    rise = Warmup(warmup_shape, coerce_duration("wsd", "warmup", warmup), start)
    return Sequence((rise, constant(stable), _DECAYS[shape](decay, to=to)))


def one_cycle(total: int, pct: float = 0.3, div: float = 25.0, final_div: float = 1e4, three_phase: bool = False,
              shape: str = "cosine") -> Sequence:
    """The one-cycle policy (Smith 2018) as torch ``OneCycleLR`` steps it: from ``1/div`` up to the peak,
    reached at update ``P - 1`` with ``P = round(pct * total)``, then down to ``1/(div * final_div)`` at update
    ``total - 1``. ``three_phase``: up in ``P - 1`` updates, back to ``1/div`` in ``P - 1`` more, then down to
    the minimum at ``total - 1``. ``shape`` is ``"cosine"`` or ``"linear"`` for every phase.

    torch keeps ``pct * total - 1`` as a float boundary; the two agree exactly whenever ``pct * total`` is a whole
    number.

    Example:
        >>> from rampup import one_cycle
        >>> s = one_cycle(100, pct=0.3)
        >>> s(0), s(29), s(99)
        (0.04, 1.0, 4e-06)
    """
    total = check_int("one_cycle", "total", total, 3, MAX_STEPS)
    check_number("one_cycle", "pct", pct, 0.0, 1.0, lo_open=True, hi_open=True)
    check_number("one_cycle", "div", div, 1.0, None)
    check_number("one_cycle", "final_div", final_div, 1.0, None)
    if shape not in _RISES:
        raise RampupError(f"one_cycle: shape must be 'cosine' or 'linear', got {shape!r}")
    up = round(pct * total) - 1
    if up < 1 or (2 * up if three_phase else up) >= total - 1:
        raise RampupError(f"one_cycle: pct={pct!r} of total={total} leaves no room for the phases")
    low, floor = 1.0 / div, 1.0 / (div * final_div)
    rise_ = _RISES[shape](up, start=low)
    if three_phase:
        return Sequence((rise_, _DECAYS[shape](up, to=low), _DECAYS[shape](total - 1 - 2 * up, to=floor)))
    return Sequence((rise_, _DECAYS[shape](total - 1 - up, to=floor)))


def tri_stage(warmup: DurationLike, hold: DurationLike, decay: DurationLike, init_scale: float = 0.01,
              final_scale: float = 0.01) -> Sequence:
    """The tri-stage schedule (fairseq ``tri_stage``, SpecAugment): linear warmup from ``init_scale``, hold the
    peak, then exponential decay to ``final_scale`` (``geometric_decay``), held after that.

    Example:
        >>> from rampup import tri_stage
        >>> [round(v, 6) for v in tri_stage(2, 1, 2, init_scale=0.1, final_scale=0.01).values(7).tolist()]
        [0.1, 0.55, 1.0, 1.0, 0.1, 0.01, 0.01]
    """
    return Sequence((linear_warmup(warmup, start=init_scale), constant(hold), geometric_decay(decay, to=final_scale)))

#: the constructors a spec string or a dict may name (rampup.core.spec reads this list)
SPEC_FUNCTIONS = (clip, repeat, with_warmup, wsd, one_cycle, tri_stage,)
