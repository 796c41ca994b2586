"""Hand-over and decay phases. Each starts from ``start``, which by default is the value the phase before it
reached (1.0 when it comes first), so a sequence has no jump at a join unless one is asked for."""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .errors import RampupError
from .schedule import Schedule
from .shapes import RISING
from .units import Duration, DurationLike, coerce_duration
from .validate import MAX_STEPS, check_int, check_number, show

__all__ = [
    "Constant",
    "Decay",
    "ExpDecay",
    "InverseSqrt",
    "MultiStep",
    "Noam",
    "constant",
    "cosine_decay",
    "exp_decay",
    "geometric_decay",
    "inverse_sqrt",
    "linear_decay",
    "multistep",
    "noam",
    "poly_decay",
    "sqrt_decay",
    "step_decay",
]

_SHAPES = ("linear", "cosine", "poly", "sqrt", "geometric")


def _start(owner: str, start: Any) -> float | None:
    return None if start is None else check_number(owner, "start", start, 0.0, 1.0)


class _Inherits(Schedule):
    """A phase whose ``start=None`` means "the value the previous phase reached" (1.0 when first)."""

    start: float | None
    _START_FIELD = "start"  # the dataclass field that holds the start (Constant calls it ``value``)

    @cached_property
    def _a(self) -> float:
        return 1.0 if self.start is None else self.start

    def _bind(self, prev: Schedule) -> Schedule:
        if self.start is not None or prev.end_value is None:
            return self
        return dataclasses.replace(self, **{self._START_FIELD: prev.end_value})  # type: ignore[type-var]


