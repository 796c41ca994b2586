"""rampup for Lightning: the ``lr_scheduler`` config that steps a rampup scheduler once per optimizer update."""

from __future__ import annotations

import warnings
from typing import Any

from .core.errors import RampupError

__all__ = ["StepIntervalWarning", "scheduler_config"]


class StepIntervalWarning(UserWarning):
    """A schedule counted in optimizer updates is stepped once per epoch."""


def scheduler_config(optimizer_or_scheduler: Any, schedule: Any = None, *, interval: str = "step",
                     frequency: int = 1, name: str | None = None, **scheduler_kwargs: Any) -> dict[str, Any]:
    """The dict to return as ``"lr_scheduler"`` from ``LightningModule.configure_optimizers``.

    Lightning steps a scheduler once per *epoch* unless told ``interval="step"``; a 4000-update warmup then takes
    4000 epochs. This helper says ``"step"``. Pass a :class:`rampup.torch.Scheduler` (or any torch scheduler), or
    an optimizer and a schedule (with ``total_steps=...`` and the other :class:`~rampup.torch.Scheduler` keywords).
    With ``interval="epoch"`` and a rampup schedule that warms up over updates, a :class:`StepIntervalWarning`
    says so: rampup's scheduler counts real updates, so its value stays right, but it changes only at the end of
    each epoch.

    Example:
        >>> import torch
        >>> from rampup.lightning import scheduler_config
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> cfg = scheduler_config(opt, "linear(5%) >> cosine()", total_steps=1000)
        >>> cfg["interval"], cfg["frequency"], type(cfg["scheduler"]).__name__
        ('step', 1, 'Scheduler')
    """
    from torch.optim import Optimizer

    from .torch import Scheduler

    if interval not in ("step", "epoch"):
        raise RampupError(f"scheduler_config: interval must be 'step' or 'epoch', got {interval!r}")
    if isinstance(optimizer_or_scheduler, Optimizer):
        scheduler = Scheduler(optimizer_or_scheduler, schedule, **scheduler_kwargs)
    elif schedule is not None or scheduler_kwargs:
        raise RampupError("scheduler_config: a schedule and scheduler keywords go with an optimizer, not with a "
                          f"scheduler, got {optimizer_or_scheduler!r}")
    else:
        scheduler = optimizer_or_scheduler
    if interval == "epoch" and isinstance(scheduler, Scheduler):
        warm = _warmup_updates(scheduler)
        if warm:
            warnings.warn(
                f"scheduler_config: interval='epoch' with a schedule that warms up over {warm} updates: the LR "
                "changes only once per epoch, so the warmup is a staircase; use interval='step'",
                StepIntervalWarning, stacklevel=2)
    config: dict[str, Any] = {"scheduler": scheduler, "interval": interval, "frequency": frequency}
    if name is not None:
        config["name"] = name
    return config


def _warmup_updates(scheduler: Any) -> int:
    """The longest warmup (in updates) that opens an LR schedule of ``scheduler``, 0 if none does."""
    from .core.schedule import Sequence
    from .core.warmup import Warmup

    longest = 0
    for s in scheduler.schedules.get("lr", []):
        first = s.phases[0] if isinstance(s, Sequence) else s
        if isinstance(first, Warmup) and first.length:
            longest = max(longest, first.length)
    return longest
