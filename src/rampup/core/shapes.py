"""Rising curves on x in [0, 1] with f(0) = 0 and f(1) = 1; nothing else.

A warmup uses a curve as it is: ``f(x)`` is how far it has come (value = start (1 - f) + 1 f). A decay uses the
same curve run backwards: ``f(1 - x)`` is how much of the fall remains (value = start r + to (1 - r)), so
"1-sqrt" names one curve in both directions, as HF transformers' warmup-stable-decay does. Both are written as
interpolations that give the end points exactly. ``x`` must already be clipped to [0, 1].

Each curve is written in a form without cancellation near ``x = 0``, where a decay nears its end, so that float32
(jax's default) keeps its relative precision there: ``(1 - cos(pi x)) / 2`` as ``sin(pi x / 2)^2`` and
``1 - sqrt(1 - x)`` as ``x / (1 + sqrt(1 - x))``, where the caller may pass ``1 - x`` computed from the step
directly (``xc``).

Example:
    >>> from rampup.core.ops import SCALAR
    >>> cosine, one_minus_sqrt = RISING["cosine"], RISING["sqrt"]
    >>> round(cosine(0.5, SCALAR, 1.0), 12), RISING["poly"](0.5, SCALAR, 2.0)
    (0.5, 0.25)
    >>> one_minus_sqrt(1 - 0.25, SCALAR, 1.0)  # a 1-sqrt cooldown a quarter of the way: half of the fall to go
    0.5
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["RISING"]

_HALF_PI = math.pi / 2


def _linear(x: Any, ops: Any, power: float, xc: Any = None) -> Any:
    return x


def _cosine(x: Any, ops: Any, power: float, xc: Any = None) -> Any:
    s = ops.sin(_HALF_PI * x)  # (1 - cos(pi x)) / 2 without its cancellation near x = 0
    return s * s


def _poly(x: Any, ops: Any, power: float, xc: Any = None) -> Any:
    return x**power


def _sqrt(x: Any, ops: Any, power: float, xc: Any = None) -> Any:
    # 1 - sqrt(1 - x) without its cancellation near x = 0; xc = 1 - x computed exactly by the caller keeps the
    # precision near x = 1 too
    return x / (1.0 + ops.sqrt(1.0 - x if xc is None else xc))


#: name -> f(x, ops, power, xc=1 - x); "sqrt" is the 1-sqrt ramp 1 - sqrt(1 - x).
RISING: dict[str, Callable[..., Any]] = {
    "linear": _linear,
    "cosine": _cosine,
    "poly": _poly,
    "sqrt": _sqrt,
}