@dataclass(frozen=True, repr=False)
class Decay(_Inherits):
    """A fall from ``start`` to ``to`` over ``duration`` updates along ``shape``, then ``to``; built by the
    ``*_decay`` functions, which document each formula.

    The curve's progress is ``x = min(1, (u + offset) / D) ** k``: ``offset`` starts the phase that many steps
    into its curve (the phase lasts ``D - offset``), ``k`` is timm's k-decay. A cosine runs ``waves`` periods
    (0.5: one fall) and may be raised to ``power`` (optax's ``exponent``); ``stretch`` (Keras'
    ``PolynomialDecay(cycle=True)``) grows D to the next multiple of D once u passes it, so the phase never ends."""

    shape: str
    duration: int | Duration | None = None
    to: float = 0.0
    start: float | None = None
    power: float = 1.0
    cycles: int = 1
    waves: float = 0.5
    k: float = 1.0
    offset: int = 0
    stretch: bool = False

    def __post_init__(self) -> None:
        name = f"{self.shape}_decay"
        if self.shape not in _SHAPES:
            raise RampupError(f"Decay: shape must be one of {', '.join(_SHAPES)}, got {self.shape!r}")
        object.__setattr__(self, "duration", coerce_duration(name, "duration", self.duration, optional=True))
        geometric = self.shape == "geometric"
        object.__setattr__(self, "to", check_number(name, "to", self.to, 0.0, 1.0, lo_open=geometric))
        object.__setattr__(self, "start", _start(name, self.start))
        if self.start is not None and self.to > self.start:
            raise RampupError(f"{name}: to={self.to!r} is above start={self.start!r}; a decay must not rise")
        if geometric and self.start == 0:
            raise RampupError(f"{name}: start must be > 0 for a geometric decay, got 0")
        object.__setattr__(self, "power", check_number(name, "power", self.power, 0.0, None, lo_open=True))
        object.__setattr__(self, "cycles", check_int(name, "cycles", self.cycles, 1, MAX_STEPS))
        object.__setattr__(self, "waves", check_number(name, "waves", self.waves, 0.0, None, lo_open=True))
        object.__setattr__(self, "k", check_number(name, "k", self.k, 0.0, None, lo_open=True))
        object.__setattr__(self, "offset", check_int(name, "offset", self.offset, 0, MAX_STEPS))
        if not isinstance(self.stretch, bool):
            raise RampupError(f"{name}: stretch must be true or false, got {show(self.stretch)}")
        if isinstance(self.duration, int) and self.offset > self.duration:
            raise RampupError(f"{name}: offset must be at most the duration {self.duration}, got {self.offset}")
        if self.cycles > 1 and (self.waves != 0.5 or self.k != 1.0 or self.offset or self.stretch):
            raise RampupError(f"{name}: cycles={self.cycles} restarts cannot be combined with waves, k, offset or "
                              "stretch")

    def _find_missing(self) -> str | None:
        if self.duration is None:
            return f"{self.shape}_decay needs its duration: pass total_steps=... to parse() or .resolve()"
        return super()._find_missing()

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        fn = _BY_SHAPE[self.shape]
        return fn, {key: getattr(self, key) for key in _PARAMS[fn]}

    @cached_property
    def _curve(self) -> Any:
        return RISING.get(self.shape)

    def _eval(self, t: Any, ops: Any) -> Any:
        if not self.duration:
            return self.to
        # durations meet the step as floats: a Python int beyond int32 (10**10) cannot meet a traced jax step
        d = float(self.duration)  # type: ignore[arg-type]
        a, b = self._a, self.to
        if self.offset:
            t = t + float(self.offset)
        if self.stretch:  # Keras' cycle=True: D * max(1, ceil(u / D))
            d = d * ops.clip(-ops.floor(-t / d), 1.0, None)
        xc = None
        if self.cycles > 1:  # hard restarts (HF): each cycle falls from a to b; at the very end it is b
            x = ops.clip(t / d, 0.0, 1.0)
            y = 1.0 - ops.where(x < 1.0, (self.cycles * x) % 1.0, 1.0)
        elif self.k != 1.0:
            xc = ops.clip(t / d, 0.0, 1.0) ** self.k
            y = 1.0 - xc
        else:
            y = ops.clip((d - t) / d, 0.0, 1.0)  # the part of D still to go, exact near the end
            xc = ops.clip(t / d, 0.0, 1.0) if self.shape == "sqrt" else None
        curve = self._curve
        if curve is None:  # geometric
            return a * ops.exp((1.0 - y) * math.log(b / a))
        if self.waves != 0.5:  # HF's num_cycles: the cosine of 2 pi waves x, falling and rising again
            r = 0.5 + 0.5 * ops.cos((2.0 * math.pi * self.waves) * (1.0 - y))
        else:
            r = curve(y, ops, self.power if self.shape == "poly" else 1.0, xc)  # the part of the fall still to go
        if self.shape == "cosine" and self.power != 1.0:
            r = r**self.power
        return a * r + b * (1.0 - r)

    @property
    def length(self) -> int | None:
        d = self.duration
        return d - self.offset if isinstance(d, int) and not self.stretch else None

    def _with_length(self, n: int) -> Schedule:
        if self._open:
            return dataclasses.replace(self, duration=n + self.offset)
        return super()._with_length(n)

    @property
    def end_value(self) -> float | None:
        if self.stretch:
            return None
        if self.waves != 0.5:
            return super().end_value
        return self.to


def linear_decay(duration: DurationLike | None = None, to: float = 0.0, start: float | None = None,
                 cycles: int = 1, offset: int = 0) -> Decay:
    """Linear decay: ``f(u) = start + (to - start) * min(1, u / D)``, u counting from the phase's start.

    Args:
        duration: D; ``None`` in a sequence means the rest of training (needs ``total_steps``).
        to: the final factor (a floor), in [0, 1].
        start: the factor at u = 0; ``None`` continues from the phase before (1.0 if none).
        cycles: restart ``cycles`` times within D (each cycle falls from start to ``to``).
        offset: start the phase this many steps into its fall (``x = min(1, (u + offset) / D)``; the phase then
            lasts ``D - offset``), as torch's SWALR anneal and DeepSpeed's WarmupCosineLR do.

    Example:
        >>> from rampup import linear_decay
        >>> linear_decay(4, to=0.2).values().tolist()
        [1.0, 0.8, 0.6, 0.4, 0.2]
    """
    return Decay("linear", coerce_duration("linear_decay", "duration", duration, optional=True), to, start, 1.0, cycles,
                 offset=offset)


