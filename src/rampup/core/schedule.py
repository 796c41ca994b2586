"""The Schedule value object: evaluation on scalars and arrays, spec strings, resolution, the operators."""

from __future__ import annotations

import dataclasses
import inspect
import math
from functools import cached_property
from typing import Any, Callable, TypeVar

from ._errors import BudgetError, RampupError
from ._ops import SCALAR, ops_for
from ._units import Budget, Duration, _fmt_number, make_budget

__all__ = ["Schedule", "FACTORIES", "spec_function", "format_value"]

#: spec / dict name -> the public function that builds it (filled by the @spec_function decorators)
FACTORIES: dict[str, Callable[..., Schedule]] = {}

F = TypeVar("F", bound=Callable[..., Any])
_INF = math.inf


def spec_function(name: str) -> Callable[[F], F]:
    """Register a public constructor under its spec name."""

    def register(fn: F) -> F:
        FACTORIES[name] = fn
        return fn

    return register


def _defaults(name: str) -> dict[str, Any]:
    params = inspect.signature(FACTORIES[name]).parameters
    return {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}


_DEFAULTS: dict[str, dict[str, Any]] = {}


def format_value(v: Any) -> str:
    """A Python value as spec text: numbers shortest-exact, durations with units, lists in brackets."""
    if isinstance(v, Schedule):
        return v.spec()
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


def check_number(owner: str, name: str, value: Any, lo: float | None = None, hi: float | None = None,
                 *, lo_open: bool = False, hi_open: bool = False) -> float:
    """A finite real in [lo, hi] (or open ends); the error names owner, argument and value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RampupError(f"{owner}: {name} must be a finite number, got {value!r}")
    bad = (lo is not None and (value <= lo if lo_open else value < lo)) or (
        hi is not None and (value >= hi if hi_open else value > hi))
    if bad:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        lo_s = "-inf" if lo is None else _fmt_number(lo)
        hi_s = "inf" if hi is None else _fmt_number(hi)
        raise RampupError(f"{owner}: {name} must be in {left}{lo_s}, {hi_s}{right}, got {value!r}")
    return float(value)


def check_int(owner: str, name: str, value: Any, lo: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise RampupError(f"{owner}: {name} must be a whole number >= {lo}, got {value!r}")
    return value


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

    # subclasses are frozen dataclasses; these are the parts of the protocol they fill in
    def _eval(self, t: Any, ops: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _call(self) -> tuple[str, dict[str, Any]]:  # pragma: no cover - abstract
        """(spec name, parameters in the order of its constructor)."""
        raise NotImplementedError

    # -- evaluation ------------------------------------------------------------------------------------------
    def __call__(self, step: Any) -> Any:
        kind = type(step)
        if kind is int or kind is float:
            if self._missing is None and 0 <= step < _INF:
                return float(self._eval(float(step), SCALAR))
            if self._missing is not None:
                raise BudgetError(f"{self.spec()}: {self._missing}")
            raise RampupError(f"step must be a finite number >= 0 (updates already applied), got {step!r}")
        if isinstance(step, bool):
            raise RampupError(f"step must be a number, got {step!r}")
        missing = self._missing
        if missing is not None:
            raise BudgetError(f"{self.spec()}: {missing}")
        t, ops, dtype = ops_for(step)
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
        from ._compose import fill_rest

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
        name, params = self._call()
        if name not in _DEFAULTS:
            _DEFAULTS[name] = _defaults(name)
        defaults = _DEFAULTS[name]
        return name, [(i == 0, key, value) for i, (key, value) in enumerate(params.items())
                      if not (key in defaults and _same(value, defaults[key]))]

    def __repr__(self) -> str:
        return self.spec()

    def __str__(self) -> str:
        return self.spec()

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
        from ._compose import Scaled

        return Scaled(self, peak)

    def __mul__(self, other: Any) -> Schedule:
        from ._compose import Product, Scaled

        if isinstance(other, Schedule):
            return Product((self, other))
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Scaled(self, other)
        return NotImplemented

    def __rmul__(self, other: Any) -> Schedule:
        from ._compose import Scaled

        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Scaled(self, other)
        return NotImplemented

    def __rshift__(self, other: Any) -> Schedule:
        from ._compose import Sequence

        if not isinstance(other, Schedule):
            return NotImplemented
        return Sequence((self, other))

    # -- notebooks -------------------------------------------------------------------------------------------
    def _repr_png_(self) -> bytes | None:
        """The curve as a PNG for Jupyter, with the spec as its title (None when matplotlib is missing)."""
        try:
            from .plot import repr_png
        except ImportError:
            return None
        return repr_png(self)

    def values(self, steps: int | None = None) -> Any:
        """Factors at steps 0..steps-1 as a numpy array (``steps`` defaults to the schedule's length + 1).

        Example:
            >>> import rampup
            >>> rampup.linear_warmup(4).values().tolist()
            [0.0, 0.25, 0.5, 0.75, 1.0]
        """
        import numpy as np

        n = steps if steps is not None else (self.length or 0) + 1
        return self(np.arange(check_int("values", "steps", n, 1), dtype=np.float64))


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
        return v if all(a is b for a, b in zip(new, v)) else new
    return v


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (
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
