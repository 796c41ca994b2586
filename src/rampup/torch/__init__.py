"""rampup for PyTorch: closed-form, resumable schedulers that count optimizer updates.

- :class:`Scheduler`: a ``torch.optim.lr_scheduler.LRScheduler`` whose LR (and momentum, betas, weight decay)
  is ``base * schedule(update)``, per param group, with a checkpoint that holds the plan as spec strings.
- :class:`WarmupThen`: a warmup in front of any torch scheduler, ``ReduceLROnPlateau`` included.
- :func:`log_lr`: log what each update used, per group (TensorBoard ``SummaryWriter`` or a function).
- :func:`unwrap_optimizer`: the real torch optimizer behind Accelerate's, DeepSpeed's, HF's or Lightning's
  wrapper; every class here takes either.
- :class:`SchedulerBase`, :class:`UpdateCounter`, :class:`StepWarning`: the clock they share (see
  :mod:`rampup.torch.base`).

Example:
    >>> import torch, rampup.torch
    >>> opt = torch.optim.AdamW(torch.nn.Linear(2, 1).parameters(), lr=3e-4)
    >>> sched = rampup.torch.Scheduler(opt, "linear(5%) >> cosine(to=0.1)", total_steps=1000)
    >>> sched.get_last_lr()
    [0.0]
"""

from ._logging import log_lr
from ._scheduler import Scheduler
from ._warmup_then import WarmupThen
from .base import SchedulerBase, StepWarning, UpdateCounter, unwrap_optimizer
from .hf import get_scheduler  # HF's get_scheduler, its names and values (rampup.torch.hf)

__all__ = ["Scheduler", "SchedulerBase", "StepWarning", "UpdateCounter", "WarmupThen", "get_scheduler",
           "log_lr", "unwrap_optimizer"]