def cosine_decay(duration: DurationLike | None = None, to: float = 0.0, start: float | None = None,
                 cycles: int = 1, power: float = 1.0, waves: float = 0.5, k: float = 1.0, offset: int = 0) -> Decay:
    """Cosine decay: ``f(u) = to + (start - to) * ((1 + cos(2 pi waves x)) / 2) ** power``,
    ``x = min(1, (u + offset) / D) ** k``; by default (``waves=0.5, power=1, k=1, offset=0``)
    ``to + (start - to) * (1 + cos(pi u / D)) / 2``.

    With ``cycles = n > 1`` it restarts n times (HF ``cosine_with_hard_restarts``): ``x -> (n x) mod 1`` for
    x < 1. For restarts of growing length or with a warmup each, see :func:`repeat`.

    Args:
        power: optax's ``exponent`` (``cosine_decay_schedule(exponent=p)``), together with ``to`` as its alpha.
        waves: periods of the cosine over D: 0.5 is one fall; 1.0 falls and rises back to ``start`` (HF's
            ``num_cycles``), so the phase may end above ``to``.
        k: timm's ``k_decay``: the progress is ``x ** k``.
        offset: start the phase this many steps into its curve (it then lasts ``D - offset``): timm's
            ``warmup_prefix=False`` (``offset=W``), DeepSpeed's WarmupCosineLR (``offset=1``).

    Example:
        >>> from rampup import cosine_decay
        >>> [round(v, 6) for v in cosine_decay(4, to=0.1).values().tolist()]
        [1.0, 0.868198, 0.55, 0.231802, 0.1]
        >>> [round(v, 6) for v in cosine_decay(4, waves=1.0).values().tolist()]
        [1.0, 0.5, 0.0, 0.5, 1.0]
    """
    return Decay("cosine", coerce_duration("cosine_decay", "duration", duration, optional=True), to, start, power,
                 cycles, waves=waves, k=k, offset=offset)


def poly_decay(duration: DurationLike | None = None, to: float = 0.0, power: float = 1.0,
               start: float | None = None, cycles: int = 1, k: float = 1.0, offset: int = 0,
               stretch: bool = False) -> Decay:
    """Polynomial decay (HF ``polynomial_decay``, torch ``PolynomialLR``, timm ``PolyLRScheduler``):
    ``f(u) = to + (start - to) * (1 - x) ** power``, ``x = min(1, (u + offset) / D') ** k``, where ``D' = D``,
    or with ``stretch=True`` (Keras ``PolynomialDecay(cycle=True)``) ``D' = D * max(1, ceil((u + offset) / D))``:
    past its end the decay is stretched to the next multiple of D and the phase never ends.

    ``k`` is timm's ``k_decay``; ``offset`` starts the phase that many steps into its curve (timm's
    ``warmup_prefix=False``).

    Example:
        >>> from rampup import poly_decay
        >>> poly_decay(4, power=2).values().tolist()
        [1.0, 0.5625, 0.25, 0.0625, 0.0]
        >>> poly_decay(2, stretch=True).values(5).tolist()
        [1.0, 0.5, 0.0, 0.25, 0.0]
    """
    return Decay("poly", coerce_duration("poly_decay", "duration", duration, optional=True), to, start, power, cycles,
                 k=k, offset=offset, stretch=stretch)


def sqrt_decay(duration: DurationLike | None = None, to: float = 0.0, start: float | None = None,
               cycles: int = 1, offset: int = 0) -> Decay:
    """1-sqrt cooldown (Hägele et al. 2024; HF ``decay_type="1-sqrt"``):
    ``f(u) = to + (start - to) * (1 - sqrt(x))``, ``x = min(1, u / D)``.

    Example:
        >>> from rampup import sqrt_decay
        >>> [round(v, 12) for v in sqrt_decay(4).values().tolist()]
        [1.0, 0.5, 0.292893218813, 0.133974596216, 0.0]
    """
    return Decay("sqrt", coerce_duration("sqrt_decay", "duration", duration, optional=True), to, start, 1.0, cycles,
                 offset=offset)


