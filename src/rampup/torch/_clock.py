"""The names ``rampup.auto`` imported before :mod:`rampup.torch.base` existed, as thin aliases of the base's
functions, so both move together; new code imports :mod:`rampup.torch.base`."""

from __future__ import annotations

from typing import Any

import torch

from ..core.schedule import Schedule
from ..core.spec import as_schedule
from ..core.validate import MAX_STEPS, check_choice, check_int
from .base import COUNTS, UpdateCounter, make_budget, unwrap_optimizer

__all__ = ["attach_counter", "check_count", "check_optimizer", "check_step", "make_budget", "to_schedule"]


def check_optimizer(owner: str, optimizer: Any) -> torch.optim.Optimizer:
    return unwrap_optimizer(optimizer, owner)


def check_count(owner: str, count: Any) -> bool:
    return check_choice(owner, "count", count, COUNTS) == "updates"


def attach_counter(owner: object, optimizer: torch.optim.Optimizer) -> list[int]:
    return UpdateCounter(optimizer, owner).box


def to_schedule(owner: str, where: str, value: Any, budget: Any) -> Schedule:
    return as_schedule(value, budget, owner=owner, where=where)


def check_step(owner: str, step: Any) -> int:
    return check_int(owner, "step", step, 0, MAX_STEPS)  # a count of updates: no run is longer than 2**53
