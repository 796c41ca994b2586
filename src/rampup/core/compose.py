"""Composition: one phase after another (``>>``), products (``*``), scaling, clipping, repetition, and the
named recipes built from them (warmup-stable-decay, one-cycle, tri-stage)."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ._decay import constant, cosine_decay, geometric_decay, linear_decay, sqrt_decay
from ._errors import BudgetError, RampupError
from ._schedule import Schedule, check_int, check_number, format_value, spec_function
from ._units import Budget, DurationLike
from ._warmup import Warmup, cosine_warmup, linear_warmup

__all__ = [
    "Clip",
    "Product",
    "Repeat",
    "Scaled",
    "Sequence",
    "clip",
    "one_cycle",
    "repeat",
    "sequence",
    "tri_stage",
    "with_warmup",
    "wsd",
]


def _check_schedule(owner: str, name: str, value: Any) -> Schedule:
    if not isinstance(value, Schedule):
        raise RampupError(f"{owner}: {name} must be a schedule, got {value!r}")
    return value


def _paren(s: Schedule, *kinds: type) -> str:
    text = s.spec()
    return f"({text})" if isinstance(s, kinds) else text


@dataclass(frozen=True, repr=False)
class Sequence(Schedule):
    """Phases one after another; each counts its own steps from its start and holds its last value after its
    end. After the last phase, its last value holds."""

    phases: tuple[Schedule, ...]

    def __post_init__(self) -> None:
        if isinstance(self.phases, Schedule) or not hasattr(self.phases, "__iter__"):
            raise RampupError(f"sequence: phases must be a list of schedules, got {self.phases!r}")
        flat: list[Schedule] = []
        for i, p in enumerate(self.phases):
            _check_schedule("sequence", f"phases[{i}]", p)
            flat.extend(p.phases if isinstance(p, Sequence) else (p,))
        if not flat:
            raise RampupError("sequence: needs at least one phase")
        object.__setattr__(self, "phases", tuple(flat))
        self._bound  # bind now, so that a phase that cannot follow its predecessor fails at construction

    @cached_property
    def _bound(self) -> tuple[Schedule, ...]:
        """The phases as they run: those with no explicit start begin where the phase before ended."""
        bound = [self.phases[0]]
        for i, p in enumerate(self.phases[1:], 2):
            try:
                bound.append(p._bind(bound[-1]))
            except RampupError as e:
                raise RampupError(f"phase {i} ({p.spec()}) cannot follow {bound[-1].spec()}, which ends at "
                                  f"{bound[-1].end_value!r}: {e}") from None
        return tuple(bound)

    @cached_property
    def _starts(self) -> tuple[int, ...]:
        starts, at = [0], 0
        for p in self.phases[:-1]:
            at += p.length  # type: ignore[operator]  # checked by _find_missing
            starts.append(at)
        return tuple(starts)

    def _find_missing(self) -> str | None:
        for p in self.phases:
            if p._missing is not None:
                return p._missing
        for i, p in enumerate(self.phases[:-1]):
            if p.length is None:
                why = "is open (the rest of training)" if p._open else "never ends"
                return (f"phase {i + 1} ({p.spec()}) {why}, so the phases after it never start: give it a "
                        "duration, or pass total_steps=... to parse() or .resolve()")
        return None

    def _eval(self, t: Any, ops: Any) -> Any:
        starts, phases = self._starts, self._bound
        if ops.scalar:
            i = bisect.bisect_right(starts, t) - 1
            return phases[i]._eval(t - starts[i], ops)
        out = phases[0]._eval(t, ops)
        for b, p in zip(starts[1:], phases[1:]):
            out = ops.where(t >= b, p._eval(ops.clip(t - b, 0.0, None), ops), out)
        return out

    @property
    def length(self) -> int | None:
        total = 0
        for p in self.phases:
            if p.length is None:
                return None
            total += p.length
        return total

    @property
    def end_value(self) -> float | None:
        return self._bound[-1].end_value if self._missing is None else None

    def _resolve(self, budget: Budget) -> Schedule:
        return Sequence(tuple(fill_rest([p._resolve(budget) for p in self.phases], budget)))

    def _call(self) -> tuple[str, dict[str, Any]]:
        return "sequence", {"phases": self.phases}

    def spec(self) -> str:
        return " >> ".join(_paren(p, Sequence) for p in self.phases)


def fill_rest(phases: list[Schedule], budget: Budget) -> list[Schedule]:
    """Give the one open phase the updates the others leave of ``total_steps``; check the run is long enough."""
    total = budget.total_steps
    if total is None:
        return phases
    open_ = [i for i, p in enumerate(phases) if p._open]
    if len(open_) > 1:
        names = ", ".join(phases[i].spec() for i in open_)
        raise RampupError(f"only one phase may take the rest of training, but these all do: {names}")
    used = sum(p.length or 0 for p in phases if not p._open)
    if used > total:
        what = " >> ".join(p.spec() for p in phases if not p._open)
        raise BudgetError(f"{what} takes {used} updates, more than total_steps={total}")
    if open_:
        i = open_[0]
        phases = phases[:i] + [phases[i]._with_length(total - used)] + phases[i + 1:]
    return phases


@spec_function("sequence")
def sequence(phases: Any) -> Sequence:
    """Phases one after another (the same as ``a >> b >> c``); each counts its own steps from its start.

    Example:
        >>> from rampup import sequence, linear_warmup, linear_decay
        >>> sequence([linear_warmup(2), linear_decay(2)]).values().tolist()
        [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    return Sequence(tuple(phases) if isinstance(phases, (list, tuple)) else phases)


@dataclass(frozen=True, repr=False)
class Product(Schedule):
    """The product of schedules, each on the same clock."""

    factors: tuple[Schedule, ...]

    def __post_init__(self) -> None:
        if isinstance(self.factors, Schedule) or not hasattr(self.factors, "__iter__"):
            raise RampupError(f"product: factors must be a list of schedules, got {self.factors!r}")
        flat: list[Schedule] = []
        for i, f in enumerate(self.factors):
            _check_schedule("product", f"factors[{i}]", f)
            flat.extend(f.factors if isinstance(f, Product) else (f,))
        if len(flat) < 2:
            raise RampupError("product: needs at least two schedules")
        object.__setattr__(self, "factors", tuple(flat))

    def _eval(self, t: Any, ops: Any) -> Any:
        out = self.factors[0]._eval(t, ops)
        for f in self.factors[1:]:
            out = out * f._eval(t, ops)
        return out

    @property
    def length(self) -> int | None:
        lengths = [f.length for f in self.factors]
        return None if None in lengths else max(lengths)  # type: ignore[type-var]

    @property
    def _open(self) -> bool:
        return any(self._needs_length(f) for f in self.factors)

    @staticmethod
    def _needs_length(f: Schedule) -> bool:
        """An open factor that cannot run without a length (a decay); ``exp_warmup()`` runs for ever as it is."""
        return f._open and f._missing is not None

    def _with_length(self, n: int) -> Schedule:
        """The factors that need a length run for the ``n`` updates the product is given."""
        return Product(tuple(f._with_length(n) if self._needs_length(f) else f for f in self.factors))

    def _call(self) -> tuple[str, dict[str, Any]]:
        return "product", {"factors": self.factors}

    def spec(self) -> str:
        return " * ".join(_paren(f, Sequence, Scaled) for f in self.factors)


@spec_function("product")
def product(factors: Any) -> Product:
    """The product of schedules on one clock (the same as ``a * b``).

    Example:
        >>> from rampup import product, linear_decay, exp_warmup
        >>> round(product([linear_decay(10), exp_warmup(10, offset=1)])(0), 6)
        0.095163
    """
    return Product(tuple(factors) if isinstance(factors, (list, tuple)) else factors)


@dataclass(frozen=True, repr=False)
class Scaled(Schedule):
    """``factor * schedule``, for absolute learning rates."""

    schedule: Schedule
    factor: float

    def __post_init__(self) -> None:
        _check_schedule("scale", "schedule", self.schedule)
        object.__setattr__(self, "factor", check_number("scale", "factor", self.factor, 0.0, None))

    def _eval(self, t: Any, ops: Any) -> Any:
        return self.factor * self.schedule._eval(t, ops)

    @property
    def length(self) -> int | None:
        return self.schedule.length

    @property
    def _open(self) -> bool:
        return self.schedule._open

    def _with_length(self, n: int) -> Schedule:
        return Scaled(self.schedule._with_length(n), self.factor)

    def _call(self) -> tuple[str, dict[str, Any]]:
        return "scaled", {"schedule": self.schedule, "factor": self.factor}

    def spec(self) -> str:
        return f"{format_value(self.factor)} * {_paren(self.schedule, Sequence, Product, Scaled)}"


@spec_function("scaled")
def scaled(schedule: Schedule, factor: float) -> Scaled:
    """``factor * schedule`` (the same as ``schedule.scale(factor)``).

    Example:
        >>> from rampup import scaled, linear_warmup
        >>> scaled(linear_warmup(2), 0.5)(1)
        0.25
    """
    return Scaled(schedule, factor)


@dataclass(frozen=True, repr=False)
class Clip(Schedule):
    """``min(max, max(min, schedule))``."""

    schedule: Schedule
    min: float = 0.0
    max: float | None = None

    def __post_init__(self) -> None:
        _check_schedule("clip", "schedule", self.schedule)
        object.__setattr__(self, "min", check_number("clip", "min", self.min, 0.0, None))
        if self.max is not None:
            object.__setattr__(self, "max", check_number("clip", "max", self.max, 0.0, None))
            if self.max < self.min:
                raise RampupError(f"clip: max={self.max!r} is below min={self.min!r}")

    def _eval(self, t: Any, ops: Any) -> Any:
        return ops.clip(self.schedule._eval(t, ops), self.min, self.max)

    @property
    def length(self) -> int | None:
        return self.schedule.length

    @property
    def _open(self) -> bool:
        return self.schedule._open

    def _with_length(self, n: int) -> Schedule:
        return Clip(self.schedule._with_length(n), self.min, self.max)

    def _call(self) -> tuple[str, dict[str, Any]]:
        return "clip", {"schedule": self.schedule, "min": self.min, "max": self.max}


@spec_function("clip")
def clip(schedule: Schedule, min: float = 0.0, max: float | None = None) -> Clip:
    """Keep a schedule within bounds: ``f(t) = min(max, max(min, schedule(t)))``; ``min`` is a floor.

    Example:
        >>> from rampup import clip, linear_decay
        >>> clip(linear_decay(4), min=0.3).values().tolist()
        [1.0, 0.75, 0.5, 0.3, 0.3]
    """
    return Clip(schedule, min, max)


@dataclass(frozen=True, repr=False)
class Repeat(Schedule):
    """A schedule of length L run ``times`` times (for ever when None); cycle i lasts ``L * mult ** i`` updates
    and runs the schedule stretched to that length."""

    schedule: Schedule
    times: int | None = None
    mult: float = 1.0

    def __post_init__(self) -> None:
        _check_schedule("repeat", "schedule", self.schedule)
        if self.times is not None:
            object.__setattr__(self, "times", check_int("repeat", "times", self.times, 1))
        object.__setattr__(self, "mult", check_number("repeat", "mult", self.mult, 1.0, None))

    def _find_missing(self) -> str | None:
        missing = self.schedule._missing
        if missing is None and not self.schedule.length:
            return f"repeat needs a schedule of finite length >= 1, got {self.schedule.spec()}"
        return missing

    def _cycle(self, t: Any, ops: Any) -> tuple[Any, Any, Any]:
        """(cycle index n, first step of cycle n, stretch m**n) for t; exact at cycle boundaries."""
        L, m = float(self.schedule.length), self.mult  # type: ignore[arg-type]
        if m == 1.0:
            n = ops.floor(t / L)
            return n, n * L, 1.0
        n = ops.floor(ops.log(1.0 + t * (m - 1.0) / L) / math.log(m))
        # the logarithm can land one cycle off next to a boundary; powers of m are exact, so step back or on once
        first = L * (m**n - 1.0) / (m - 1.0)
        n = ops.where(first > t, n - 1.0, n)
        n = ops.where(L * (m ** (n + 1.0) - 1.0) / (m - 1.0) <= t, n + 1.0, n)
        stretch = m**n
        return n, L * (stretch - 1.0) / (m - 1.0), stretch

    def _eval(self, t: Any, ops: Any) -> Any:
        L = float(self.schedule.length)  # type: ignore[arg-type]
        if self.times is not None:
            t = ops.clip(t, 0.0, float(self.length))  # type: ignore[arg-type]
        n, first, stretch = self._cycle(t, ops)
        u = (t - first) / stretch
        if self.times is not None:  # at the very end, the last cycle's end value, not a fresh start
            u = ops.where(n > self.times - 1.0, L, u)
        return self.schedule._eval(u, ops)

    @property
    def length(self) -> int | None:
        L = self.schedule.length
        if self.times is None or L is None:
            return None
        return round(sum(L * self.mult**i for i in range(self.times)))

    def _call(self) -> tuple[str, dict[str, Any]]:
        return "repeat", {"schedule": self.schedule, "times": self.times, "mult": self.mult}


@spec_function("repeat")
def repeat(schedule: Schedule, times: int | None = None, mult: float = 1.0) -> Repeat:
    """Restarts: run ``schedule`` (length L) again and again; cycle i lasts ``L * mult ** i`` updates (torch
    ``CosineAnnealingWarmRestarts``' ``T_mult``) and runs the schedule stretched to that length. A schedule with
    its own warmup gives each restart its warmup. ``times=None`` repeats for ever.

    Example:
        >>> from rampup import repeat, linear_decay
        >>> repeat(linear_decay(2), times=2).values(6).tolist()
        [1.0, 0.5, 1.0, 0.5, 0.0, 0.0]
        >>> repeat(linear_decay(2), mult=2).values(7).tolist()
        [1.0, 0.5, 1.0, 0.75, 0.5, 0.25, 1.0]
    """
    return Repeat(schedule, times, mult)


@spec_function("with_warmup")
def with_warmup(schedule: Schedule, warmup: Schedule | DurationLike, overlap: bool = False) -> Schedule:
    """Put a warmup in front of any schedule.

    ``overlap=False`` (default): the warmup runs first, then ``schedule`` from its own step 0, i.e.
    ``warmup >> schedule``: decays start from the value the warmup reached. ``overlap=True``: the two run on the
    same clock and multiply, ``schedule * warmup`` (pytorch_warmup's dampening), which is how warmups that
    never end (``exp_warmup``, ``radam_warmup``) are used. ``warmup`` may be a duration for a linear warmup.

    Example:
        >>> from rampup import with_warmup, step_decay
        >>> with_warmup(step_decay(2, gamma=0.5), 2)
        linear_warmup(2) >> step_decay(2, gamma=0.5)
    """
    _check_schedule("with_warmup", "schedule", schedule)
    if not isinstance(warmup, Schedule):
        warmup = linear_warmup(warmup)
    if not isinstance(overlap, bool):
        raise RampupError(f"with_warmup: overlap must be true or false, got {overlap!r}")
    if overlap:
        return Product((schedule, warmup))
    if warmup.length is None and not isinstance(warmup, Warmup):
        raise RampupError(
            f"with_warmup: {warmup.spec()} never ends, so nothing could come after it: pass overlap=True "
            "to multiply it with the schedule, or give it a duration"
        )
    return Sequence((warmup, schedule))


_DECAYS = {"linear": linear_decay, "cosine": cosine_decay, "sqrt": sqrt_decay}
_RISES = {"linear": linear_warmup, "cosine": cosine_warmup}


@spec_function("wsd")
def wsd(warmup: DurationLike, decay: DurationLike, shape: str = "sqrt", warmup_shape: str = "linear",
        to: float = 0.0, start: float = 0.0, stable: DurationLike | None = None) -> Sequence:
    """Warmup-stable-decay (HF ``warmup_stable_decay``; Hägele et al. 2024): a warmup, a constant phase,
    then a cooldown of the given ``shape`` (``"linear"``, ``"cosine"`` or ``"sqrt"`` = 1-sqrt).

    ``stable=None`` makes the stable phase the rest of training (``total_steps`` minus warmup and decay). HF's
    ``min_lr_ratio`` is both ``start`` and ``to``.

    Example:
        >>> from rampup import wsd
        >>> wsd(2, 2, shape="linear", stable=1).values(6).tolist()
        [0.0, 0.5, 1.0, 1.0, 0.5, 0.0]
    """
    if shape not in _DECAYS:
        raise RampupError(f"wsd: shape must be 'linear', 'cosine' or 'sqrt', got {shape!r}")
    if warmup_shape not in ("linear", "cosine", "sqrt"):
        raise RampupError(f"wsd: warmup_shape must be 'linear', 'cosine' or 'sqrt', got {warmup_shape!r}")
    return Sequence((Warmup(warmup_shape, warmup, start), constant(stable), _DECAYS[shape](decay, to=to)))


@spec_function("one_cycle")
def one_cycle(total: int, pct: float = 0.3, div: float = 25.0, final_div: float = 1e4, three_phase: bool = False,
              shape: str = "cosine") -> Sequence:
    """The one-cycle policy (Smith 2018) as torch ``OneCycleLR`` steps it: from ``1/div`` up to the peak,
    reached at update ``P - 1`` with ``P = round(pct * total)``, then down to ``1/(div * final_div)`` at update
    ``total - 1``. ``three_phase``: up in ``P - 1`` updates, back to ``1/div`` in ``P - 1`` more, then down to
    the minimum at ``total - 1``. ``shape`` is ``"cosine"`` or ``"linear"`` for every phase.

    torch keeps ``pct * total - 1`` as a float boundary; the two agree exactly whenever ``pct * total`` is a whole
    number.

    Example:
        >>> from rampup import one_cycle
        >>> s = one_cycle(100, pct=0.3)
        >>> s(0), s(29), s(99)
        (0.04, 1.0, 4e-06)
    """
    total = check_int("one_cycle", "total", total, 3)
    check_number("one_cycle", "pct", pct, 0.0, 1.0, lo_open=True, hi_open=True)
    check_number("one_cycle", "div", div, 1.0, None)
    check_number("one_cycle", "final_div", final_div, 1.0, None)
    if shape not in _RISES:
        raise RampupError(f"one_cycle: shape must be 'cosine' or 'linear', got {shape!r}")
    up = round(pct * total) - 1
    if up < 1 or (2 * up if three_phase else up) >= total - 1:
        raise RampupError(f"one_cycle: pct={pct!r} of total={total} leaves no room for the phases")
    low, floor = 1.0 / div, 1.0 / (div * final_div)
    rise_ = _RISES[shape](up, start=low)
    if three_phase:
        return Sequence((rise_, _DECAYS[shape](up, to=low), _DECAYS[shape](total - 1 - 2 * up, to=floor)))
    return Sequence((rise_, _DECAYS[shape](total - 1 - up, to=floor)))


@spec_function("tri_stage")
def tri_stage(warmup: DurationLike, hold: DurationLike, decay: DurationLike, init_scale: float = 0.01,
              final_scale: float = 0.01) -> Sequence:
    """The tri-stage schedule (fairseq ``tri_stage``, SpecAugment): linear warmup from ``init_scale``, hold the
    peak, then exponential decay to ``final_scale`` (``geometric_decay``), held after that.

    Example:
        >>> from rampup import tri_stage
        >>> [round(v, 6) for v in tri_stage(2, 1, 2, init_scale=0.1, final_scale=0.01).values(7).tolist()]
        [0.1, 0.55, 1.0, 1.0, 0.1, 0.01, 0.01]
    """
    return Sequence((linear_warmup(warmup, start=init_scale), constant(hold), geometric_decay(decay, to=final_scale)))
