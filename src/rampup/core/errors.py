"""The errors rampup raises. Every one is a ``ValueError``, so ``except ValueError`` catches them all."""

from __future__ import annotations

__all__ = ["BudgetError", "RampupError", "SpecError"]


_MAX_MESSAGE = 2000  # characters: a message about a huge value stays readable (and cheap)
_WINDOW = 60  # characters of a spec shown on each side of an error's position


class RampupError(ValueError):
    """A bad argument or value given to rampup; the message names the argument and the value."""

    def __init__(self, message: str = "", *args: object) -> None:
        if isinstance(message, str) and len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 4] + " ..."
        super().__init__(message, *args)


class SpecError(RampupError):
    """A spec string (or dict) that cannot be parsed; the message names the position and what was expected.

    Attributes:
        position: 0-based character offset in the spec where the problem is, or ``None``.
    """

    def __init__(self, message: str, position: int | None = None, spec: str | None = None):
        self.position = position
        self.spec = spec
        if spec is not None and position is not None:
            # a window of the spec around the position, so that a long spec gives a short message
            a = max(0, position - _WINDOW)
            more = "..." if position + _WINDOW < len(spec) else ""
            shown = ("..." if a else "") + spec[a:position + _WINDOW] + more
            caret = position - a + (3 if a else 0)
            message = f"{message[:_MAX_MESSAGE]} (at position {position})\n  {shown}\n  {' ' * caret}^"
        super().__init__(message)


class BudgetError(RampupError):
    """A duration that needs a training budget field (total_steps, steps_per_epoch, ...) that was not given."""


for _cls in (RampupError, SpecError, BudgetError):
    _cls.__module__ = "rampup"  # tracebacks and reprs name the public path