def geometric_decay(duration: DurationLike | None = None, to: float = 0.01, start: float | None = None,
                    cycles: int = 1, offset: int = 0) -> Decay:
    """Exponential decay from ``start`` to ``to > 0`` in D updates (fairseq tri-stage's decay):
    ``f(u) = start * (to / start) ** x``, ``x = min(1, u / D)``.

    Example:
        >>> from rampup import geometric_decay
        >>> [round(v, 6) for v in geometric_decay(2, to=0.01).values().tolist()]
        [1.0, 0.1, 0.01]
    """
    return Decay("geometric", coerce_duration("geometric_decay", "duration", duration, optional=True), to, start, 1.0,
                 cycles, offset=offset)


@dataclass(frozen=True, repr=False)
class Constant(_Inherits):
    """A constant factor for ``duration`` updates (or for ever)."""

    duration: int | Duration | None = None
    value: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "duration", coerce_duration("constant", "duration", self.duration, optional=True))
        object.__setattr__(self, "value", _start("constant", self.value))

    _START_FIELD = "value"

    @property
    def start(self) -> float | None:  # type: ignore[override]
        """The factor this phase holds: ``value``, or None to hold what the phase before it reached."""
        return self.value

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return constant, {"duration": self.duration, "value": self.value}

    def _eval(self, t: Any, ops: Any) -> Any:
        return self._a

    @property
    def end_value(self) -> float:
        return self._a


def constant(duration: DurationLike | None = None, value: float | None = None) -> Constant:
    """Hold a factor: ``f(u) = value``; ``value=None`` holds what the phase before reached (1.0 if none).

    Example:
        >>> from rampup import constant, linear_warmup
        >>> (linear_warmup(2) >> constant(2) >> constant(value=0.5)).values(6).tolist()
        [0.0, 0.5, 1.0, 1.0, 0.5, 0.5]
    """
    return Constant(coerce_duration("constant", "duration", duration, optional=True), value)


@dataclass(frozen=True, repr=False)
class ExpDecay(_Inherits):
    """``start * gamma ** (u / every)`` (``floor(u / every)`` when ``staircase``), never below ``to``."""

    gamma: float
    every: int | Duration = 1
    staircase: bool = False
    to: float = 0.0
    duration: int | Duration | None = None
    start: float | None = None

    def __post_init__(self) -> None:
        name = self._name
        object.__setattr__(self, "gamma", check_number(name, "gamma", self.gamma, 0.0, 1.0, lo_open=True))
        every = coerce_duration(name, "every", self.every)
        if every == 0:
            raise RampupError(f"{name}: every must be at least 1 step, got 0")
        object.__setattr__(self, "every", every)
        if not isinstance(self.staircase, bool):
            raise RampupError(f"{name}: staircase must be true or false, got {self.staircase!r}")
        object.__setattr__(self, "to", check_number(name, "to", self.to, 0.0, 1.0))
        object.__setattr__(self, "duration", coerce_duration(name, "duration", self.duration, optional=True))
        object.__setattr__(self, "start", _start(name, self.start))
        if self.start is not None and self.to > self.start:
            raise RampupError(f"{name}: to={self.to!r} is above start={self.start!r}; a decay must not rise")

    @property
    def _name(self) -> str:
        return "step_decay" if self.staircase else "exp_decay"

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        if self.staircase:
            return step_decay, {"every": self.every, "gamma": self.gamma, "to": self.to,
                                  "duration": self.duration, "start": self.start}
        return exp_decay, {"gamma": self.gamma, "every": self.every, "to": self.to,
                             "duration": self.duration, "start": self.start}

    def _eval(self, t: Any, ops: Any) -> Any:
        u = ops.clip(t, 0.0, self._stop)
        e = u / self.every
        if self.staircase:
            e = ops.floor(e)
        v = self._a * self.gamma**e
        return ops.clip(v, self.to, None) if self.to > 0 else v


def exp_decay(gamma: float, every: DurationLike = 1, to: float = 0.0, duration: DurationLike | None = None,
              start: float | None = None) -> ExpDecay:
    """Exponential decay (torch ``ExponentialLR``, optax / Keras ``exponential_decay``):
    ``f(u) = max(to, start * gamma ** (u / every))``.

    Example:
        >>> from rampup import exp_decay
        >>> exp_decay(0.5).values(4).tolist()
        [1.0, 0.5, 0.25, 0.125]
    """
    return ExpDecay(gamma, coerce_duration("exp_decay", "every", every), False, to,
                    coerce_duration("exp_decay", "duration", duration, optional=True), start)


