"""Argument checks shared by every part of rampup: one message style, ``"<owner>: <arg> must be ..., got <value>"``.

Every check returns the value it accepted (converted where it says so) and raises :class:`rampup.RampupError`
naming the owner (the function or class that was called), the argument and the value it got.

Example:
    >>> from rampup.core.validate import check_number
    >>> check_number("cosine_decay", "to", 0.1, 0.0, 1.0)
    0.1
    >>> check_number("cosine_decay", "to", 2, 0.0, 1.0)
    Traceback (most recent call last):
    ...
    rampup.RampupError: cosine_decay: to must be in [0, 1], got 2
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any, TypeVar

from .errors import RampupError

__all__ = ["MAX_DEPTH", "MAX_SPEC", "MAX_STEPS", "check_choice", "check_instance", "check_int", "check_number",
           "fmt_number", "show"]

T = TypeVar("T")

#: the longest duration or run, in updates: 2**53, the largest whole number a float64 holds exactly, so that every
#: step of a run is exact in the float arithmetic of a schedule
MAX_STEPS = 2**53
#: how deeply schedules may nest (``clip(repeat(...))`` is 2 levels); the parser reads what this allows
MAX_DEPTH = 64
#: the longest spec string, in characters: the parser reads any schedule rampup builds, and nothing longer
MAX_SPEC = 1_000_000

#: an error message renders at most this many characters of a user's value
_SHOW_MAX = 200


def show(value: Any) -> str:
    """``repr(value)`` cut to a bounded length, so that an error about a huge value stays one readable line.

    Containers are rendered piece by piece up to the bound, never whole: a value nested to great depth or
    expanded from YAML aliases costs no more than the bound to show.

    Example:
        >>> from rampup.core.validate import show
        >>> text = show([1] * 1000)
        >>> len(text) <= 200, text.endswith("...")
        (True, True)
    """
    out = _show(value, _SHOW_MAX + 1, 0)
    return out if len(out) <= _SHOW_MAX else out[: _SHOW_MAX - 4] + " ..."


def _show(value: Any, budget: int, depth: int) -> str:
    kind = next((k for k in (dict, list, tuple) if isinstance(value, k)), None)
    if kind is not None:
        if depth >= 20:
            return "[...]"
        opening, closing = {dict: ("{", "}"), list: ("[", "]"), tuple: ("(", ")")}[kind]
        items = value.items() if kind is dict else value
        parts: list[str] = []
        used = 1
        for item in items:
            if used > budget:
                parts.append("...")
                break
            text = (f"{_show(item[0], budget - used, depth + 1)}: {_show(item[1], budget - used, depth + 1)}"
                    if kind is dict else _show(item, budget - used, depth + 1))
            parts.append(text)
            used += len(text) + 2
        return opening + ", ".join(parts) + closing
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 640:
        return f"<an integer of about {int(value.bit_length() * 0.30103)} digits>"
    text = repr(value)
    return text if len(text) <= budget else text[: max(0, budget)] + "..."


def fmt_number(x: float | int) -> str:
    """Shortest text that parses back to ``x``; whole numbers with a k/M/B suffix when exact.

    Example:
        >>> from rampup.core.validate import fmt_number
        >>> fmt_number(10_000), fmt_number(2.5), fmt_number(7.0)
        ('10k', '2.5', '7')
    """
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        x = int(x)
    if isinstance(x, int):
        for suffix, mult in (("B", 10**9), ("M", 10**6), ("k", 10**3)):
            if x and x % mult == 0:
                return f"{x // mult}{suffix}"
        return str(x)
    return repr(x)


def check_number(owner: str, name: str, value: Any, lo: float | None = None, hi: float | None = None,
                 *, lo_open: bool = False, hi_open: bool = False) -> float:
    """A finite real in ``[lo, hi]`` (``lo_open``/``hi_open`` make an end open), returned as a float.

    Example:
        >>> from rampup.core.validate import check_number
        >>> check_number("adam", "beta2", 0.999, 0.0, 1.0, lo_open=True, hi_open=True)
        0.999
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RampupError(f"{owner}: {name} must be a finite number, got {show(value)}")
    try:
        out = float(value)
    except OverflowError:
        raise RampupError(f"{owner}: {name} must be a finite number, got {show(value)}") from None
    if not math.isfinite(out):
        raise RampupError(f"{owner}: {name} must be a finite number, got {show(value)}")
    bad = (lo is not None and (out <= lo if lo_open else out < lo)) or (
        hi is not None and (out >= hi if hi_open else out > hi))
    if bad:
        left = "(" if lo_open or lo is None else "["
        right = ")" if hi_open or hi is None else "]"
        lo_s = "-inf" if lo is None else fmt_number(lo)
        hi_s = "inf" if hi is None else fmt_number(hi)
        raise RampupError(f"{owner}: {name} must be in {left}{lo_s}, {hi_s}{right}, got {show(value)}")
    return out


def check_int(owner: str, name: str, value: Any, lo: int, hi: int | None = None) -> int:
    """A whole number ``>= lo`` (and ``<= hi`` when given); a float with no fraction is accepted as its int.

    Example:
        >>> from rampup.core.validate import check_int
        >>> check_int("repeat", "times", 3.0, 1)
        3
    """
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        limit = f">= {lo}" if hi is None else f"in [{lo}, {'2**53' if hi == MAX_STEPS else hi}]"
        raise RampupError(f"{owner}: {name} must be a whole number {limit}, got {show(value)}")
    return value


def check_choice(owner: str, name: str, value: Any, choices: Collection[str]) -> str:
    """One of the strings in ``choices``.

    Example:
        >>> from rampup.core.validate import check_choice
        >>> check_choice("wsd", "shape", "cosine", ("linear", "cosine", "sqrt"))
        'cosine'
    """
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise RampupError(f"{owner}: {name} must be one of {listed}, got {show(value)}")
    return value


def check_instance(owner: str, name: str, value: Any, kind: type[T], what: str) -> T:
    """An instance of ``kind``, described to the user as ``what``.

    Example:
        >>> from rampup.core.validate import check_instance
        >>> check_instance("clip", "min", 0.5, float, "a number")
        0.5
    """
    if not isinstance(value, kind):
        raise RampupError(f"{owner}: {name} must be {what}, got {show(value)}")
    return value
