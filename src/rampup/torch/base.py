r"""The one torch-side base of rampup's schedulers: the update clock, the writes into the param groups, the
checkpoint format checks, the wrapper unwrapping and the warnings about a silently wrong LR.

:class:`rampup.torch.Scheduler`, :class:`rampup.torch.WarmupThen` and :class:`rampup.auto.OnlineWarmup` are
subclasses of :class:`SchedulerBase`, and the SB3 adapter counts updates with :class:`UpdateCounter`, so a fix to
the clock is one edit here.

The clock. With ``count="updates"`` (the default) the step is the number of real optimizer updates, counted by a
post-step hook (``Optimizer.register_step_post_hook``, the documented torch API; ``optimizer.step`` is never
patched). A ``step()`` call advances the clock by the updates made since the previous call: none after a skipped
update (a GradScaler skip, a gradient-accumulation micro-batch, Accelerate's extra calls), one in a plain loop.
With ``count="calls"`` the step is the number of ``step()`` calls, as in torch's own schedulers.

Example:
    >>> import torch
    >>> from rampup.torch import unwrap_optimizer, UpdateCounter
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    >>> unwrap_optimizer(opt) is opt
    True
    >>> counter = UpdateCounter(opt)
    >>> opt.step(); opt.step()
    >>> counter.updates
    2
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Mapping
from typing import Any, ClassVar, cast

import torch
from torch.optim.lr_scheduler import LRScheduler

from ..core.errors import RampupError
from ..core.units import Budget
from ..core.validate import MAX_STEPS, check_choice, check_int, show

__all__ = ["COUNTS", "SchedulerBase", "StepWarning", "UpdateCounter", "base_value", "make_budget", "read_lr",
           "unwrap_optimizer", "write_value"]

#: what advances the clock: real optimizer updates, or ``step()`` calls
COUNTS = ("updates", "calls")

# the attributes under which the wrappers keep the optimizer they wrap: Accelerate's AcceleratedOptimizer, HF
# Trainer (which hands out Accelerate's), DeepSpeed's engine and ZeRO / fp16 / bf16 optimizers: ``optimizer``;
# Lightning's LightningOptimizer: ``_optimizer``
_INNER = ("optimizer", "_optimizer")


class StepWarning(UserWarning):
    """The LR the optimizer gets differs from the plan because of how ``step()`` is called (once per epoch for a
    schedule counted in updates; again and again with no optimizer update). The message says how to fix it."""


def _complete(o: Any) -> bool:
    """A torch optimizer that went through ``Optimizer.__init__`` (it has its hooks and its param groups)."""
    return isinstance(o, torch.optim.Optimizer) and isinstance(getattr(o, "_optimizer_step_post_hooks", None), dict)


def _inner(o: Any) -> Any:
    for name in _INNER:
        try:
            inner = getattr(o, name, None)
        except Exception:  # a wrapper's property that fails is not a wrapper we can unwrap
            inner = None
        if inner is not None and inner is not o and hasattr(inner, "param_groups"):
            return inner
    return None


def unwrap_optimizer(optimizer: Any, owner: str = "unwrap_optimizer") -> torch.optim.Optimizer:
    """The real torch optimizer behind ``optimizer``: the optimizer itself, or the one a wrapper holds.

    Followed through ``.optimizer`` (Accelerate's ``AcceleratedOptimizer``, the optimizer HF Trainer passes to
    ``create_scheduler``, DeepSpeed's engine and its ZeRO / fp16 / bf16 optimizers) and ``._optimizer``
    (Lightning's ``LightningOptimizer``), as often as needed. A wrapper that is itself a complete torch
    optimizer is only looked through when it shares its param groups with the one it holds, so writing an LR
    into either is the same write and the wrapper's update is the inner one's.

    Raises:
        RampupError: no torch optimizer found, or one without param groups.

    Example:
        >>> import torch
        >>> from rampup.torch import unwrap_optimizer
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        >>> unwrap_optimizer(opt) is opt
        True
    """
    o = optimizer
    for _ in range(8):
        inner = _inner(o)
        if inner is None:
            break
        if _complete(o) and getattr(o, "param_groups", None) is not getattr(inner, "param_groups", None):
            break
        o = inner
    if not _complete(o):
        raise RampupError(f"{owner}: optimizer must be a torch.optim.Optimizer, or a wrapper that holds one in "
                          f".optimizer (Accelerate, HF Trainer, DeepSpeed) or ._optimizer (Lightning), got "
                          f"{show(optimizer)}")
    real = cast(torch.optim.Optimizer, o)
    if not real.param_groups:
        raise RampupError(f"{owner}: the optimizer has no param groups")
    return real


class UpdateCounter:
    """The number of real updates of a torch optimizer, counted by a post-step hook.

    ``counter.updates`` starts at ``start`` and grows by one after each ``optimizer.step()`` that ran (a
    GradScaler skip does not call it, so it does not count). ``counter.box`` is the one-element list that holds
    the count, for a hot path that reads ``box[0]`` without a call. The hook goes away with ``remove()``, or when
    ``owner`` (any object, usually the scheduler) is garbage collected; it holds the list only, so it keeps
    nothing else alive.

    Example:
        >>> import torch
        >>> from rampup.torch import UpdateCounter
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        >>> c = UpdateCounter(opt, start=10)
        >>> opt.step()
        >>> c.updates
        11
    """

    __slots__ = ("__weakref__", "_handle", "box", "optimizer")

    def __init__(self, optimizer: Any, owner: object | None = None, *, start: int = 0,
                 name: str = "UpdateCounter") -> None:
        self.optimizer = unwrap_optimizer(optimizer, name)
        self.box = [check_int(name, "start", start, 0)]
        self._attach()
        if owner is not None:
            weakref.finalize(owner, self._handle.remove)

    def _attach(self) -> None:
        box = self.box

        def count(opt: Any, args: Any, kwargs: Any) -> None:
            box[0] += 1

        self._handle = self.optimizer.register_step_post_hook(count)

    def __getstate__(self) -> dict[str, Any]:
        # a copy (pickle, deepcopy) counts the updates of the copied optimizer, which has no hooks of its own
        return {"optimizer": self.optimizer, "box": self.box}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.optimizer = state["optimizer"]
        self.box = state["box"]
        self._attach()

    @property
    def updates(self) -> int:
        """The updates counted so far (plus ``start``)."""
        return self.box[0]

    def remove(self) -> None:
        """Stop counting (the count stays readable)."""
        self._handle.remove()


def make_budget(owner: str, budget: Any, total_steps: Any, steps_per_epoch: Any) -> Budget | None:
    """The :class:`rampup.Budget` from ``budget=`` or from its fields, or None; ``total_steps=-1`` (what an
    epoch-based HF or Lightning run holds in ``max_steps``) is an error that says where to get the number.

    Example:
        >>> from rampup.torch.base import make_budget
        >>> make_budget("Scheduler", None, 1000, None).total_steps
        1000
    """
    if budget is not None:
        if not isinstance(budget, Budget):
            raise RampupError(f"{owner}: budget must be a rampup.Budget, got {show(budget)}")
        if total_steps is not None or steps_per_epoch is not None:
            raise RampupError(f"{owner}: pass budget=... or total_steps/steps_per_epoch, not both")
        return budget
    if total_steps is None and steps_per_epoch is None:
        return None
    if isinstance(total_steps, int) and not isinstance(total_steps, bool) and total_steps < 0:
        raise RampupError(
            f"{owner}: total_steps must be the run's number of optimizer updates, a whole number >= 0, got "
            f"{total_steps!r}; -1 is what trainer.max_steps (Lightning) and args.max_steps (HF) hold in a run set "
            "by epochs. Pass the real number: Lightning's self.trainer.estimated_stepping_batches, HF Trainer's "
            "num_training_steps (the argument of Trainer.create_scheduler), or len(loader) * epochs // grad_accum")
    return Budget(total_steps=total_steps, steps_per_epoch=steps_per_epoch)


def read_lr(value: Any) -> float:
    """A param group's value as a float (a tensor LR read with ``.item()``)."""
    return float(value.item()) if isinstance(value, torch.Tensor) else float(value)


def write_value(group: dict[str, Any], key: str, value: float) -> None:
    """Write ``value`` into ``group[key]``: in place into a tensor (a tensor LR stays the same tensor, as
    ``torch.compile`` and capturable optimizers need), else as a plain float.

    Example:
        >>> import torch
        >>> from rampup.torch.base import write_value
        >>> group = {"lr": torch.tensor(0.1)}
        >>> write_value(group, "lr", 0.5)
        >>> group["lr"]
        tensor(0.5000)
    """
    v = group[key]
    if isinstance(v, torch.Tensor):
        v.fill_(value)
    else:
        group[key] = value


_BETA = {"beta1": 0, "beta2": 1}


def base_value(owner: str, group: dict[str, Any], i: int, key: str = "lr") -> float:
    """The base value of ``key`` in param group ``i``: kept as ``initial_<key>`` in the group (``initial_lr``
    as torch schedulers keep it), set from the current value the first time. ``beta1`` / ``beta2`` are the
    entries of Adam's ``betas``.

    Raises:
        RampupError: no such key in the group, or a base that is negative, not finite, or (betas) not below 1.

    Example:
        >>> from rampup.torch.base import base_value
        >>> group = {"lr": 0.1, "params": []}
        >>> base_value("Scheduler", group, 0), group["initial_lr"]
        (0.1, 0.1)
    """
    if key in _BETA:
        betas = group.get("betas")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise RampupError(f"{owner}: {key} needs Adam-style betas in param group {i}, which has none")
        current = betas[_BETA[key]]
    elif key not in group:
        known = ", ".join(k for k, v in group.items() if isinstance(v, (int, float, torch.Tensor))
                          and not isinstance(v, bool))
        raise RampupError(f"{owner}: param group {i} has no hyperparameter {key!r}; it has {known}")
    else:
        current = group[key]
    if isinstance(current, torch.Tensor):
        current = current.clone() if key == "lr" else current.item()
    name = "initial_lr" if key == "lr" else f"initial_{key}"
    v = group.setdefault(name, current)
    v = float(v.item()) if isinstance(v, torch.Tensor) else v
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
        raise RampupError(f"{owner}: the base {key} of param group {i} must be a finite number >= 0, got {v!r}")
    if key in _BETA and v >= 1:
        raise RampupError(f"{owner}: the base {key} of param group {i} must be below 1, got {v!r}")
    return float(v)


def _describe(state: Any) -> str:
    if isinstance(state, Mapping):
        return f"a dict with keys {sorted(map(str, state))!r}"
    return show(state)


class SchedulerBase(LRScheduler):
    """The torch scheduler protocol shared by rampup's schedulers, with the update clock.

    A subclass sets the class attributes ``public`` (its public path, for messages and ``repr``) and ``format``
    (the ``state_dict`` format string), calls ``super().__init__(optimizer, count=...)`` first in its own
    ``__init__``, and implements:

    - ``_apply()``: write the values of step ``self.last_epoch`` into ``self.optimizer.param_groups``;
    - ``step(...)``: ``k = self._tick()`` (updates or calls to advance by; 0 means nothing to do), then advance
      its own state by ``k`` and call ``_apply()``; ``self._jump(n)`` for ``step(n)``;
    - ``state_dict()`` / ``load_state_dict()``: ``self._check_state(owner, state)`` first, ``self._resync()``
      after setting the step;
    - ``_plan_repr()``: the schedule part of ``repr``; ``_init_args(state)`` (a classmethod) for
      ``from_state_dict``; ``_preview_hint()``: what to show instead of a preview loop.

    ``get_last_lr()``, ``_last_lr`` and ``get_lr()`` read the param groups. The clock warns (once, a
    :class:`StepWarning`) when ``step()`` sees several optimizer updates since the previous call (the LR was
    held over all of them: a schedule counted in updates stepped once per epoch), and when it is called again
    and again before any update in an optimizer without gradients (a preview loop, which prints zeros).
    """

    public: ClassVar[str] = "rampup.torch.SchedulerBase"
    state_format: ClassVar[str] = ""

    def __init__(self, optimizer: Any, *, count: str = "updates", watch_calls: bool = False) -> None:
        owner = self.public.rsplit(".", 1)[-1]
        self.optimizer = unwrap_optimizer(optimizer, owner)
        self.count = check_choice(owner, "count", count, COUNTS)
        self._count_updates = count == "updates"
        self._watch_calls = bool(watch_calls)  # a calls clock whose durations count updates: watch for epochs
        self._counter = UpdateCounter(self.optimizer, self, name=owner)
        self._box = self._counter.box
        self._seen = 0
        self._idle = 0
        self._warned: set[str] = set()
        self.last_epoch = 0
        self._step_count = 1

    # -- the clock --------------------------------------------------------------------------------------------
    def _tick(self) -> int:
        """What ``step()`` advances by: the updates since the previous call (``count="updates"``) or 1."""
        n = self._box[0]
        d = n - self._seen
        if self._count_updates:
            if d != 1:
                if d == 0:
                    if n == 0 and "preview" not in self._warned:
                        self._no_update()
                    return 0
                self._many_updates(d, None)
            self._seen = n
            return d
        if d > 1 and self._watch_calls:
            self._many_updates(d, None)
        self._seen = n
        return 1

    def _jump(self, step: Any) -> int:
        """``step(n)``: set the clock to update ``n``; returns ``n``."""
        owner = self.public.rsplit(".", 1)[-1] + ".step"
        t = check_int(owner, "step", step, 0, MAX_STEPS)  # a count of updates: no run is longer than 2**53
        n = self._box[0]
        if n - self._seen > 1 and (self._count_updates or self._watch_calls):  # a calls clock may count epochs
            self._many_updates(n - self._seen, t)
        self._seen = n
        self.last_epoch = t
        self._step_count += 1
        return t

    def _resync(self) -> None:
        """After a resume: the updates made so far are behind the restored step."""
        self._seen = self._box[0]

    def _warn(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            warnings.warn(message, StepWarning, stacklevel=5)  # _warn, the check, _tick or _jump, step, the caller

    def _many_updates(self, d: int, jump: int | None) -> None:
        owner = self.public.rsplit(".", 1)[-1]
        if jump is not None:
            self._warn("epoch", f"{owner}: step({jump}) sets the clock to update {jump}, but {d} optimizer updates "
                       f"were made since the previous step() call and all used the same LR: pass the number of "
                       f"updates, not the epoch, or call step() with no argument after every optimizer.step(); "
                       f"a schedule written in epochs and stepped per epoch wants count='calls'")
        elif self._count_updates:
            self._warn("epoch", f"{owner}: {d} optimizer updates were made since the previous step() call and all "
                       f"used the same LR, so the plan (counted in updates) was skipped over: call step() after "
                       f"every optimizer.step(), not once per epoch (Lightning: interval='step'; a timm-style "
                       f"loop: once per batch); a schedule written in epochs and stepped per epoch wants "
                       f"count='calls'")
        else:
            self._warn("epoch", f"{owner}: {d} optimizer updates were made between two step() calls, and the clock "
                       f"counts calls (count='calls') while steps_per_epoch makes the durations count updates, so "
                       f"the plan is stretched {d}x: use count='updates' (the default) and call step() after every "
                       f"optimizer.step()")

    def _no_update(self) -> None:
        self._idle += 1
        if self._idle < 2:
            return
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                if getattr(p, "grad", None) is not None:
                    return  # gradients: a training run whose first updates were skipped or accumulated
        owner = self.public.rsplit(".", 1)[-1]
        self._warn("preview", f"{owner}: step() was called {self._idle} times with no optimizer update in between, "
                   f"and the clock counts updates (count='updates'), so the LR stays at its value for update "
                   f"{self.last_epoch}. To see the schedule's values without training, use {self._preview_hint()} "
                   f"or build the scheduler with count='calls'")

    def _preview_hint(self) -> str:
        return "the schedule's .values(n) (or `rampup show SPEC`)"

    # -- the torch scheduler protocol -------------------------------------------------------------------------
    def get_last_lr(self) -> list[float]:  # type: ignore[override]
        """The LR of each param group, as set by the last ``step()`` (what the next update uses)."""
        return [read_lr(g["lr"]) for g in self.optimizer.param_groups]

    @property
    def _last_lr(self) -> list[float]:  # type: ignore[override]  # read by some trainers directly
        return self.get_last_lr()

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The LR of each group at the current step."""
        return self.get_last_lr()

    # -- checkpoints ------------------------------------------------------------------------------------------
    @classmethod
    def _check_state(cls, owner: str, state: Any) -> Mapping[str, Any]:
        if not isinstance(state, Mapping) or state.get("format") != cls.state_format:
            raise RampupError(f"{owner}: not a {cls.public} state (format {cls.state_format!r}), "
                              f"got {_describe(state)}")
        return state

    @classmethod
    def _init_args(cls, state: Mapping[str, Any]) -> dict[str, Any]:
        """The constructor arguments that rebuild the saved plan (for :meth:`from_state_dict`)."""
        return {"count": state.get("count", "updates")}

    @classmethod
    def from_state_dict(cls, optimizer: Any, state_dict: Mapping[str, Any], **kwargs: Any) -> Any:
        """A scheduler rebuilt from the plan saved in ``state_dict``, at the saved step; ``kwargs`` add to (or
        override) what the state holds."""
        state = cls._check_state(f"{cls.public.rsplit('.', 1)[-1]}.from_state_dict", state_dict)
        sched = cls(optimizer, **{**cls._init_args(state), **kwargs})
        sched.load_state_dict(dict(state))
        return sched

    def _plan_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        plan = self._plan_repr()
        return f"{self.public}({plan + ', ' if plan else ''}step={self.last_epoch}, count={self.count!r})"
