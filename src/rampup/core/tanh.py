"""The hyperbolic-tangent decay (Hsueh et al. 2019, timm ``TanhLRScheduler``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .decay import _Inherits, _start
from .errors import RampupError
from .schedule import Schedule
from .units import Duration, DurationLike, coerce_duration
from .validate import check_number

__all__ = ["SPEC_FUNCTIONS", "TanhDecay", "tanh_decay"]


@dataclass(frozen=True, repr=False)
class TanhDecay(_Inherits):
    """A fall along ``(1 - tanh(lb (1 - x) + ub x)) / 2``; see :func:`tanh_decay`."""

    duration: int | Duration | None = None
    to: float = 0.0
    lb: float = -7.0
    ub: float = 3.0
    start: float | None = None

    def __post_init__(self) -> None:
        owner = "tanh_decay"
        object.__setattr__(self, "duration", coerce_duration(owner, "duration", self.duration, optional=True))
        object.__setattr__(self, "to", check_number(owner, "to", self.to, 0.0, 1.0))
        object.__setattr__(self, "lb", check_number(owner, "lb", self.lb, -700.0, 700.0))
        object.__setattr__(self, "ub", check_number(owner, "ub", self.ub, -700.0, 700.0))
        if not self.lb < self.ub:
            raise RampupError(f"{owner}: lb must be below ub, got lb={self.lb!r}, ub={self.ub!r}")
        object.__setattr__(self, "start", _start(owner, self.start))
        if self.start is not None and self.to > self.start:
            raise RampupError(f"{owner}: to={self.to!r} is above start={self.start!r}; a decay must not rise")

    def _find_missing(self) -> str | None:
        if self.duration is None:
            return "tanh_decay needs its duration: pass total_steps=... to parse() or .resolve()"
        return super()._find_missing()

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return tanh_decay, {"duration": self.duration, "to": self.to, "lb": self.lb, "ub": self.ub,
                            "start": self.start}

    def _eval(self, t: Any, ops: Any) -> Any:
        if not self.duration:
            return self.to
        d = float(self.duration)  # type: ignore[arg-type]
        x = ops.clip(t / d, 0.0, 1.0)
        # (1 - tanh(z)) / 2 = 1 / (1 + exp(2 z)), with no cancellation where tanh(z) is near 1
        r = 1.0 / (1.0 + ops.exp(2.0 * (self.lb * (1.0 - x) + self.ub * x)))
        return ops.where(t < d, self.to + (self._a - self.to) * r, self.to)

    @property
    def end_value(self) -> float:
        return self.to


def tanh_decay(duration: DurationLike | None = None, to: float = 0.0, lb: float = -7.0, ub: float = 3.0,
               start: float | None = None) -> TanhDecay:
    """Tanh decay (timm ``TanhLRScheduler``, Hsueh et al. 2019):
    ``f(u) = to + (start - to) * (1 - tanh(lb * (1 - x) + ub * x)) / 2`` with ``x = u / D`` for ``u < D``, then
    ``to``. With timm's bounds (-7, 3) it starts within 1e-6 of ``start`` and ends 0.25% of the fall above ``to``
    before it steps down to ``to`` at ``u = D``, as timm does.

    Example:
        >>> from rampup import tanh_decay
        >>> [round(v, 6) for v in tanh_decay(4).values(6).tolist()]
        [0.999999, 0.999877, 0.982014, 0.268941, 0.0, 0.0]
    """
    return TanhDecay(coerce_duration("tanh_decay", "duration", duration, optional=True), to, lb, ub, start)


#: the constructors a spec string or a dict may name (rampup.core.spec reads this list)
SPEC_FUNCTIONS = (tanh_decay,)
