"""Log the LR (and any other scheduled hyperparameter) of each param group at every optimizer update."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.hooks import RemovableHandle

from ..core.errors import RampupError
from ..core.validate import check_int, show
from .base import unwrap_optimizer

__all__ = ["log_lr"]


def log_lr(optimizer: Any, writer: Any, *, tag: str = "lr", keys: tuple[str, ...] = ("lr",),
           step: int = 0) -> RemovableHandle:
    """Log the value each update actually used, per param group, from an optimizer step hook.

    After each real update ``t`` (``t = step, step + 1, ...``: ``step`` is the number of the first update
    logged, for a resumed run; skipped updates are not counted), writes
    ``writer.add_scalar(f"{tag}/{name}", value, t)`` for each group, where ``name`` is the group's ``name`` or
    its index, and the value is ``group[key]`` (``lr`` by default; ``tag`` becomes ``key`` for other keys). The
    value is read right after the update, before the scheduler moves on, so it is the one that update used.
    ``writer`` is a TensorBoard ``SummaryWriter`` (anything with ``add_scalar``) or a function
    ``writer(tag, value, step)``. ``optimizer`` may be a wrapper that holds the optimizer (see
    :func:`rampup.torch.unwrap_optimizer`). Lightning's ``LearningRateMonitor`` needs nothing of this: it reads
    the optimizer's param groups, which rampup's schedulers set.

    Returns:
        The hook's handle: ``handle.remove()`` stops the logging.

    Example:
        >>> import torch, rampup.torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = rampup.torch.Scheduler(opt, "linear_warmup(4)")
        >>> seen = []
        >>> handle = rampup.torch.log_lr(opt, lambda tag, v, t: seen.append((tag, t, v)))
        >>> for _ in range(3):
        ...     opt.step()
        ...     sched.step()
        >>> seen
        [('lr/0', 0, 0.0), ('lr/0', 1, 0.25), ('lr/0', 2, 0.5)]
    """
    opt = unwrap_optimizer(optimizer, "log_lr")
    add = getattr(writer, "add_scalar", writer)
    if not callable(add):
        raise RampupError(f"log_lr: writer must have add_scalar(tag, value, step) or be a function, "
                          f"got {show(writer)}")
    clock = [check_int("log_lr", "step", step, 0)]
    tags = {key: (tag if key == "lr" else key) for key in keys}

    def hook(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        t = clock[0]
        for i, group in enumerate(opt.param_groups):
            name = group.get("name", i)
            for key, prefix in tags.items():
                value = group["betas"][int(key[-1]) - 1] if key in ("beta1", "beta2") else group[key]
                add(f"{prefix}/{name}", float(value), t)
        clock[0] = t + 1

    return opt.register_step_post_hook(hook)
