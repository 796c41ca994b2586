"""The update clock shared by rampup's torch schedulers: it counts optimizer updates, not ``step()`` calls.

A post-step hook (``Optimizer.register_step_post_hook``, the documented torch API; ``optimizer.step`` itself is
left untouched) adds one to a counter each time the optimizer really updates. A scheduler's ``step()`` reads the
counter: no update since the last call (a GradScaler skip, a gradient-accumulation micro-batch, Accelerate's
extra calls) means no advance.
"""

from __future__ import annotations

import weakref
from typing import Any

import torch

from ..core.errors import RampupError
from ..core.schedule import Schedule
from ..core.spec import as_schedule
from ..core.units import Budget

COUNTS = ("updates", "calls")


def check_optimizer(owner: str, optimizer: Any) -> torch.optim.Optimizer:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise RampupError(f"{owner}: optimizer must be a torch.optim.Optimizer, got {optimizer!r}")
    if not optimizer.param_groups:
        raise RampupError(f"{owner}: the optimizer has no param groups")
    return optimizer


def check_count(owner: str, count: Any) -> bool:
    """True when the clock counts optimizer updates, False when it counts ``step()`` calls."""
    if count not in COUNTS:
        raise RampupError(f"{owner}: count must be 'updates' or 'calls', got {count!r}")
    return count == "updates"


def attach_counter(owner: object, optimizer: torch.optim.Optimizer) -> list[int]:
    """A one-element list that grows by one after each real update of ``optimizer``; the hook goes away with
    ``owner``. The hook closes over the list only, so it keeps nothing else alive."""
    box = [0]

    def count(opt: Any, args: Any, kwargs: Any) -> None:
        box[0] += 1

    handle = optimizer.register_step_post_hook(count)
    weakref.finalize(owner, handle.remove)
    return box


def make_budget(owner: str, budget: Any, total_steps: Any, steps_per_epoch: Any) -> Budget | None:
    if budget is not None:
        if not isinstance(budget, Budget):
            raise RampupError(f"{owner}: budget must be a rampup.Budget, got {budget!r}")
        if total_steps is not None or steps_per_epoch is not None:
            raise RampupError(f"{owner}: pass budget=... or total_steps/steps_per_epoch, not both")
        return budget
    if total_steps is None and steps_per_epoch is None:
        return None
    return Budget(total_steps=total_steps, steps_per_epoch=steps_per_epoch)


def to_schedule(owner: str, where: str, value: Any, budget: Budget | None) -> Schedule:
    """A resolved, evaluable schedule from a Schedule, a spec string or a ``to_dict()`` dict; the
    :class:`rampup.BudgetError` for a missing budget field is raised here, at construction."""
    return as_schedule(value, budget, owner=owner, where=where)


def check_step(owner: str, step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise RampupError(f"{owner}: step must be a whole number of updates >= 0, got {step!r}")
    return step
