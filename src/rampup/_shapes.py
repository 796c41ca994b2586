"""Rising curves on x in [0, 1] with f(0) = 0 and f(1) = 1; nothing else.

A warmup uses a curve as it is: ``f(x)`` is how far it has come (value = start (1 - f) + 1 f). A decay uses the
same curve run backwards: ``f(1 - x)`` is how much of the fall remains (value = start r + to (1 - r)), so
"1-sqrt" names one curve in both directions, as HF transformers' warmup-stable-decay does. Both are written as
interpolations that give the end points exactly. ``x`` must already be clipped to [0, 1].

Example:
    >>> from rampup._ops import SCALAR
    >>> cosine, one_minus_sqrt = RISING["cosine"], RISING["sqrt"]
    >>> round(cosine(0.5, SCALAR, 1.0), 12), RISING["poly"](0.5, SCALAR, 2.0)
    (0.5, 0.25)
    >>> one_minus_sqrt(1 - 0.25, SCALAR, 1.0)  # a 1-sqrt cooldown a quarter of the way: half of the fall to go
    0.5
"""

from __future__ import annotations

import math
from typing import Any, Callable

__all__ = ["RISING"]

_PI = math.pi


def _linear(x: Any, ops: Any, power: float) -> Any:
    return x


def _cosine(x: Any, ops: Any, power: float) -> Any:
    return 0.5 * (1.0 - ops.cos(_PI * x))


def _poly(x: Any, ops: Any, power: float) -> Any:
    return x**power


def _sqrt(x: Any, ops: Any, power: float) -> Any:
    return 1.0 - ops.sqrt(1.0 - x)


#: name -> f(x, ops, power); "sqrt" is the 1-sqrt ramp 1 - sqrt(1 - x) (its decay mirror is sqrt(x)).
RISING: dict[str, Callable[[Any, Any, float], Any]] = {
    "linear": _linear,
    "cosine": _cosine,
    "poly": _poly,
    "sqrt": _sqrt,
}
