"""``rampup.torch.WarmupThen``: a warmup in front of any torch scheduler, ReduceLROnPlateau included."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

from ..core.errors import RampupError
from ..core.schedule import Schedule
from ..core.spec import as_schedule
from ..core.units import Budget
from ..core.validate import check_int, show
from ..core.warmup import linear_warmup
from .base import SchedulerBase, make_budget, unwrap_optimizer, write_value

__all__ = ["WarmupThen"]


class WarmupThen(SchedulerBase):
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

    Updates are counted as in :class:`Scheduler` (the clock of :class:`rampup.torch.SchedulerBase`): with
    ``count="updates"`` (default) a ``step()`` after an update the optimizer did not make (a GradScaler skip, an
    accumulation micro-batch) does not advance anything, and stepping only once per epoch warns.

    Args:
        optimizer: the optimizer ``after`` schedules, or a wrapper that holds it (see
            :func:`rampup.torch.unwrap_optimizer`).
        warmup: a whole number of updates (linear from 0), a rampup warmup schedule or spec string of finite
            length (``"cosine(500)"``, ``"linear(2%)"`` with ``total_steps``).
        after: a torch scheduler built on ``optimizer`` or on its wrapper (any ``LRScheduler``,
            ``ReduceLROnPlateau`` included).
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

    public = "rampup.torch.WarmupThen"
    state_format = "rampup.torch.WarmupThen/1"

    def __init__(self, optimizer: Any, warmup: int | str | Schedule, after: Any, *,
                 total_steps: int | None = None, steps_per_epoch: int | None = None, budget: Budget | None = None,
                 count: str = "updates") -> None:
        owner = "WarmupThen"
        super().__init__(optimizer, count=count)
        if not isinstance(after, (LRScheduler, ReduceLROnPlateau)):
            raise RampupError(f"{owner}: after must be a torch LR scheduler, got {show(after)}")
        if unwrap_optimizer(after.optimizer, owner) is not self.optimizer:
            raise RampupError(f"{owner}: after schedules another optimizer than the one given")
        if isinstance(warmup, int) and not isinstance(warmup, bool):
            warmup = linear_warmup(warmup)
        self.warmup = as_schedule(warmup, make_budget(owner, budget, total_steps, steps_per_epoch), owner=owner,
                                  where="warmup", role="warmup")
        length = self.warmup.length
        if length is None:  # 0 updates is allowed: ``after`` alone, from the first update on
            raise RampupError(f"{owner}: the warmup must last a whole number of updates >= 0, got "
                              f"{self.warmup.spec()} (length {length})")
        self.warmup_steps: int = length
        self.after = after
        self._plateau = isinstance(after, ReduceLROnPlateau)
        # the LRs ``after`` starts from: what it set when it was built
        self.base_lrs = [float(x) for x in after.get_last_lr()]
        self._set_warmup(0)

    def _set_warmup(self, t: int) -> None:
        f = float(self.warmup(t)) if t < self.warmup_steps else 1.0
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            write_value(group, "lr", float(base) * f)

    def step(self, metrics: Any = None) -> None:
        """Advance by the optimizer updates made since the last call; pass ``metrics`` on to a wrapped
        ``ReduceLROnPlateau`` once the warmup is over."""
        if metrics is not None and not self._plateau:
            raise RampupError(f"WarmupThen.step: metrics are for ReduceLROnPlateau; "
                              f"{type(self.after).__name__} takes none, got {show(metrics)}")
        ticks = self._tick()
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

    def _plan_repr(self) -> str:
        return f"{self.warmup.spec()!r}, after={type(self.after).__name__}"

    def _preview_hint(self) -> str:
        return f"the warmup's .values(n) or `rampup show \"{self.warmup.spec()}\"`"

    def state_dict(self) -> dict[str, Any]:
        """Plain types: the step, the clock, the warmup's spec string, the LRs ``after`` starts from and
        ``after``'s own state."""
        return {"format": self.state_format, "step": self.last_epoch, "count": self.count,
                "warmup": self.warmup.spec(), "base_lrs": list(self.base_lrs), "after": self.after.state_dict()}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the step and ``after``'s state; the LR is set for the saved step. (States saved before the
        clock was part of the state hold no ``count``; they load the same.)"""
        owner = "WarmupThen.load_state_dict"
        state_dict = self._check_state(owner, state_dict)
        self.last_epoch = check_int(owner, "step", state_dict["step"], 0)
        self.base_lrs = [float(x) for x in state_dict["base_lrs"]]
        self.after.load_state_dict(state_dict["after"])
        self._resync()
        if self.last_epoch < self.warmup_steps:
            self._set_warmup(self.last_epoch)
        else:
            for group, lr in zip(self.optimizer.param_groups, self.after.get_last_lr(), strict=True):
                write_value(group, "lr", float(lr))

    @classmethod
    def _init_args(cls, state: Mapping[str, Any]) -> dict[str, Any]:
        return {"warmup": state["warmup"], "count": state.get("count", "updates")}