def step_decay(every: DurationLike, gamma: float = 0.1, to: float = 0.0, duration: DurationLike | None = None,
               start: float | None = None) -> ExpDecay:
    """Step decay (torch ``StepLR``, staircase exponential decay):
    ``f(u) = max(to, start * gamma ** floor(u / every))``.

    Example:
        >>> from rampup import step_decay
        >>> [round(v, 6) for v in step_decay(2, gamma=0.1).values(5).tolist()]
        [1.0, 1.0, 0.1, 0.1, 0.01]
    """
    return ExpDecay(gamma, coerce_duration("step_decay", "every", every), True, to,
                    coerce_duration("step_decay", "duration", duration, optional=True), start)


@dataclass(frozen=True, repr=False)
class MultiStep(_Inherits):
    """``start * gamma ** (number of milestones <= u)``."""

    milestones: tuple[int | Duration, ...]
    gamma: float = 0.1
    duration: int | Duration | None = None
    start: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.milestones, (str, bytes)) or not hasattr(self.milestones, "__iter__"):
            raise RampupError(f"multistep: milestones must be a list of steps, got {self.milestones!r}")
        ms = tuple(coerce_duration("multistep", "milestones", m) for m in self.milestones)
        if not ms:
            raise RampupError("multistep: milestones must not be empty")
        steps = [m for m in ms if isinstance(m, int)]
        if len(steps) == len(ms) and any(b <= a for a, b in itertools.pairwise(steps)):
            raise RampupError(f"multistep: milestones must be strictly increasing, got {list(ms)!r}")
        object.__setattr__(self, "milestones", ms)
        object.__setattr__(self, "gamma", check_number("multistep", "gamma", self.gamma, 0.0, 1.0, lo_open=True))
        object.__setattr__(self, "duration", coerce_duration("multistep", "duration", self.duration, optional=True))
        object.__setattr__(self, "start", _start("multistep", self.start))

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return multistep, {"milestones": self.milestones, "gamma": self.gamma, "duration": self.duration,
                             "start": self.start}

    def _eval(self, t: Any, ops: Any) -> Any:
        u = ops.clip(t, 0.0, self._stop)
        # the milestones are sorted: a binary search, not a pass per milestone (a long list stays cheap)
        return self._a * self.gamma ** ops.count_le(self.milestones, u)


def multistep(milestones: Any, gamma: float = 0.1, duration: DurationLike | None = None,
              start: float | None = None) -> MultiStep:
    """Multi-step decay (torch ``MultiStepLR``): ``f(u) = start * gamma ** #{m in milestones : m <= u}``.

    Milestones are steps from the phase's start, or durations (``["30ep", "60ep"]``), strictly increasing.

    Example:
        >>> from rampup import multistep
        >>> [round(v, 6) for v in multistep([1, 3], gamma=0.5).values(4).tolist()]
        [1.0, 0.5, 0.5, 0.25]
    """
    return MultiStep(tuple(milestones) if isinstance(milestones, (list, tuple)) else milestones, gamma,
                     coerce_duration("multistep", "duration", duration, optional=True), start)


@dataclass(frozen=True, repr=False)
class InverseSqrt(_Inherits):
    """``start * sqrt(timescale / (u + timescale))``."""

    timescale: int | Duration | None = None
    duration: int | Duration | None = None
    start: float | None = None
    _prev: int | None = dataclasses.field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        ts = coerce_duration("inverse_sqrt", "timescale", self.timescale, optional=True)
        if ts == 0:
            raise RampupError("inverse_sqrt: timescale must be at least 1 step, got 0")
        object.__setattr__(self, "timescale", ts)
        object.__setattr__(self, "duration", coerce_duration("inverse_sqrt", "duration", self.duration, optional=True))
        object.__setattr__(self, "start", _start("inverse_sqrt", self.start))

    def _bind(self, prev: Schedule) -> Schedule:
        bound = super()._bind(prev)
        if self.timescale is None and prev.length is not None:
            bound = dataclasses.replace(bound, _prev=prev.length)  # type: ignore[type-var]
        return bound

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return inverse_sqrt, {"timescale": self.timescale, "duration": self.duration, "start": self.start}

    @cached_property
    def _tau(self) -> float:
        ts = self.timescale
        return float(ts) if isinstance(ts, int) and ts else float(self._prev or 10_000)

    def _eval(self, t: Any, ops: Any) -> Any:
        tau = self._tau
        u = ops.clip(t, 0.0, self._stop)
        return self._a * ops.sqrt(tau / (u + tau))


