"""The Schedule value object and its algebra: evaluation on scalars and arrays, spec strings, resolution, and the
three operators that build new values from old ones (``a >> b`` :class:`Sequence`, ``a * b`` :class:`Product`,
``peak * a`` :class:`Scaled`). The algebra lives beside the value so that neither needs the other from above."""

from __future__ import annotations

import bisect
import dataclasses
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .errors import BudgetError, RampupError
from .ops import SCALAR, ops_for
from .units import Budget, Duration, make_budget
from .validate import MAX_DEPTH, MAX_SPEC, check_int, check_number, show

__all__ = ["SPEC_FUNCTIONS", "Product", "Scaled", "Schedule", "Sequence", "fill_rest", "format_value", "product",
           "scaled", "sequence"]

_INF = math.inf
_MAX_VALUES = 10**7
_FLOAT16_MAX = 65504.0  # below this every floating dtype holds every factor
_FEW_PHASES = 8  # a sequence with more phases is evaluated piece by piece (jax: always phase by phase, on all steps)

#: the public constructor -> its parameters' defaults, which a spec string and a dict leave out
_DEFAULTS: dict[Callable[..., Any], dict[str, Any]] = {}


def _defaults(fn: Callable[..., Any]) -> dict[str, Any]:
    if fn not in _DEFAULTS:
        params = inspect.signature(fn).parameters
        _DEFAULTS[fn] = {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}
    return _DEFAULTS[fn]


def format_value(v: Any) -> str:
    """A Python value as spec text: numbers shortest-exact, durations with units, lists in brackets."""
    if isinstance(v, Schedule):
        return v._text
    if isinstance(v, Duration):
        return v.spec()
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    raise RampupError(f"cannot write {v!r} in a spec")


