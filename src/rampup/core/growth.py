"""Rates per interval: a factor that grows by a rate (the LR range test), and its reciprocal, inverse-time decay.

``x = u / every`` (``floor(u / every)`` with ``staircase``) counts the intervals since the phase began.
``linear_growth`` is ``1 + rate x`` (DeepSpeed ``LRRangeTest``), ``exp_growth`` is ``gamma ** x`` with gamma > 1
(optax's and Keras' exponential decay with a rate above 1), ``inverse_time_decay`` is ``start / (1 + rate x)``
(Keras ``InverseTimeDecay``, DeepSpeed ``OneCycle``'s decay after its cycle).

The growths are the schedules that go above the peak (factor 1.0) on purpose: the peak is where they start, as the
range test's minimum LR is, and they say how far they go with ``max`` (a cap) or ``duration`` (they hold after it);
one of the two is required, so that every factor stays bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .decay import _Inherits, _start
from .errors import RampupError
from .schedule import Schedule
from .units import Duration, DurationLike, coerce_duration
from .validate import check_number, show

__all__ = ["SPEC_FUNCTIONS", "Growth", "InverseTimeDecay", "exp_growth", "inverse_time_decay", "linear_growth"]


def _every(owner: str, every: Any) -> int | Duration:
    out = coerce_duration(owner, "every", every)
    if out == 0:
        raise RampupError(f"{owner}: every must be at least 1 step, got 0")
    return out


def _staircase(owner: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise RampupError(f"{owner}: staircase must be true or false, got {show(value)}")
    return value


def _intervals(t: Any, ops: Any, every: Any, staircase: bool, duration: Any) -> Any:
    u = ops.clip(t, 0.0, None if duration is None else float(duration))
    x = u / float(every)
    return ops.floor(x) if staircase else x


@dataclass(frozen=True, repr=False)
class Growth(Schedule):
    """``1 + rate x`` (``kind="linear"``) or ``rate ** x`` (``kind="exp"``), capped at ``max``, held after
    ``duration``; built by :func:`linear_growth` and :func:`exp_growth`."""

    kind: str
    rate: float
    every: int | Duration = 1
    staircase: bool = False
    max: float | None = None
    duration: int | Duration | None = None

    def __post_init__(self) -> None:
        owner = self._call()[0].__name__
        if self.kind == "linear":
            object.__setattr__(self, "rate", check_number(owner, "rate", self.rate, 0.0, None))
        else:
            object.__setattr__(self, "rate", check_number(owner, "gamma", self.rate, 1.0, None))
        object.__setattr__(self, "every", _every(owner, self.every))
        object.__setattr__(self, "staircase", _staircase(owner, self.staircase))
        if self.max is not None:
            object.__setattr__(self, "max", check_number(owner, "max", self.max, 1.0, None))
        object.__setattr__(self, "duration", coerce_duration(owner, "duration", self.duration, optional=True))
        if self.max is None and self.duration is None:
            raise RampupError(f"{owner}: give max=... (a cap) or duration=... (a length): a growth without either "
                              "has no bound")

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        if self.kind == "linear":
            return linear_growth, {"rate": self.rate, "every": self.every, "staircase": self.staircase,
                                   "max": self.max, "duration": self.duration}
        return exp_growth, {"gamma": self.rate, "every": self.every, "staircase": self.staircase, "max": self.max,
                            "duration": self.duration}

    @cached_property
    def _top(self) -> float:
        if self.max is not None:
            return self.max
        d, every = self.duration, self.every
        if not isinstance(d, int) or not isinstance(every, int):
            return 1.0  # an unresolved length: checked again once the budget resolves it
        x = (d // every) if self.staircase else d / every
        return 1.0 + self.rate * x if self.kind == "linear" else float(self.rate**x)

    def _eval(self, t: Any, ops: Any) -> Any:
        x = _intervals(t, ops, self.every, self.staircase, self.duration)
        v = 1.0 + self.rate * x if self.kind == "linear" else self.rate**x
        return v if self.max is None else ops.clip(v, 0.0, self.max)


def linear_growth(rate: float, every: DurationLike = 1, staircase: bool = False, max: float | None = None,
                  duration: DurationLike | None = None) -> Growth:
    """Linear growth from 1 (DeepSpeed ``LRRangeTest``): ``f(u) = min(max, 1 + rate * x)``, ``x = u / every``
    (``floor(u / every)`` with ``staircase``), held from ``u = duration`` on. Give ``max`` or ``duration``.

    The peak is where it starts (the range test's minimum LR): factors above 1 are the point.

    Example:
        >>> from rampup import linear_growth
        >>> linear_growth(0.5, every=2, duration=8).values(6).tolist()
        [1.0, 1.25, 1.5, 1.75, 2.0, 2.25]
        >>> linear_growth(1.0, every=2, staircase=True, max=2.0).values(6).tolist()
        [1.0, 1.0, 2.0, 2.0, 2.0, 2.0]
    """
    return Growth("linear", rate, _every("linear_growth", every), staircase, max,
                  coerce_duration("linear_growth", "duration", duration, optional=True))


def exp_growth(gamma: float, every: DurationLike = 1, staircase: bool = False, max: float | None = None,
               duration: DurationLike | None = None) -> Growth:
    """Exponential growth from 1 (an LR range test; optax's and Keras' exponential decay with a rate above 1):
    ``f(u) = min(max, gamma ** x)``, ``gamma >= 1``, ``x = u / every`` (floored with ``staircase``), held from
    ``u = duration`` on. Give ``max`` or ``duration``.

    Example:
        >>> from rampup import exp_growth
        >>> exp_growth(2.0, max=8.0).values(6).tolist()
        [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    """
    return Growth("exp", gamma, _every("exp_growth", every), staircase, max,
                  coerce_duration("exp_growth", "duration", duration, optional=True))


@dataclass(frozen=True, repr=False)
class InverseTimeDecay(_Inherits):
    """``max(to, start / (1 + rate x))``; see :func:`inverse_time_decay`."""

    every: int | Duration
    rate: float
    staircase: bool = False
    to: float = 0.0
    duration: int | Duration | None = None
    start: float | None = None

    def __post_init__(self) -> None:
        owner = "inverse_time_decay"
        object.__setattr__(self, "every", _every(owner, self.every))
        object.__setattr__(self, "rate", check_number(owner, "rate", self.rate, 0.0, None))
        object.__setattr__(self, "staircase", _staircase(owner, self.staircase))
        object.__setattr__(self, "to", check_number(owner, "to", self.to, 0.0, 1.0))
        object.__setattr__(self, "duration", coerce_duration(owner, "duration", self.duration, optional=True))
        object.__setattr__(self, "start", _start(owner, self.start))
        if self.start is not None and self.to > self.start:
            raise RampupError(f"{owner}: to={self.to!r} is above start={self.start!r}; a decay must not rise")

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return inverse_time_decay, {"every": self.every, "rate": self.rate, "staircase": self.staircase,
                                    "to": self.to, "duration": self.duration, "start": self.start}

    def _eval(self, t: Any, ops: Any) -> Any:
        x = _intervals(t, ops, self.every, self.staircase, self.duration)
        v = self._a / (1.0 + self.rate * x)
        return ops.clip(v, self.to, None) if self.to > 0 else v


def inverse_time_decay(every: DurationLike, rate: float, staircase: bool = False, to: float = 0.0,
                       duration: DurationLike | None = None, start: float | None = None) -> InverseTimeDecay:
    """Inverse-time decay (Keras ``InverseTimeDecay``, DeepSpeed ``OneCycle`` after its cycle):
    ``f(u) = max(to, start / (1 + rate * x))``, ``x = u / every`` (``floor(u / every)`` with ``staircase``), held
    from ``u = duration`` on; ``start`` defaults to what the phase before reached.

    Example:
        >>> from rampup import inverse_time_decay
        >>> inverse_time_decay(2, rate=1.0).values(5).tolist()
        [1.0, 0.6666666666666666, 0.5, 0.4, 0.3333333333333333]
        >>> inverse_time_decay(2, rate=1.0, staircase=True).values(5).tolist()
        [1.0, 1.0, 0.5, 0.5, 0.3333333333333333]
    """
    return InverseTimeDecay(_every("inverse_time_decay", every), rate, staircase, to,
                            coerce_duration("inverse_time_decay", "duration", duration, optional=True), start)


#: the constructors a spec string or a dict may name (rampup.core.spec reads this list)
SPEC_FUNCTIONS = (linear_growth, exp_growth, inverse_time_decay)
