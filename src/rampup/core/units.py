"""Durations with units ("500", "10k", "2ep", "5%", "0.05", "1M tok", "50k samples") and the training budget.

A schedule keeps a duration as the user wrote it; :meth:`Budget.steps` turns it into optimizer updates. Whole
steps are the unit of the schedule's clock: a duration that comes out fractional is rounded *up*
(``ceil``), as HF transformers does for ``warmup_ratio``, computed in exact decimal arithmetic, so
``5%`` of 10 000 updates is 500, never 501.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, overload

from .errors import BudgetError, RampupError
from .validate import MAX_STEPS, fmt_number, show

__all__ = ["Budget", "Duration", "DurationLike", "make_budget"]

_MULT = {"": 1, "k": 1_000, "M": 1_000_000, "B": 1_000_000_000, "G": 1_000_000_000}
_UNITS = {
    "": "steps",
    "step": "steps",
    "steps": "steps",
    "ep": "epochs",
    "epoch": "epochs",
    "epochs": "epochs",
    "%": "percent",
    "tok": "tokens",
    "tokens": "tokens",
    "sample": "samples",
    "samples": "samples",
}
_SUFFIX = {"epochs": "ep", "percent": "%", "tokens": " tok", "samples": " samples"}
# number, optional k/M/B multiplier, optional unit; the unit may follow a space ("1M tok")
DURATION_RE = re.compile(
    r"(?P<num>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"
    r"(?P<mult>[kMBG])?"
    r"(?:\s*(?P<unit>%|ep|epochs?|steps?|tok|tokens|samples?))?"
    r"(?![A-Za-z_0-9.])"
)


def _exact(x: float | int) -> Fraction:
    """The decimal value a user wrote, exactly: Fraction(repr(0.1)) is 1/10, not the binary float."""
    return Fraction(x) if isinstance(x, int) else Fraction(repr(float(x)))


@dataclass(frozen=True)
class Duration:
    """A length of training in some unit, resolved to optimizer updates by a :class:`Budget`.

    ``unit`` is one of ``"epochs"``, ``"percent"``, ``"ratio"`` (a fraction of total steps in (0, 1)),
    ``"tokens"``, ``"samples"``. Plain steps are kept as ``int`` by the schedules, never as a Duration.

    Example:
        >>> Duration.parse("5%")
        Duration('5%')
        >>> Duration.parse("1M tok").to_steps(Budget(tokens_per_step=4096))
        245
        >>> Duration.parse("2ep").to_steps(Budget(steps_per_epoch=100))
        200
    """

    value: float
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in ("epochs", "percent", "ratio", "tokens", "samples"):
            raise RampupError(f"Duration unit must be epochs, percent, ratio, tokens or samples, got {self.unit!r}")
        v = self.value
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1e300:
            raise RampupError(f"duration must be a finite number >= 0, got {show(v)} {self.unit}")
        if self.unit == "percent" and v > 100:
            raise RampupError(f"a duration in percent must be in [0, 100], got {v!r}%")
        if self.unit == "ratio" and not 0 < v < 1:
            raise RampupError(f"a duration as a ratio of total steps must be in (0, 1), got {v!r}")

    @staticmethod
    def parse(text: str) -> int | Duration:
        """Parse ``"500"``, ``"10k"``, ``"2ep"``, ``"5%"``, ``"0.05"``, ``"1M tok"``, ``"50k samples"``.

        Whole numbers without unit are steps and come back as ``int``.

        Example:
            >>> Duration.parse("10k"), Duration.parse("0.05")
            (10000, Duration('0.05'))
        """
        m = DURATION_RE.fullmatch(text.strip())
        if m is None:
            raise RampupError(
                f"cannot read duration {text!r}: expected steps (500, 10k), epochs (2ep), a fraction of "
                "training (5% or 0.05), tokens (1M tok) or samples (50k samples)"
            )
        try:
            return from_parts(m.group("num"), m.group("mult") or "", m.group("unit") or "")
        except RampupError as e:
            raise RampupError(f"cannot read duration {text!r}: {e}") from None

    def to_steps(self, budget: Budget) -> int:
        """Optimizer updates this duration lasts under ``budget``, rounded up to a whole update."""
        v = _exact(self.value)
        if self.unit == "epochs":
            exact = v * budget.require("steps_per_epoch", self)
        elif self.unit in ("percent", "ratio"):
            exact = v * budget.require("total_steps", self) / (100 if self.unit == "percent" else 1)
        elif self.unit == "tokens":
            exact = v / budget.require("tokens_per_step", self)
        else:
            per_update = budget.require("batch_size", self) * budget.grad_accum
            exact = v / per_update
        steps = math.ceil(exact)
        if steps > MAX_STEPS:
            raise RampupError(f"the duration {self.spec()} is {show(steps)} updates under this budget, more than "
                              "2**53, longer than any run")
        return steps

    def spec(self) -> str:
        """The duration as a spec writes it (``"5%"``, ``"2ep"``, ``"1M tok"``), which ``Duration.parse`` reads back."""
        if self.unit == "ratio":
            return repr(float(self.value))
        return fmt_number(self.value) + _SUFFIX[self.unit]

    def __repr__(self) -> str:
        return f"Duration({self.spec()!r})"


DurationLike = int | float | str | Duration


def from_parts(num: str, mult: str, unit: str) -> int | Duration:
    """Build a duration from the pieces of :data:`DURATION_RE` (shared with the spec parser)."""
    if not math.isfinite(float(num)):
        raise RampupError(f"a duration must be a finite number, got {num}{mult}{unit}")
    value = _exact(float(num)) if ("." in num or "e" in num.lower()) else Fraction(int(num))
    value *= _MULT[mult]
    kind = _UNITS[unit]
    number: float | int = int(value) if value.denominator == 1 else float(value)
    if kind == "steps":
        if "." in num and not mult and not unit and value >= 1:
            raise RampupError(
                f"a duration written as {num} is ambiguous: write whole steps without a decimal point "
                f"({int(value) if value.denominator == 1 else num}) or a fraction of training as a percentage "
                "or a ratio below 1"
            )
        if value.denominator != 1:
            if not unit and not mult and 0 < value < 1:
                return Duration(float(value), "ratio")
            raise RampupError(
                f"a duration in steps must be a whole number, got {num}{mult}{unit}: write epochs as '2.5ep' "
                "or a fraction of training as '5%' or a ratio below 1 such as 0.05"
            )
        return int(value)
    return Duration(number, kind)


@overload
def coerce_duration(owner: str, name: str, value: object, *, optional: Literal[False] = False) -> int | Duration: ...


@overload
def coerce_duration(owner: str, name: str, value: object, *, optional: bool) -> int | Duration | None: ...


def coerce_duration(owner: str, name: str, value: object, *, optional: bool = False) -> int | Duration | None:
    """Check a duration argument: whole steps >= 0 (int, or float with no fraction), a ratio in (0, 1),
    a unit string, or a :class:`Duration`. Errors name ``owner``, the argument and its value."""
    if value is None:
        if optional:
            return None
        raise RampupError(f"{owner}: {name} is required")
    if isinstance(value, Duration):
        return value
    if isinstance(value, str):
        try:
            return Duration.parse(value)
        except RampupError as e:
            raise RampupError(f"{owner}: {name}={value!r}: {e}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RampupError(f"{owner}: {name} must be a number of steps or a duration string, got {show(value)}")
    if value < 0 or value > MAX_STEPS or not math.isfinite(value):
        raise RampupError(f"{owner}: {name} must be a number of steps in [0, 2**53], got {show(value)}")
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        if 0 < value < 1:
            return Duration(value, "ratio")
        raise RampupError(
            f"{owner}: {name} must be whole steps, got {value!r}: use '{value}ep' for epochs or a ratio below 1"
        )
    return int(value)


@dataclass(frozen=True)
class Budget:
    """What a run will do, to turn durations into optimizer updates.

    Args:
        total_steps: optimizer updates in the whole run (needed by ``%``, ratios and "the rest" phases).
            If not given, ``epochs * steps_per_epoch`` when both are.
        steps_per_epoch: optimizer updates per epoch (after gradient accumulation); needed by ``ep``.
        epochs: epochs in the run, used only to derive ``total_steps``.
        batch_size: samples per micro-batch (all devices together); with ``grad_accum``, needed by ``samples``.
        grad_accum: micro-batches per optimizer update (default 1).
        tokens_per_step: tokens per optimizer update; needed by ``tok``.

    Example:
        >>> Budget(epochs=3, steps_per_epoch=100).total_steps
        300
    """

    total_steps: int | None = None
    steps_per_epoch: int | None = None
    epochs: float | None = None
    batch_size: int | None = None
    grad_accum: int = 1
    tokens_per_step: int | None = None

    def __post_init__(self) -> None:
        for name in ("total_steps", "steps_per_epoch", "batch_size", "grad_accum", "tokens_per_step"):
            v = getattr(self, name)
            if v is None:
                continue
            low = 0 if name == "total_steps" else 1
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= MAX_STEPS:
                raise RampupError(f"Budget: {name} must be a whole number in [{low}, 2**53], got {show(v)}")
        if self.epochs is not None:
            e = self.epochs
            if isinstance(e, bool) or not isinstance(e, (int, float)) or not 0 < e <= 1e300:
                raise RampupError(f"Budget: epochs must be a finite number > 0, got {show(e)}")
            if self.steps_per_epoch is not None:
                derived = math.ceil(_exact(e) * self.steps_per_epoch)
                if derived > MAX_STEPS:
                    raise RampupError(f"Budget: epochs={e!r} x steps_per_epoch={self.steps_per_epoch} is more than "
                                      "2**53 updates, longer than any run")
                if self.total_steps is None:
                    object.__setattr__(self, "total_steps", derived)
                elif self.total_steps != derived:
                    raise RampupError(
                        f"Budget: total_steps={self.total_steps} disagrees with epochs={e!r} x "
                        f"steps_per_epoch={self.steps_per_epoch} = {derived}"
                    )

    def require(self, name: str, what: object) -> int:
        """The budget field ``name``; a BudgetError naming the field, and ``what`` needs it, when it is not set."""
        value = getattr(self, name)
        if value is None:
            shown = what.spec() if hasattr(what, "spec") else str(what)
            raise BudgetError(
                f"{shown} needs the budget field {name}: pass {name}=... to parse() or to .resolve()"
            )
        return int(value)

    def steps(self, duration: int | Duration) -> int:
        """Updates that ``duration`` lasts: an int is already steps."""
        return duration if isinstance(duration, int) else duration.to_steps(self)


def make_budget(owner: str, fields: dict[str, object]) -> Budget:
    """A :class:`Budget` from keyword fields; an unknown field is a RampupError that lists the known ones."""
    known = tuple(Budget.__dataclass_fields__)
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise RampupError(f"{owner}: unknown budget field {unknown[0]!r}; the fields are {', '.join(known)}")
    return Budget(**fields)  # type: ignore[arg-type]
