"""``rampup.torch.WarmupThen``: a warmup in front of any torch scheduler, ReduceLROnPlateau included."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

from ..core.errors import RampupError
from ..core.schedule import Schedule
from ..core.units import Budget
from ..core.warmup import linear_warmup
from ._clock import attach_counter, check_count, check_optimizer, make_budget, to_schedule

__all__ = ["WarmupThen"]

_FORMAT = "rampup.torch.WarmupThen/1"


class WarmupThen(LRScheduler):
    r"""A warmup of ``W`` updates, then any torch scheduler exactly as it runs alone, counting from the warmup's end.

    With ``lr_g`` the LR of group ``g`` that ``after`` starts from (what it set when it was built, usually the
    group's LR):

    .. math::

        \mathrm{lr}_g(t) = \mathrm{lr}_g \cdot w(t) \quad (t < W), \qquad
        \mathrm{lr}_g(t) = \mathrm{after}_g(t - W) \quad (t \ge W)

    ``after`` is stepped once per update from update ``W + 1`` on (its step ``k`` at update ``W + k``), so
    chainable schedulers, ``CosineAnnealingWarmRestarts`` and ``OneCycleLR`` give the very sequence they give
    alone. For ``ReduceLROnPlateau``, call ``step()`` after each update (for the warmup) and ``step(metric)``
    when the metric is known (each epoch, say): metrics are passed on once the warmup is over; during the
    warmup they are ignored.

    Updates are counted as in :class:`Scheduler`: with ``count="updates"`` (default) a ``step()`` after an update
    the optimizer did not make (a GradScaler skip, an accumulation micro-batch) does not advance anything.

    Args:
        optimizer: the optimizer ``after`` schedules.
        warmup: a whole number of updates (linear from 0), a rampup warmup schedule or spec string of finite
            length (``"cosine(500)"``, ``"linear(2%)"`` with ``total_steps``).
        after: a torch scheduler built on ``optimizer`` (any ``LRScheduler``, ``ReduceLROnPlateau`` included).
        total_steps, steps_per_epoch, budget: resolve durations in ``warmup``.
        count: ``"updates"`` or ``"calls"``.

    Example:
        >>> import torch, rampup.torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> after = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> sched = rampup.torch.WarmupThen(opt, 2, after)
        >>> lrs = []
        >>> for _ in range(7):
        ...     lrs.append(opt.param_groups[0]["lr"])
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.0, 0.5, 1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: torch.optim.Optimizer, warmup: int | str | Schedule, after: Any, *,
                 total_steps: int | None = None, steps_per_epoch: int | None = None, budget: Budget | None = None,
                 count: str = "updates") -> None:
        owner = "WarmupThen"
        self.optimizer = check_optimizer(owner, optimizer)
        self._count_updates = check_count(owner, count)
        if not isinstance(after, LRScheduler):
            raise RampupError(f"{owner}: after must be a torch LR scheduler, got {after!r}")
        if after.optimizer is not optimizer:
            raise RampupError(f"{owner}: after schedules another optimizer than the one given")
        if isinstance(warmup, int) and not isinstance(warmup, bool):
            warmup = linear_warmup(warmup)
        self.warmup = to_schedule(owner, "warmup", warmup, make_budget(owner, budget, total_steps, steps_per_epoch))
        length = self.warmup.length
        if length is None or length < 1:
            raise RampupError(f"{owner}: the warmup must last a whole number of updates >= 1, got "
                              f"{self.warmup.spec()} (length {length})")
        self.warmup_steps: int = length
        self.after = after
        self._plateau = isinstance(after, ReduceLROnPlateau)
        # the LRs ``after`` starts from: what it set when it was built
        self.base_lrs = [float(x) for x in after.get_last_lr()]
        self.last_epoch = 0
        self._step_count = 1
        self._counter = attach_counter(self, optimizer)
        self._seen = 0
        self._set_warmup(0)

    def _set_warmup(self, t: int) -> None:
        f = self.warmup(t) if t < self.warmup_steps else 1.0
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            _write(group, base * f)

    def step(self, metrics: Any = None) -> None:  # type: ignore[override]
        """Advance by the optimizer updates made since the last call; pass ``metrics`` on to a wrapped
        ``ReduceLROnPlateau`` once the warmup is over."""
        if metrics is not None and not self._plateau:
            raise RampupError(f"WarmupThen.step: metrics are for ReduceLROnPlateau; "
                              f"{type(self.after).__name__} takes none, got {metrics!r}")
        if self._count_updates:
            n = self._counter[0]
            ticks, self._seen = n - self._seen, n
        else:
            ticks = 1
        W = self.warmup_steps
        for _ in range(ticks):
            self.last_epoch += 1
            self._step_count += 1
            t = self.last_epoch
            if t <= W:
                self._set_warmup(t)
            elif not self._plateau:
                self.after.step()
        if metrics is not None and self.last_epoch >= W:
            self.after.step(metrics)

    def get_last_lr(self) -> list[float]:  # type: ignore[override]
        """The LR of each param group, as set by the last ``step()``."""
        return [float(g["lr"]) for g in self.optimizer.param_groups]

    @property
    def _last_lr(self) -> list[float]:
        return self.get_last_lr()

    def get_lr(self) -> list[float]:  # type: ignore[override]
        return self.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """Plain types: the step, the warmup's spec string, the LRs ``after`` starts from and ``after``'s own
        state."""
        return {"format": _FORMAT, "step": self.last_epoch, "warmup": self.warmup.spec(),
                "base_lrs": list(self.base_lrs), "after": self.after.state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the step and ``after``'s state; the LR is set for the saved step."""
        if not isinstance(state_dict, Mapping) or state_dict.get("format") != _FORMAT:
            raise RampupError(f"WarmupThen.load_state_dict: not a rampup.torch.WarmupThen state, got "
                              f"{state_dict!r:.200}")
        self.last_epoch = int(state_dict["step"])
        self.base_lrs = [float(x) for x in state_dict["base_lrs"]]
        self.after.load_state_dict(state_dict["after"])
        self._seen = self._counter[0]
        if self.last_epoch < self.warmup_steps:
            self._set_warmup(self.last_epoch)
        else:
            for group, lr in zip(self.optimizer.param_groups, self.after.get_last_lr()):
                _write(group, lr)


def _write(group: dict[str, Any], value: Any) -> None:
    if isinstance(group["lr"], torch.Tensor):
        group["lr"].fill_(float(value))
    else:
        group["lr"] = value
