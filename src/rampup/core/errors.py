"""The errors rampup raises. Every one is a ``ValueError``, so ``except ValueError`` catches them all."""

from __future__ import annotations

__all__ = ["BudgetError", "RampupError", "SpecError"]


class RampupError(ValueError):
    """A bad argument or value given to rampup; the message names the argument and the value."""


class SpecError(RampupError):
    """A spec string (or dict) that cannot be parsed; the message names the position and what was expected.

    Attributes:
        position: 0-based character offset in the spec where the problem is, or ``None``.
    """

    def __init__(self, message: str, position: int | None = None, spec: str | None = None):
        self.position = position
        self.spec = spec
        if spec is not None and position is not None:
            message = f"{message} (at position {position})\n  {spec}\n  {' ' * position}^"
        super().__init__(message)


class BudgetError(RampupError):
    """A duration that needs a training budget field (total_steps, steps_per_epoch, ...) that was not given."""


for _cls in (RampupError, SpecError, BudgetError):
    _cls.__module__ = "rampup"  # tracebacks and reprs name the public path