def inverse_sqrt(timescale: DurationLike | None = None, duration: DurationLike | None = None,
                 start: float | None = None) -> InverseSqrt:
    """Inverse square-root decay (HF ``inverse_sqrt``): ``f(u) = start * sqrt(tau / (u + tau))``.

    ``timescale`` tau defaults to the length of the warmup before it in a sequence (HF's default), and to
    10 000 when there is none.

    Example:
        >>> from rampup import inverse_sqrt, linear_warmup
        >>> (linear_warmup(4) >> inverse_sqrt()).values(9).tolist()[3:]
        [0.75, 1.0, 0.8944271909999159, 0.816496580927726, 0.7559289460184544, 0.7071067811865476]
    """
    return InverseSqrt(coerce_duration("inverse_sqrt", "timescale", timescale, optional=True),
                       coerce_duration("inverse_sqrt", "duration", duration, optional=True), start)


@dataclass(frozen=True, repr=False)
class Noam(Schedule):
    """Vaswani et al.'s schedule normalised to a peak of 1."""

    warmup: int | Duration

    def __post_init__(self) -> None:
        w = coerce_duration("noam", "warmup", self.warmup)
        if w == 0:
            raise RampupError("noam: warmup must be at least 1 step, got 0")
        object.__setattr__(self, "warmup", w)

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return noam, {"warmup": self.warmup}

    def _eval(self, t: Any, ops: Any) -> Any:
        s = t + 1.0
        w = float(self.warmup)  # type: ignore[arg-type]
        rise_, fall = s / w, ops.sqrt(w / ops.clip(s, 1.0, None))
        return ops.where(rise_ < fall, rise_, fall)


def noam(warmup: DurationLike) -> Noam:
    """The Transformer schedule (Vaswani et al. 2017) with its peak scaled to 1:
    ``f(t) = min(s / W, sqrt(W / s))`` with ``s = t + 1``. Multiply by ``d_model ** -0.5 * W ** -0.5`` for the
    paper's absolute LR (or use ``noam_peak``).

    Example:
        >>> from rampup import noam
        >>> [round(v, 4) for v in noam(4).values(6).tolist()]
        [0.25, 0.5, 0.75, 1.0, 0.8944, 0.8165]
    """
    return Noam(coerce_duration("noam", "warmup", warmup))


def noam_peak(d_model: int, warmup: int) -> float:
    """The paper's peak LR ``d_model ** -0.5 * warmup ** -0.5`` (reached at step ``warmup - 1``).

    Example:
        >>> round(noam_peak(512, 4000) * noam(4000)(0), 13)
        1.746928e-07
    """
    check_int("noam_peak", "d_model", d_model, 1)
    check_int("noam_peak", "warmup", warmup, 1)
    return float(d_model**-0.5 * warmup**-0.5)


__all__.append("noam_peak")

#: the constructors a spec string or a dict may name (rampup.core.spec reads this list)
SPEC_FUNCTIONS = (
    linear_decay, cosine_decay, poly_decay, sqrt_decay, geometric_decay, constant, exp_decay, step_decay, multistep,
    inverse_sqrt, noam,
)
_BY_SHAPE: dict[str, Callable[..., Schedule]] = {
    "linear": linear_decay, "cosine": cosine_decay, "poly": poly_decay, "sqrt": sqrt_decay,
    "geometric": geometric_decay,
}
#: each shape's constructor -> the Decay fields it takes, in its order (what its spec writes)
_PARAMS = {fn: tuple(inspect.signature(fn).parameters) for fn in _BY_SHAPE.values()}
