"""Rising curves on x in [0, 1] with f(0) = 0 and f(1) = 1; nothing else.

A warmup uses a curve as it is: ``f(x)`` is how far it has come (value = start (1 - f) + 1 f). A decay uses the
same curve run backwards: ``f(1 - x)`` is how much of the fall remains (value = start r + to (1 - r)), so
"1-sqrt" names one curve in both directions, as HF transformers' warmup-stable-decay does. Both are written as
interpolations that give the end points exactly. ``x`` must already be clipped to [0, 1].
"""

from __future__ import annotations

import math
from typing import Any, Callable

__all__ = ["RISING", "remaining", "rise"]

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


def rise(shape: str, x: Any, ops: Any, power: float = 1.0) -> Any:
    """f(x) of a rising curve; for example cosine: (1 - cos(pi x)) / 2.

    Example:
        >>> from rampup._ops import SCALAR
        >>> round(rise("cosine", 0.5, SCALAR), 12), rise("poly", 0.5, SCALAR, 2.0)
        (0.5, 0.25)
    """
    return RISING[shape](x, ops, power)


def remaining(shape: str, x: Any, ops: Any, power: float = 1.0) -> Any:
    """f(1 - x): the part of a decay still to go at x; linear 1 - x, cosine (1 + cos(pi x)) / 2,
    poly (1 - x)^p, 1-sqrt 1 - sqrt(x).

    Example:
        >>> from rampup._ops import SCALAR
        >>> remaining("sqrt", 0.25, SCALAR), remaining("poly", 0.5, SCALAR, 2.0)
        (0.5, 0.25)
    """
    return RISING[shape](1.0 - x, ops, power)
