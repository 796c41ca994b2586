"""Absolute values with the peak applied before a float32 array sees them.

``s.scale(peak)`` multiplies the finished factor by the peak. Inside ``jax.jit`` (or a Keras backend in float32)
the factor of a constant phase, ``3 / 45`` say, is rounded to float32 first and ``45 * float32(3 / 45)`` is
``3.0000002``. :class:`PeakFirst` evaluates the same schedule with the peak pushed into every phase of a sequence
and through every scale, so that a constant phase's value ``peak * value`` is computed in Python's float64 and
rounded once, to exactly 3.0; phases that vary with the step are computed as before. It equals ``s.scale(peak)``
as a value (same spec, same equality and hash).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .schedule import Scaled, Schedule, Sequence

__all__ = ["PeakFirst", "peak_first"]


def _times(s: Schedule, k: float, t: Any, ops: Any) -> Any:
    """``k * s(t)``, with ``k`` multiplied into each phase before the phases are joined."""
    if isinstance(s, Scaled):
        return _times(s.schedule, k * s.peak, t, ops)
    if isinstance(s, Sequence) and not ops.scalar:
        starts, phases = s._starts, s._bound
        out = _times(phases[0], k, t, ops)
        for b, p in zip(starts[1:], phases[1:], strict=True):
            start = float(b)  # a boundary beyond int32 cannot meet a traced jax step as an int
            out = ops.where(t >= start, _times(p, k, ops.clip(t - start, 0.0, None), ops), out)
        return out
    return k * s._eval(t, ops)


@dataclass(frozen=True, repr=False, eq=False)
class PeakFirst(Scaled):
    """``peak * schedule``, evaluated with the peak applied to each phase first; see the module docstring."""

    def _eval(self, t: Any, ops: Any) -> Any:
        return _times(self.schedule, self.peak, t, ops)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scaled) and (self.schedule, self.peak) == (other.schedule, other.peak)

    def __hash__(self) -> int:
        return hash((self.schedule, self.peak))


def peak_first(schedule: Schedule, peak: float) -> Scaled:
    """``schedule.scale(peak)`` whose constant phases are exact in float32: ``peak * value`` rounded once.

    Example:
        >>> import numpy as np
        >>> from rampup import constant
        >>> s = constant(1, value=3 / 45) >> constant(value=1.0)
        >>> float(peak_first(s, 45.0)(np.float32(0))), float(s.scale(45.0)(np.float32(0)))
        (3.0, 3.0)
        >>> peak_first(s, 45.0) == s.scale(45.0)
        True
    """
    return PeakFirst(schedule, peak)
