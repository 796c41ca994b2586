"""Warmup phases: the factor rises from ``start`` to the peak 1.0 over ``duration`` updates.

The value the first update gets is ``start`` (default 0, as in HF transformers, optax, Keras and timm), or, with
``offset=k``, the value the curve has ``k`` updates in (``offset=1`` is pytorch_warmup's convention: the first
update gets 1/W of the peak and the peak is reached at step W - 1). Either way it is a choice you make, and
``rampup lint`` warns about a first update at 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .errors import BudgetError, RampupError
from .ops import SCALAR
from .schedule import Schedule
from .shapes import RISING
from .units import Duration, DurationLike, coerce_duration
from .validate import MAX_STEPS, check_int, check_number

__all__ = [
    "RAdamWarmup",
    "SaturatingWarmup",
    "Warmup",
    "constant_warmup",
    "cosine_warmup",
    "exp_warmup",
    "geometric_warmup",
    "linear_warmup",
    "log_warmup",
    "poly_warmup",
    "radam_warmup",
    "sqrt_warmup",
    "untuned_warmup",
]

_SHAPES = ("linear", "cosine", "poly", "sqrt", "log", "geometric", "constant")


@dataclass(frozen=True, repr=False)
class Warmup(Schedule):
    """A rise from ``start`` to 1.0 over ``duration`` updates along ``shape``; built by the ``*_warmup``
    functions, which document each formula."""

    shape: str
    duration: int | Duration
    start: float = 0.0
    power: float = 1.0
    offset: int = 0

    def __post_init__(self) -> None:
        name = f"{self.shape}_warmup"
        if self.shape not in _SHAPES:
            raise RampupError(f"Warmup: shape must be one of {', '.join(_SHAPES)}, got {self.shape!r}")
        object.__setattr__(self, "duration", coerce_duration(name, "duration", self.duration))
        positive = self.shape in ("geometric", "constant")
        object.__setattr__(self, "start", check_number(name, "start", self.start, 0.0, 1.0, lo_open=positive))
        object.__setattr__(self, "power", check_number(name, "power", self.power, 0.0, None, lo_open=True))
        object.__setattr__(self, "offset", check_int(name, "offset", self.offset, 0, MAX_STEPS))

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        params: dict[str, Any] = {"duration": self.duration}
        if self.shape == "poly":
            params["power"] = self.power
        params["start"] = self.start
        if self.shape != "constant":
            params["offset"] = self.offset
        return _BY_SHAPE[self.shape], params

    @cached_property
    def _log_start(self) -> float:
        return math.log(self.start) if self.start > 0 else 0.0

    @cached_property
    def _curve(self) -> Any:
        return RISING.get(self.shape)

    def _eval(self, t: Any, ops: Any) -> Any:
        w = self._stop
        if w is None:  # only a resolved warmup is evaluated (Schedule.__call__ checks), but say so if not
            raise BudgetError(f"{self.spec()}: {self._missing}")
        if self.offset:
            t = t + self.offset
        curve = self._curve
        if curve is not None and w:  # linear, cosine, poly, 1-sqrt: the hot path
            xc = ops.clip((w - t) / w, 0.0, 1.0) if self.shape == "sqrt" else None
            v = curve(ops.clip(t / w, 0.0, 1.0), ops, self.power, xc)
            return self.start * (1.0 - v) + v
        if self.shape == "constant":
            return ops.where(t < w, self.start, 1.0)
        if w == 0:
            return 1.0
        if self.shape == "log":
            scale = 1.0 / math.log(max(2, w))
            v = ops.where(t < w, ops.log(ops.clip(t, 0.0, w - 1.0) + 1.0) * scale, 1.0)
            return self.start * (1.0 - v) + v
        return ops.exp((1.0 - ops.clip(t / w, 0.0, 1.0)) * self._log_start)  # geometric

    @property
    def length(self) -> int | None:
        """Updates until the peak: ``W - offset`` (an offset counts updates as already done), so a phase after
        the warmup starts at the update where the peak is first reached."""
        w = self.duration
        return max(0, w - self.offset) if isinstance(w, int) else None

    @property
    def end_value(self) -> float:
        return 1.0


def linear_warmup(duration: DurationLike, start: float = 0.0, offset: int = 0) -> Warmup:
    """Linear warmup: ``f(t) = start + (1 - start) * min(1, (t + offset) / W)``.

    Args:
        duration: W, the warmup length (steps, or a unit: ``"5%"``, ``"2ep"``, ``"1M tok"``).
        start: the factor the first update gets (with ``offset=0``), in [0, 1].
        offset: updates counted before the first one; 1 gives pytorch_warmup's ``min(1, (t + 1) / W)``. The
            peak comes at step ``W - offset``, and a phase after the warmup starts there.

    Example:
        >>> from rampup import linear_warmup
        >>> linear_warmup(4).values().tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0]
        >>> linear_warmup(4, offset=1)(0)
        0.25
    """
    return Warmup("linear", coerce_duration("linear_warmup", "duration", duration), start, 1.0, offset)


def cosine_warmup(duration: DurationLike, start: float = 0.0, offset: int = 0) -> Warmup:
    """Cosine warmup (half a cosine wave, as HF's ``warmup_type="cosine"`` and torch OneCycleLR):
    ``f(t) = start + (1 - start) * (1 - cos(pi x)) / 2``, ``x = min(1, (t + offset) / W)``.

    Example:
        >>> from rampup import cosine_warmup
        >>> [round(v, 6) for v in cosine_warmup(4).values().tolist()]
        [0.0, 0.146447, 0.5, 0.853553, 1.0]
    """
    return Warmup("cosine", coerce_duration("cosine_warmup", "duration", duration), start, 1.0, offset)


def poly_warmup(duration: DurationLike, power: float = 2.0, start: float = 0.0, offset: int = 0) -> Warmup:
    """Polynomial warmup: ``f(t) = start + (1 - start) * x ** power``, ``x = min(1, (t + offset) / W)``.
    ``power > 1`` starts slower than linear, ``power < 1`` faster.

    Example:
        >>> from rampup import poly_warmup
        >>> poly_warmup(4, power=2).values().tolist()
        [0.0, 0.0625, 0.25, 0.5625, 1.0]
    """
    return Warmup("poly", coerce_duration("poly_warmup", "duration", duration), start, power, offset)


def sqrt_warmup(duration: DurationLike, start: float = 0.0, offset: int = 0) -> Warmup:
    """1-sqrt warmup (HF ``warmup_type="1-sqrt"``): ``f(t) = start + (1 - start) * (1 - sqrt(1 - x))``.

    Example:
        >>> from rampup import sqrt_warmup
        >>> round(sqrt_warmup(4)(1), 6), round(sqrt_warmup(4)(2), 6)
        (0.133975, 0.292893)
    """
    return Warmup("sqrt", coerce_duration("sqrt_warmup", "duration", duration), start, 1.0, offset)


def log_warmup(duration: DurationLike, start: float = 0.0, offset: int = 0) -> Warmup:
    """Logarithmic warmup (DeepSpeed ``WarmupLR``'s default):
    ``f(t) = start + (1 - start) * log(t + offset + 1) / log(max(2, W))`` for ``t + offset < W``, else 1.
    It reaches the peak at ``t = W - 1``.

    Example:
        >>> from rampup import log_warmup
        >>> [round(v, 6) for v in log_warmup(10).values(4).tolist()]
        [0.0, 0.30103, 0.477121, 0.60206]
    """
    return Warmup("log", coerce_duration("log_warmup", "duration", duration), start, 1.0, offset)


def geometric_warmup(duration: DurationLike, start: float, offset: int = 0) -> Warmup:
    """Exponential growth from a small ``start > 0``: ``f(t) = start ** (1 - x)``, ``x = min(1, (t + offset) / W)``;
    the factor is multiplied by the same ratio ``(1 / start) ** (1 / W)`` every update.

    Example:
        >>> from rampup import geometric_warmup
        >>> [round(v, 6) for v in geometric_warmup(2, start=0.01).values().tolist()]
        [0.01, 0.1, 1.0]
    """
    return Warmup("geometric", coerce_duration("geometric_warmup", "duration", duration), start, 1.0, offset)


def constant_warmup(duration: DurationLike, start: float) -> Warmup:
    """Constant warmup (Goyal et al. 2017): ``f(t) = start`` for ``t < W``, then 1. A jump at W by design.

    Example:
        >>> from rampup import constant_warmup
        >>> constant_warmup(3, start=0.1).values().tolist()
        [0.1, 0.1, 0.1, 1.0]
    """
    return Warmup("constant", coerce_duration("constant_warmup", "duration", duration), start, 1.0, 0)


@dataclass(frozen=True, repr=False)
class SaturatingWarmup(Schedule):
    """``start + (1 - start) * (1 - exp(-(t + offset) / tau))``, held after ``duration`` if one is given."""

    tau: float
    start: float = 0.0
    offset: int = 0
    duration: int | Duration | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tau", check_number("exp_warmup", "tau", self.tau, 0.0, None, lo_open=True))
        object.__setattr__(self, "start", check_number("exp_warmup", "start", self.start, 0.0, 1.0))
        object.__setattr__(self, "offset", check_int("exp_warmup", "offset", self.offset, 0, MAX_STEPS))
        object.__setattr__(self, "duration", coerce_duration("exp_warmup", "duration", self.duration, optional=True))

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return exp_warmup, {"tau": self.tau, "start": self.start, "offset": self.offset, "duration": self.duration}

    def _eval(self, t: Any, ops: Any) -> Any:
        if self._stop is not None:
            t = ops.clip(t, 0.0, self._stop)
        return self.start + (1.0 - self.start) * (1.0 - ops.exp(-(t + self.offset) / self.tau))


def exp_warmup(tau: float, start: float = 0.0, offset: int = 0,
               duration: DurationLike | None = None) -> SaturatingWarmup:
    """Saturating exponential warmup: ``f(t) = start + (1 - start) * (1 - exp(-(t + offset) / tau))``.

    It approaches the peak without reaching it, so it is meant to multiply a decay (pytorch_warmup's
    ``ExponentialWarmup`` is ``decay * exp_warmup(tau, offset=1)``); ``with_warmup(decay, exp_warmup(...),
    overlap=True)`` does that. With a ``duration`` it stops there and a following decay starts from the value
    it reached.

    Example:
        >>> from rampup import exp_warmup
        >>> [round(v, 6) for v in exp_warmup(10, offset=1).values(3).tolist()]
        [0.095163, 0.181269, 0.259182]
    """
    return SaturatingWarmup(tau, start, offset, coerce_duration("exp_warmup", "duration", duration, optional=True))


@dataclass(frozen=True, repr=False)
class RAdamWarmup(Schedule):
    """The warmup implied by RAdam's variance rectification (Liu et al. 2019; Ma & Yarats 2021)."""

    beta2: float = 0.999
    offset: int | None = None

    def __post_init__(self) -> None:
        b2 = check_number("radam_warmup", "beta2", self.beta2, 0.6, 1.0, lo_open=True, hi_open=True)
        object.__setattr__(self, "beta2", b2)
        if self.offset is not None:
            off = check_int("radam_warmup", "offset", self.offset, 1, MAX_STEPS)
            if self._rho(float(off), SCALAR) <= 4:
                raise RampupError(f"radam_warmup: offset={off} gives rho_t <= 4 for beta2={b2}; use a larger offset")
            object.__setattr__(self, "offset", off)

    @cached_property
    def _rho_inf(self) -> float:
        return 2.0 / (1.0 - self.beta2) - 1.0

    @cached_property
    def _y(self) -> float:
        return -math.log1p(-(1.0 - self.beta2))  # -log(beta2), exact for beta2 next to 1 (1 - beta2 is exact)

    def _rho(self, r: Any, ops: Any) -> Any:
        """``rho(r) = rho_inf - 2 r beta2^r / (1 - beta2^r)``, one formula for the offset search and the values.

        With ``y = -log(beta2)`` and ``g(z) = 1 / expm1(z) - 1 / z + 1 / 2`` (an odd series in ``z``), it is
        ``r + 2 g(y) - 2 r g(r y)`` exactly: for ``r y < 1/2`` this form is used, since the textbook one subtracts
        two numbers near ``2 / (1 - beta2)`` to get one near ``r`` and loses every digit as beta2 nears 1; for
        larger ``r y`` the textbook form, with ``beta2^r / (1 - beta2^r) = -exp(-r y) / expm1(-r y)``.
        """
        z = r * self._y
        near = r + self._2g_y - r * _two_g(ops.clip(z, 0.0, 0.5))
        far = self._rho_inf + 2.0 * ops.exp(-z) / ops.expm1(-z) * r
        return ops.where(z < 0.5, near, far)

    @cached_property
    def _2g_y(self) -> float:
        return _two_g(self._y) if self._y < 0.5 else 2.0 / math.expm1(self._y) - 2.0 / self._y + 1.0

    @cached_property
    def _delta(self) -> int:
        """The smallest 1-based step with rho_t > 4 (at most 5 for beta2 > 0.8), pytorch_warmup's offset."""
        if self.offset is not None:
            return self.offset
        delta = 1
        while self._rho(float(delta), SCALAR) <= 4:
            delta += 1
        return delta

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return radam_warmup, {"beta2": self.beta2, "offset": self.offset}

    @cached_property
    def _scale(self) -> float:
        ri = self._rho_inf
        return ri / ((ri - 4.0) * (ri - 2.0))

    def _eval(self, t: Any, ops: Any) -> Any:
        rho = self._rho(t + self._delta, ops)
        # rho > 4 from the offset on; the clip keeps a float32 rounding of rho - 4 from going below 0
        return ops.sqrt(ops.clip(rho - 4.0, 0.0, None) * (rho - 2.0) * self._scale / rho)


# 2 g(z) = 2 (1 / expm1(z) - 1 / z + 1 / 2) = sum_k 2 B_2k z^(2k - 1) / (2k)!  (Bernoulli numbers), for |z| <= 1/2;
# seven terms leave an error below 1e-19
_G_SERIES = (1 / 6, -1 / 360, 1 / 15120, -1 / 604800, 1 / 23950080, -691 / 653837184000, 1 / 37362124800)


def _two_g(z: Any) -> Any:
    z2 = z * z
    acc = _G_SERIES[-1]
    for c in reversed(_G_SERIES[:-1]):
        acc = acc * z2 + c
    return acc * z


def radam_warmup(beta2: float = 0.999, offset: int | None = None) -> RAdamWarmup:
    """RAdam's rectification term as a warmup factor (pytorch_warmup ``RAdamWarmup``):

    ``rho_inf = 2 / (1 - beta2) - 1``, ``rho(r) = rho_inf - 2 r beta2^r / (1 - beta2^r)``,
    ``f(t) = sqrt((rho - 4)(rho - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho))`` at ``r = t + offset``, where
    ``offset`` defaults to the smallest r with ``rho(r) > 4``. It approaches 1 without reaching it: multiply a
    decay by it. ``rho`` is computed in a form without cancellation (see ``RAdamWarmup._rho``), so the values
    keep their precision for every beta2 up to 1 - 2**-52 and in float32 (jax computes float16 and bfloat16
    steps in float32).

    Example:
        >>> from rampup import radam_warmup
        >>> [round(v, 6) for v in radam_warmup(0.999).values(4).tolist()]
        [0.017312, 0.025821, 0.032739, 0.038738]
    """
    return RAdamWarmup(beta2, offset)


def untuned_warmup(beta2: float = 0.999, kind: str = "linear") -> Schedule:
    """The untuned warmup of Ma & Yarats (2021) for Adam with second-moment decay ``beta2``.

    ``kind="linear"``: ``linear_warmup(round(2 / (1 - beta2)), offset=1)``, i.e. ``min(1, (t + 1)(1 - beta2) / 2)``.
    ``kind="exponential"``: ``exp_warmup(tau=round(1 / (1 - beta2)), offset=1)``.
    The lengths are rounded to the nearest update (pytorch_warmup truncates: 1999 instead of 2000 for 0.999).

    Example:
        >>> from rampup import untuned_warmup
        >>> untuned_warmup(0.999), untuned_warmup(0.98, "exponential")
        (linear_warmup(2000, offset=1), exp_warmup(50.0, offset=1))
    """
    b2 = check_number("untuned_warmup", "beta2", beta2, 0.0, 1.0, lo_open=True, hi_open=True)
    if kind == "linear":
        return linear_warmup(max(1, round(2.0 / (1.0 - b2))), offset=1)
    if kind == "exponential":
        return exp_warmup(float(max(1, round(1.0 / (1.0 - b2)))), offset=1)
    raise RampupError(f"untuned_warmup: kind must be 'linear' or 'exponential', got {kind!r}")

#: the constructors a spec string or a dict may name (rampup.core.spec reads this list)
SPEC_FUNCTIONS = (
    linear_warmup, cosine_warmup, poly_warmup, sqrt_warmup, log_warmup, geometric_warmup, constant_warmup, exp_warmup,
    radam_warmup, untuned_warmup,
)
_BY_SHAPE: dict[str, Callable[..., Schedule]] = {
    "linear": linear_warmup, "cosine": cosine_warmup, "poly": poly_warmup, "sqrt": sqrt_warmup, "log": log_warmup,
    "geometric": geometric_warmup, "constant": constant_warmup}
