"""Cyclic learning rates (Smith 2017, torch ``CyclicLR``): a triangle between two factors, again and again.

A cyclic schedule is one of the few that may go above the peak (factor 1.0): its ``top`` is the factor at each
cycle's turning point, and a ``top`` above 1 is an LR above the optimizer's (torch's ``max_lr`` above the LR the
optimizer was built with). It says so in its value: ``cyclic(..., top=4.0)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .errors import RampupError
from .schedule import Schedule
from .units import Duration, DurationLike, coerce_duration
from .validate import check_choice, check_number

__all__ = ["SPEC_FUNCTIONS", "Cyclic", "cyclic"]

_MODES = ("triangular", "triangular2", "exp_range")


@dataclass(frozen=True, repr=False)
class Cyclic(Schedule):
    """A triangle from ``start`` to ``top`` in ``up`` updates and back in ``down``, repeated for ever; see
    :func:`cyclic` for the formula."""

    up: int | Duration
    down: int | Duration | None = None
    start: float = 0.0
    top: float = 1.0
    mode: str = "triangular"
    gamma: float = 1.0

    def __post_init__(self) -> None:
        owner = "cyclic"
        up = coerce_duration(owner, "up", self.up)
        if up == 0:
            raise RampupError(f"{owner}: up must be at least 1 step, got 0")
        object.__setattr__(self, "up", up)
        object.__setattr__(self, "down", coerce_duration(owner, "down", self.down, optional=True))
        object.__setattr__(self, "start", check_number(owner, "start", self.start, 0.0, None))
        object.__setattr__(self, "top", check_number(owner, "top", self.top, 0.0, None))
        object.__setattr__(self, "mode", check_choice(owner, "mode", self.mode, _MODES))
        object.__setattr__(self, "gamma", check_number(owner, "gamma", self.gamma, 0.0, 1.0, lo_open=True))

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return cyclic, {"up": self.up, "down": self.down, "start": self.start, "top": self.top, "mode": self.mode,
                        "gamma": self.gamma}

    @cached_property
    def _top(self) -> float:
        return max(self.start, self.top, 1.0)

    @property
    def length(self) -> int | None:
        return None

    def _eval(self, t: Any, ops: Any) -> Any:
        up = float(self.up)  # type: ignore[arg-type]
        down = up if self.down is None else float(self.down)  # type: ignore[arg-type]
        period = up + down
        n = ops.floor(t / period)
        p = t - n * period
        h = ops.where(p <= up, p / up, (period - p) / down) if down else ops.clip(p / up, 0.0, 1.0)
        if self.mode == "triangular2":
            h = h * 0.5**n
        elif self.mode == "exp_range":
            h = h * self.gamma**t
        return self.start + (self.top - self.start) * h


def cyclic(up: DurationLike, down: DurationLike | None = None, start: float = 0.0, top: float = 1.0,
           mode: str = "triangular", gamma: float = 1.0) -> Cyclic:
    """Cyclic LR (torch ``CyclicLR``): ``f(t) = start + (top - start) * h(t) * a(t)``, where cycle
    ``n = floor(t / (U + D))`` lasts ``U = up`` rising and ``D = down`` (default ``up``) falling updates,
    ``p = t - n (U + D)``, ``h = p / U`` for ``p <= U`` and ``(U + D - p) / D`` after, and the amplitude ``a`` is
    1 (``"triangular"``), ``0.5 ** n`` (``"triangular2"``: each cycle half as high) or ``gamma ** t``
    (``"exp_range"``). It never ends.

    ``start`` is the factor at the bottom (torch's ``base_lr`` over the peak) and ``top`` the one at each turning
    point (``max_lr`` over it); ``top`` may be above 1, an LR above the optimizer's, and below ``start`` (a
    valley, for a momentum that cycles against the LR).

    Example:
        >>> from rampup import cyclic
        >>> [round(v, 12) for v in cyclic(2, start=0.2).values(7).tolist()]
        [0.2, 0.6, 1.0, 0.6, 0.2, 0.6, 1.0]
        >>> cyclic(2, start=1.0, top=3.0, mode="triangular2").values(7).tolist()
        [1.0, 2.0, 3.0, 2.0, 1.0, 1.5, 2.0]
    """
    return Cyclic(coerce_duration("cyclic", "up", up), coerce_duration("cyclic", "down", down, optional=True), start,
                  top, mode, gamma)


#: the constructors a spec string or a dict may name (rampup.core.spec reads this list)
SPEC_FUNCTIONS = (cyclic,)
