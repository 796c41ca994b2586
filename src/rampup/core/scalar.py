"""A schedule as a plain Python function of the step, for hot paths: ``scalar_function(s)(t) == s(t)`` bit for bit.

``s(t)`` checks its argument, then walks the schedule's nodes through the generic operations of
:mod:`rampup.core.ops`. A scheduler step knows its step is a whole number >= 0 and evaluates the same resolved
schedule once per update, so :func:`scalar_function` binds the common nodes once into closures (a sequence of
phases, the warmups and decays on the curves of :mod:`rampup.core.shapes`, a constant, a scaled schedule) that do
the same arithmetic in the same order, without the checks, the dispatch on the argument's type and the attribute
lookups. Every other node is evaluated by its own scalar formula (its ``_eval`` on the scalar operations), so the
function exists for every schedule and never differs from ``s(t)``.

Example:
    >>> import rampup
    >>> from rampup.core.scalar import scalar_function
    >>> s = rampup.parse("linear(4) >> cosine(to=0.1)", total_steps=10)
    >>> f = scalar_function(s)
    >>> [f(t) == s(t) for t in range(12)] == [True] * 12
    True
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

from .decay import Constant, Decay
from .errors import BudgetError
from .ops import SCALAR
from .schedule import Scaled, Schedule, Sequence
from .warmup import Warmup

__all__ = ["scalar_function"]

Fn = Callable[[Any], float]


def scalar_function(schedule: Schedule) -> Fn:
    """``f`` with ``f(t) == schedule(t)`` (the same float, bit for bit) for every whole or real ``t >= 0``,
    with no argument checks: the caller guarantees ``t``. The schedule must be resolved.

    Raises:
        BudgetError: the schedule still needs a budget field (the same error ``schedule(t)`` raises).

    Example:
        >>> import rampup
        >>> from rampup.core.scalar import scalar_function
        >>> scalar_function(rampup.linear_warmup(4))(1)
        0.25
    """
    missing = schedule._missing
    if missing is not None:
        raise BudgetError(f"{schedule.spec()}: {missing}")
    return _compile(schedule)


def _generic(s: Schedule) -> Fn:
    ev = s._eval

    def f(t: Any) -> float:
        return float(ev(float(t), SCALAR))

    return f


def _compile(s: Schedule) -> Fn:
    kind = type(s)
    if kind is Sequence:
        return _sequence(s)  # type: ignore[arg-type]
    if kind is Warmup:
        return _warmup(s)  # type: ignore[arg-type]
    if kind is Decay:
        return _decay(s)  # type: ignore[arg-type]
    if kind is Constant:
        v = float(s._a)  # type: ignore[attr-defined]
        return lambda t: v
    if kind is Scaled:
        inner, peak = _compile(s.schedule), s.peak  # type: ignore[attr-defined]
        return lambda t: peak * inner(t)
    return _generic(s)


def _sequence(s: Sequence) -> Fn:
    # Sequence._eval on scalars: the phase i with starts[i] <= t (bisect), at t - starts[i]
    starts, fns = s._starts, [_compile(p) for p in s._bound]
    if len(fns) == 1:
        return fns[0]
    if len(fns) == 2:
        b, f0, f1 = starts[1], fns[0], fns[1]

        def two(t: Any) -> float:
            return f0(t) if t < b else f1(t - b)

        return two
    right = bisect.bisect_right

    def many(t: Any) -> float:
        i = right(starts, t) - 1
        return fns[i](t - starts[i])

    return many


def _warmup(s: Warmup) -> Fn:
    # Warmup._eval, its curve branch: start (1 - v) + v with v = curve(clip(t / w)), t shifted by the offset
    w, curve = s.duration, s._curve
    if curve is None or not w or not _plain(s, k=1.0, stretch=False):
        return _generic(s)
    start, power, offset, sqrt = s.start, s.power, s.offset, s.shape == "sqrt"

    def warm(t: Any) -> float:
        if offset:
            t = t + offset
        xc = None
        if sqrt:
            xc = (w - t) / w
            xc = 0.0 if xc < 0.0 else 1.0 if xc > 1.0 else xc
        x = t / w
        x = 0.0 if x < 0.0 else 1.0 if x > 1.0 else x
        v = curve(x, SCALAR, power, xc)
        return start * (1.0 - v) + v  # type: ignore[no-any-return]

    return warm


def _decay(s: Decay) -> Fn:
    # Decay._eval, one plain fall: a r + b (1 - r) with r = curve(clip((d - t) / d)), the part of the fall to go;
    # any other variant (restarts, an offset, k-decay, stretch, waves, a cosine power) is its own formula
    d, curve = s.duration, s._curve
    if not d:
        to = float(s.to)
        return lambda t: to
    poly = s.shape == "poly"
    if curve is None or not _plain(s, cycles=1, offset=0, stretch=False, k=1.0, waves=0.5) or (
            not poly and s.power != 1.0):
        return _generic(s)
    if not isinstance(d, int):  # pragma: no cover - a resolved schedule has whole durations
        return _generic(s)
    a, b, power, sqrt, dd = s._a, s.to, s.power if poly else 1.0, s.shape == "sqrt", float(d)

    def decay(t: Any) -> float:
        y = (dd - t) / dd
        y = 0.0 if y < 0.0 else 1.0 if y > 1.0 else y
        xc = None
        if sqrt:
            xc = t / dd
            xc = 0.0 if xc < 0.0 else 1.0 if xc > 1.0 else xc
        r = curve(y, SCALAR, power, xc)
        return a * r + b * (1.0 - r)  # type: ignore[no-any-return]

    return decay


def _plain(s: Schedule, **defaults: Any) -> bool:
    """Every one of these fields (where the node has it) at its default: the variant the closure is written for."""
    return all(getattr(s, name, value) == value for name, value in defaults.items())
