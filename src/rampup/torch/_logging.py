"""Log the LR (and any other scheduled hyperparameter) of each param group at every optimizer update."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.hooks import RemovableHandle

from ..core.errors import RampupError
from ._clock import check_optimizer

__all__ = ["log_lr"]


def log_lr(optimizer: torch.optim.Optimizer, writer: Any, *, tag: str = "lr", keys: tuple[str, ...] = ("lr",),
           start: int = 0) -> RemovableHandle:
    """Log the value each update actually used, per param group, from an optimizer step hook.

    After each real update ``t`` (``t = start, start + 1, ...``; skipped updates are not counted), writes
    ``writer.add_scalar(f"{tag}/{name}", value, t)`` for each group, where ``name`` is the group's ``name`` or
    its index, and the value is ``group[key]`` (``lr`` by default; ``tag`` becomes ``key`` for other keys). The
    value is read right after the update, before the scheduler moves on, so it is the one that update used.
    ``writer`` is a TensorBoard ``SummaryWriter`` (anything with ``add_scalar``) or a function
    ``writer(tag, value, step)``. Lightning's ``LearningRateMonitor`` needs nothing of this: it reads the
    optimizer's param groups, which rampup's schedulers set.

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
    check_optimizer("log_lr", optimizer)
    add = getattr(writer, "add_scalar", writer)
    if not callable(add):
        raise RampupError(f"log_lr: writer must have add_scalar(tag, value, step) or be a function, got {writer!r}")
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise RampupError(f"log_lr: start must be a whole number >= 0, got {start!r}")
    tags = {key: (tag if key == "lr" else key) for key in keys}
    clock = [start]

    def hook(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        t = clock[0]
        for i, group in enumerate(opt.param_groups):
            name = group.get("name", i)
            for key, prefix in tags.items():
                value = group["betas"][int(key[-1]) - 1] if key in ("beta1", "beta2") else group[key]
                add(f"{prefix}/{name}", float(value), t)
        clock[0] = t + 1

    return optimizer.register_step_post_hook(hook)
