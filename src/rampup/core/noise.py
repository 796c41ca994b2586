"""LR noise (timm's ``noise_range_t``, ``noise_pct``, ``noise_seed``) as a pure function of the step.

timm draws its noise from a torch generator seeded with ``seed + t`` at each step. Here the draw is a hash of the
seed and the step written with multiplications, additions and ``floor`` only, so the same step gives the same
factor on every call, after every resume and in every array library: in float64 numpy, torch and plain Python
agree to the last bit; under ``jax.jit`` in float32 the draws differ from float64's, deterministic all the same.
The stream is not timm's: the range, the seeding rule and the determinism are the same, the numbers are not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .errors import RampupError
from .schedule import Schedule, _check_schedule
from .validate import check_int, check_number

__all__ = ["SPEC_FUNCTIONS", "Noisy", "noisy"]


_M = 16_777_213.0  # a prime below 2**24: every product below stays under 2**53, exact in float64
_ROUNDS = ((48_271.0, 12_345.0), (69_621.0, 67_891.0), (16_807.0, 24_680.0))


def _mod(x: Any, ops: Any) -> Any:
    r = x - _M * ops.floor(x / _M)
    r = ops.where(r < 0.0, r + _M, r)  # floor(x / M) may round one off next to a multiple of M
    return ops.where(r >= _M, r - _M, r)


def uniform(k: Any, seed: int, ops: Any) -> Any:
    """A draw in [0, 1) for the whole step ``k`` and ``seed``: three quadratic rounds ``x (x + a) + c`` modulo a
    prime, exact in float64 (uniform to 0.7% per twentieth of [0, 1) and uncorrelated from step to step over
    10**6 steps)."""
    x = _mod(k + seed * 7_919.0, ops)
    for a, c in _ROUNDS:
        x = _mod(x * (x + a) + c, ops)
    return x / _M


@dataclass(frozen=True, repr=False)
class Noisy(Schedule):
    """``schedule * (1 + pct * (2 u - 1))`` on the steps in ``[begin, end)``; see :func:`noisy`."""

    schedule: Schedule
    pct: float = 0.67
    seed: int = 42
    begin: int = 0
    end: int | None = None

    def __post_init__(self) -> None:
        owner = "noisy"
        _check_schedule(owner, "schedule", self.schedule)
        object.__setattr__(self, "pct", check_number(owner, "pct", self.pct, 0.0, 1.0))
        object.__setattr__(self, "seed", check_int(owner, "seed", self.seed, 0, 2**31 - 1))
        object.__setattr__(self, "begin", check_int(owner, "begin", self.begin, 0))
        if self.end is not None:
            object.__setattr__(self, "end", check_int(owner, "end", self.end, 0))
            if self.end < self.begin:
                raise RampupError(f"noisy: end must not be before begin={self.begin}, got {self.end}")

    def _call(self) -> tuple[Callable[..., Schedule], dict[str, Any]]:
        return noisy, {"schedule": self.schedule, "pct": self.pct, "seed": self.seed, "begin": self.begin,
                       "end": self.end}

    @cached_property
    def _top(self) -> float:
        return self.schedule._top * (1.0 + self.pct)

    @property
    def length(self) -> int | None:
        n = self.schedule.length
        return None if n is None or self.end is None else max(n, self.end)

    @property
    def _open(self) -> bool:
        return self.schedule._open

    def _with_length(self, n: int) -> Schedule:
        return Noisy(self.schedule._with_length(n), self.pct, self.seed, self.begin, self.end)

    def _eval(self, t: Any, ops: Any) -> Any:
        v = self.schedule._eval(t, ops)
        k = ops.floor(t)
        on = k >= self.begin
        if self.end is not None:
            on = on & (k < self.end) if not ops.scalar else on and k < self.end
        noise = self.pct * (2.0 * uniform(k, self.seed, ops) - 1.0)
        return ops.where(on, v * (1.0 + noise), v)


def noisy(schedule: Schedule, pct: float = 0.67, seed: int = 42, begin: int = 0, end: int | None = None) -> Noisy:
    """LR noise (timm's ``noise_range_t=(begin, end)``, ``noise_pct``, ``noise_seed``):
    ``f(t) = s(t) * (1 + pct * (2 u(k) - 1))`` for ``begin <= k < end`` (``k = floor(t)``, ``end=None``: for
    ever), else ``s(t)``, where ``u(k)`` in [0, 1) is a hash of ``seed`` and ``k``: a pure function of the step,
    uniform in ``[-pct, pct)`` like timm's ``noise_type="uniform"``. The factor may go up to ``1 + pct`` times the
    schedule's: above the peak, as noise does.

    Example:
        >>> from rampup import constant, noisy
        >>> s = noisy(constant(), pct=0.5, seed=1, begin=2)
        >>> v = s.values(6).tolist()
        >>> v[:2], all(0.5 <= x < 1.5 for x in v), v == s.values(6).tolist()
        ([1.0, 1.0], True, True)
    """
    return Noisy(schedule, pct, seed, begin, end)


#: the constructors a spec string or a dict may name (rampup.core.spec reads this list)
SPEC_FUNCTIONS = (noisy,)