class Schedule:
    """A learning-rate schedule: a pure function from the update count to a factor of the peak LR.

    ``s(step)`` takes the number of optimizer updates already applied (the first update is step 0) as a Python
    int or float (returns a float), a numpy array (returns an array, no Python loop over its elements), or a
    jax / torch array (computed with that library, so it works inside ``jax.jit``). The factor is 1.0 at the
    peak; ``s.scale(3e-4)`` or ``3e-4 * s`` gives absolute learning rates.

    Schedules are immutable values: equal when built the same way, hashable, picklable, and ``repr(s)`` is the
    spec string that :func:`rampup.parse` reads back. Compose them with ``>>`` (one after the other, each phase
    counting its own steps from its start) and ``*`` (product).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every schedule class, however it is built, ends its construction with :meth:`_check_built`."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__post_init__")
        if own is not None and not getattr(own, "_checks_built", False):
            def __post_init__(self: Schedule) -> None:
                own(self)
                self._check_built()

            __post_init__._checks_built = True  # type: ignore[attr-defined]
            __post_init__.__doc__ = own.__doc__
            cls.__post_init__ = __post_init__  # type: ignore[attr-defined]

    def _check_built(self) -> None:
        """What every schedule value must be, whatever built it: nested at most ``MAX_DEPTH`` levels, its
        factors finite (a product of scales can overflow), and its spec at most ``MAX_SPEC`` characters, so
        that :func:`rampup.parse` reads back every spec rampup writes (a state dict, a config)."""
        name = self._call()[0].__name__
        if self._depth > MAX_DEPTH:
            raise RampupError(f"{name}: schedules nested {self._depth} levels deep; at most {MAX_DEPTH} can be "
                              "written as a spec and read back")
        if not math.isfinite(self._top):
            raise RampupError(f"{name}: the factor could reach {self._top!r} times the peak, more than a float "
                              "holds: use a smaller scale")
        if len(self._text) > MAX_SPEC:
            raise RampupError(f"{name}: the schedule's spec would be {len(self._text)} characters, more than the "
                              f"{MAX_SPEC} that parse reads back")

    @cached_property
    def _children(self) -> tuple[Schedule, ...]:
        return tuple(v for v in self._field_values() if isinstance(v, Schedule))

    @cached_property
    def _depth(self) -> int:
        """Levels of schedules inside schedules: 1 for a phase on its own."""
        return 1 + max((c._depth for c in self._children), default=0)

    @cached_property
    def _top(self) -> float:
        """An upper bound of every factor: 1 for a phase (its values lie in [0, 1]; a family whose factors may
        exceed 1 overrides this), the largest of the parts for a sequence, a clip or a repeat; scales and products
        multiply it."""
        return max((c._top for c in self._children), default=1.0)

    @cached_property
    def _text(self) -> str:
        """The spec, written once (a parent's spec reuses each child's)."""
        return self.spec()

    # subclasses are frozen dataclasses; these are the parts of the protocol they fill in
    def _eval(self, t: Any, ops: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:  # pragma: no cover - abstract
        """(the public constructor that builds this value, its parameters in the constructor's order); the
        constructor's name is the spec name."""
        raise NotImplementedError

    # -- evaluation ------------------------------------------------------------------------------------------
    def __call__(self, step: Any) -> Any:
        kind = type(step)
        if kind is int or kind is float:
            if self._missing is None and 0 <= step < _INF:
                try:
                    return float(self._eval(float(step), SCALAR))
                except OverflowError:  # an int beyond the largest float: 10**400
                    pass
            elif self._missing is not None:
                raise BudgetError(f"{self.spec()}: {self._missing}")
            raise RampupError(f"step must be a finite number >= 0 (updates already applied), got {show(step)}")
        if isinstance(step, bool):
            raise RampupError(f"step must be a number, got {show(step)}")
        missing = self._missing
        if missing is not None:
            raise BudgetError(f"{self.spec()}: {missing}")
        t, ops, dtype = ops_for(step)
        if self._top > _FLOAT16_MAX and not ops.fits(self._top, dtype):
            raise RampupError(f"{self._text[:60]}: the factor can reach {self._top:.3g} times the peak, more than "
                              f"the steps' dtype {dtype} holds: evaluate with float64 steps")
        return ops.finish(self._eval(t, ops), t, dtype)

    @cached_property
    def _missing(self) -> str | None:
        """Why this schedule cannot be evaluated yet (an unresolved duration), or None."""
        return self._find_missing()

    def _find_missing(self) -> str | None:
        for v in self._field_values():
            if isinstance(v, Duration):
                return _need(v)
            if isinstance(v, Schedule) and v._missing is not None:
                return v._missing
        return None

    def _field_values(self) -> list[Any]:
        """The values of the fields, with tuples (phases, milestones) spread out."""
        out: list[Any] = []
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            out.extend(v) if isinstance(v, tuple) else out.append(v)
        return out

    # -- length and ends -------------------------------------------------------------------------------------
    @property
    def length(self) -> int | None:
        """Updates this schedule takes before it holds its last value, or None when it never ends (or its
        duration is not resolved yet)."""
        d = getattr(self, "duration", None)
        return d if isinstance(d, int) else None

    @property
    def end_value(self) -> float | None:
        """The factor where the next phase takes over (at step ``length``), or None if unknown."""
        n = self.length
        if n is None or self._missing is not None:
            return None
        return float(self._eval(float(n), SCALAR))

    @cached_property
    def _stop(self) -> float | None:
        """The resolved duration as a float, where evaluation stops the clock; None while it is open."""
        d = getattr(self, "duration", None)
        return float(d) if isinstance(d, int) else None

    def _bind(self, prev: Schedule) -> Schedule:
        """This phase as it runs after ``prev`` in a sequence (decays inherit the value ``prev`` reached)."""
        return self

    def _with_length(self, n: int) -> Schedule:
        """This schedule with an open duration ("the rest of training") set to ``n`` updates."""
        if self._open:
            return dataclasses.replace(self, duration=n)  # type: ignore[type-var]
        raise RampupError(f"{self.spec()}: cannot take the rest of training")

    @property
    def _open(self) -> bool:
        """True when the duration is left open, to be the rest of training."""
        return getattr(self, "duration", 0) is None

    # -- budget ----------------------------------------------------------------------------------------------
    def resolve(self, budget: Budget | None = None, **fields: Any) -> Schedule:
        """This schedule with every duration in whole optimizer updates.

        Args:
            budget: a :class:`Budget`, or its fields as keywords (``total_steps``, ``steps_per_epoch``,
                ``epochs``, ``batch_size``, ``grad_accum``, ``tokens_per_step``).

        A phase whose duration is left open ("the rest of training") gets ``total_steps`` minus the other
        phases. Raises :class:`BudgetError` naming a missing field, or if the phases are longer than the run.

        Example:
            >>> import rampup
            >>> rampup.parse("linear(5%) >> cosine(to=0.1)").resolve(total_steps=10_000)
            linear_warmup(500) >> cosine_decay(9500, to=0.1)
        """
        if budget is None:
            budget = make_budget("resolve", fields)
        elif fields:
            raise RampupError("resolve: pass a Budget or budget fields, not both")
        out = fill_rest([self._resolve(budget)], budget)[0]
        if out._missing is not None:
            raise BudgetError(f"{self.spec()}: {out._missing}")
        return out

    def _resolve(self, budget: Budget) -> Schedule:
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if not f.init:
                continue
            v = getattr(self, f.name)
            new = _resolve_value(v, budget)
            if new is not v:
                changes[f.name] = new
        return dataclasses.replace(self, **changes) if changes else self  # type: ignore[type-var]

    # -- spec ------------------------------------------------------------------------------------------------
    def spec(self) -> str:
        """The spec string: ``parse(s.spec()) == s``."""
        name, given = self._given()
        parts = [format_value(value) if first else f"{key}={format_value(value)}" for first, key, value in given]
        return f"{name}({', '.join(parts)})"

    def _given(self) -> tuple[str, list[tuple[bool, str, Any]]]:
        """(spec name, [(is the constructor's first parameter, name, value)]) for the parameters that differ from
        the constructor's defaults: what a spec string and a dict write."""
        fn, params = self._call()
        defaults = _defaults(fn)
        return fn.__name__, [(i == 0, key, value) for i, (key, value) in enumerate(params.items())
                      if not (key in defaults and _same(value, defaults[key]))]

    def __repr__(self) -> str:
        return self._text

    def __str__(self) -> str:
        return self._text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict: ``{"type": name, param: value, ...}``; :func:`rampup.from_dict` reads it back.

        Example:
            >>> import rampup
            >>> rampup.linear_warmup("5%").to_dict()
            {'type': 'linear_warmup', 'duration': '5%'}
        """
        name, given = self._given()
        return {"type": name, **{key: _jsonable(value) for _, key, value in given}}

    # -- operators -------------------------------------------------------------------------------------------
    def scale(self, peak: float) -> Schedule:
        """Absolute values: ``peak * factor``.

        Example:
            >>> import rampup
            >>> rampup.linear_warmup(10).scale(3e-4)(5)
            0.00015
        """
        return Scaled(self, peak)

    def __mul__(self, other: Any) -> Schedule:
        if isinstance(other, Schedule):
            return Product((self, other))
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Scaled(self, other)
        return NotImplemented

    def __rmul__(self, other: Any) -> Schedule:
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Scaled(self, other)
        return NotImplemented

    def __rshift__(self, other: Any) -> Schedule:
        if not isinstance(other, Schedule):
            return NotImplemented
        return Sequence((self, other))

    # -- arrays --------------------------------------------------------------------------------------------
    def values(self, steps: int | None = None) -> Any:
        """Factors at steps 0..steps-1 as a numpy array (``steps`` defaults to the schedule's length + 1), at most
        ``10**7`` of them (80 MB); evaluate ``s(numpy.arange(a, b))`` in pieces for more.

        Example:
            >>> import rampup
            >>> rampup.linear_warmup(4).values().tolist()
            [0.0, 0.25, 0.5, 0.75, 1.0]
        """
        import numpy as np

        n = steps if steps is not None else (self.length or 0) + 1
        return self(np.arange(check_int("values", "steps", n, 1, _MAX_VALUES), dtype=np.float64))


def _need(d: Duration) -> str:
    field = {"epochs": "steps_per_epoch", "percent": "total_steps", "ratio": "total_steps",
             "tokens": "tokens_per_step", "samples": "batch_size"}[d.unit]
    return f"the duration {d.spec()} needs the budget field {field}: pass {field}=... to parse() or .resolve()"


def _resolve_value(v: Any, budget: Budget) -> Any:
    if isinstance(v, Duration):
        return v.to_steps(budget)
    if isinstance(v, Schedule):
        return v._resolve(budget)
    if isinstance(v, tuple):
        new = tuple(_resolve_value(x, budget) for x in v)
        return v if all(a is b for a, b in zip(new, v, strict=True)) else new
    return v


def _same(a: Any, b: Any) -> bool:
    return (type(a) is type(b) and a == b) or (
        isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool)
        and not isinstance(b, bool) and a == b)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Schedule):
        return v.to_dict()
    if isinstance(v, Duration):
        return v.spec()
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    return v


# -- the algebra: what the operators build ---------------------------------------------------------------------
def _check_schedule(owner: str, name: str, value: Any) -> Schedule:
    if not isinstance(value, Schedule):
        raise RampupError(f"{owner}: {name} must be a schedule, got {show(value)}")
    return value


def _paren(s: Schedule, *kinds: type) -> str:
    text = s._text
    return f"({text})" if isinstance(s, kinds) else text


@dataclass(frozen=True, repr=False)
class Sequence(Schedule):
    """Phases one after another; each counts its own steps from its start and holds its last value after its
    end. After the last phase, its last value holds."""

    phases: tuple[Schedule, ...]

    def __post_init__(self) -> None:
        if isinstance(self.phases, Schedule) or not hasattr(self.phases, "__iter__"):
            raise RampupError(f"sequence: phases must be a list of schedules, got {show(self.phases)}")
        flat: list[Schedule] = []
        for i, p in enumerate(self.phases):
            _check_schedule("sequence", f"phases[{i}]", p)
            flat.extend(p.phases if isinstance(p, Sequence) else (p,))
        if not flat:
            raise RampupError("sequence: needs at least one phase")
        object.__setattr__(self, "phases", tuple(flat))
        _ = self._bound  # bind now, so that a phase that cannot follow its predecessor fails at construction

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
        if ops.indexable:  # numpy, torch: each phase on its own steps only
            runs = ops.in_runs(t, starts, phases)
            if runs is not None:
                return runs
            if len(phases) > _FEW_PHASES:
                return ops.piecewise(t, starts, phases)
        out = phases[0]._eval(t, ops)
        for b, p in zip(starts[1:], phases[1:], strict=True):
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

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return sequence, {"phases": self.phases}

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
        phases = [*phases[:i], phases[i]._with_length(total - used), *phases[i + 1:]]
    return phases


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
            raise RampupError(f"product: factors must be a list of schedules, got {show(self.factors)}")
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

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return product, {"factors": self.factors}

    @cached_property
    def _top(self) -> float:
        return math.prod(f._top for f in self.factors)

    def spec(self) -> str:
        return " * ".join(_paren(f, Sequence, Scaled) for f in self.factors)


def product(factors: Any) -> Product:
    """The product of schedules on one clock (the same as ``a * b``).

    Example:
        >>> from rampup import product, linear_decay, exp_warmup
        >>> round(product([linear_decay(10), exp_warmup(10, offset=1)])(0), 6)
        0.095163
    """
    return Product(tuple(factors) if isinstance(factors, (list, tuple)) else factors)


class _Wraps(Schedule):
    """A schedule that changes the values of one other, ``self.schedule``, and runs as long as it does."""

    schedule: Schedule

    @property
    def length(self) -> int | None:
        return self.schedule.length

    @property
    def _open(self) -> bool:
        return self.schedule._open


@dataclass(frozen=True, repr=False)
class Scaled(_Wraps):
    """``peak * schedule``, for absolute learning rates."""

    schedule: Schedule
    peak: float

    def __post_init__(self) -> None:
        _check_schedule("scale", "schedule", self.schedule)
        object.__setattr__(self, "peak", check_number("scale", "peak", self.peak, 0.0, None))

    def _eval(self, t: Any, ops: Any) -> Any:
        return self.peak * self.schedule._eval(t, ops)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # rampup 0.1 pickled this field as ``factor``
        if "factor" in state:
            state = {("peak" if k == "factor" else k): v for k, v in state.items()}
        self.__dict__.update(state)

    def _with_length(self, n: int) -> Schedule:
        return Scaled(self.schedule._with_length(n), self.peak)

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return scaled, {"schedule": self.schedule, "peak": self.peak}

    @cached_property
    def _top(self) -> float:
        return self.peak * self.schedule._top

    def spec(self) -> str:
        return f"{format_value(self.peak)} * {_paren(self.schedule, Sequence, Product, Scaled)}"


def scaled(schedule: Schedule, peak: float) -> Scaled:
    """``peak * schedule`` (the same as ``schedule.scale(peak)``): every factor times ``peak``.

    Example:
        >>> from rampup import scaled, linear_warmup
        >>> scaled(linear_warmup(2), 0.5)(1)
        0.25
    """
    return Scaled(schedule, peak)

#: the constructors a spec string or a dict may name (rampup.core.spec reads this list)
SPEC_FUNCTIONS = (sequence, product, scaled,)
