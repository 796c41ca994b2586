"""rampup for Lightning: the ``lr_scheduler`` config that steps a rampup scheduler once per optimizer update, the
run's budget from the trainer, and a ``LightningCLI.configure_optimizers`` that does the same for a scheduler given in
the CLI's YAML config.

- :func:`scheduler_config`: the dict for ``configure_optimizers`` (``interval="step"``).
- :func:`total_steps`: ``trainer.estimated_stepping_batches``, checked (``max_steps`` is ``-1`` in an epoch-based run).
- :func:`configure_optimizers`: ``class CLI(LightningCLI): configure_optimizers =
  staticmethod(rampup.lightning.configure_optimizers)``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from torch.optim.lr_scheduler import LRScheduler

from .check.facts import warmup_info
from .core.errors import RampupError
from .core.validate import check_choice, check_instance, check_int, show
from .torch import Scheduler, StepWarning, WarmupThen, unwrap_optimizer

__all__ = ["StepIntervalWarning", "configure_optimizers", "scheduler_config", "total_steps"]


class StepIntervalWarning(StepWarning):
    """A schedule counted in optimizer updates is stepped once per epoch."""


def total_steps(trainer: Any) -> int:
    """The run's length in optimizer updates, as the trainer will make them:
    ``trainer.estimated_stepping_batches`` (``ceil(batches / accumulate_grad_batches) * max_epochs``, capped by
    ``max_steps``), which is right where ``trainer.max_steps`` is ``-1`` (every epoch-based run).

    Call it in ``configure_optimizers``, where the trainer knows its data.

    Raises:
        RampupError: not a Lightning trainer, or a run with no end to count (``max_epochs=-1`` without
            ``max_steps``, or an iterable dataset of unknown length without ``max_steps``).

    Example:
        >>> import lightning.pytorch as L, rampup.lightning
        >>> rampup.lightning.total_steps(L.Trainer(max_steps=500, logger=False))
        500
    """
    owner = "total_steps"
    try:
        steps = trainer.estimated_stepping_batches
    except AttributeError:
        raise RampupError(f"{owner}: total_steps must be a Lightning Trainer (self.trainer in "
                          f"configure_optimizers), got {show(trainer)}") from None
    if (isinstance(steps, float) and math.isinf(steps)) or steps < 0:
        raise RampupError(f"{owner}: the trainer runs without end (max_epochs=-1 or an iterable dataset, and "
                          f"max_steps={trainer.max_steps}): set max_steps (or max_epochs) so that the schedule "
                          "knows the run's length")
    return int(steps)


def scheduler_config(optimizer_or_scheduler: Any, schedule: Any = None, *, interval: str = "step",
                     frequency: int = 1, name: str | None = None, **scheduler_kwargs: Any) -> dict[str, Any]:
    """The dict to return as ``"lr_scheduler"`` from ``LightningModule.configure_optimizers``.

    Lightning steps a scheduler once per *epoch* unless told ``interval="step"``; a 4000-update warmup then takes
    the first epoch at the first update's LR and moves only at epoch ends. This helper says ``"step"``. Pass a
    :class:`rampup.torch.Scheduler` (or any torch scheduler), or an optimizer and a schedule with the
    :class:`~rampup.torch.Scheduler` keywords; take the budget from the trainer:
    ``total_steps=self.trainer.estimated_stepping_batches`` (or :func:`total_steps`), not ``self.trainer.max_steps``
    (``-1`` in an epoch-based run).

    ``interval="epoch"`` with a schedule counted in updates gives a :class:`StepIntervalWarning` that names its
    warmup (as :func:`rampup.check.warmup_info` finds it, in a sequence, a product, a clip, a repeat); a schedule
    counted in epochs (``count="calls"``) may step per epoch.

    Example:
        >>> import torch
        >>> from rampup.lightning import scheduler_config
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> cfg = scheduler_config(opt, "linear(5%) >> cosine()", total_steps=1000)
        >>> cfg["interval"], cfg["frequency"], type(cfg["scheduler"]).__name__
        ('step', 1, 'Scheduler')
    """
    owner = "scheduler_config"
    check_choice(owner, "interval", interval, ("step", "epoch"))
    frequency = check_int(owner, "frequency", frequency, 1)
    if name is not None:
        check_instance(owner, "name", name, str, "a string")
    budget = scheduler_kwargs.get("total_steps")
    if budget == -1 or (isinstance(budget, float) and math.isinf(budget)):
        raise RampupError(f"{owner}: total_steps={budget!r} is not the run's length (trainer.max_steps is -1 in an "
                          "epoch-based run): use total_steps=self.trainer.estimated_stepping_batches, or "
                          "rampup.lightning.total_steps(self.trainer)")
    scheduler: LRScheduler
    if not isinstance(optimizer_or_scheduler, LRScheduler):
        scheduler = Scheduler(unwrap_optimizer(optimizer_or_scheduler, owner), schedule, **scheduler_kwargs)
    elif schedule is not None or scheduler_kwargs:
        raise RampupError(f"{owner}: a schedule and scheduler keywords go with an optimizer, not with a "
                          f"scheduler, got {show(optimizer_or_scheduler)}")
    else:
        scheduler = optimizer_or_scheduler
    if interval == "epoch":
        _warn_epoch(scheduler)
    config: dict[str, Any] = {"scheduler": scheduler, "interval": interval, "frequency": frequency}
    if name is not None:
        config["name"] = name
    return config


def configure_optimizers(lightning_module: Any, optimizer: Any, lr_scheduler: Any = None) -> Any:
    """``LightningCLI.configure_optimizers`` that steps a rampup scheduler from the CLI's config once per update.

    LightningCLI returns ``[optimizer], [lr_scheduler]``, which Lightning steps once per epoch. Use this one::

        class CLI(LightningCLI):
            configure_optimizers = staticmethod(rampup.lightning.configure_optimizers)

    A :class:`rampup.torch.Scheduler` or :class:`~rampup.torch.WarmupThen` gets :func:`scheduler_config`
    (``interval="step"``), and a warning when its schedule's length is not the trainer's
    ``estimated_stepping_batches``; any other scheduler is returned as LightningCLI returns it.
    """
    if not isinstance(lr_scheduler, (Scheduler, WarmupThen)):
        from lightning.pytorch.cli import LightningCLI

        return LightningCLI.configure_optimizers(lightning_module, optimizer, lr_scheduler)
    if isinstance(lr_scheduler, Scheduler):
        _check_length(lightning_module, lr_scheduler)
    return {"optimizer": optimizer, "lr_scheduler": scheduler_config(lr_scheduler)}


def _warn_epoch(scheduler: Any) -> None:
    """Warn once a schedule counted in updates is stepped once per epoch; name its warmup."""
    if not isinstance(scheduler, Scheduler) or scheduler.count != "updates":
        return
    found = [info for s in scheduler.schedules.get("lr", []) if (info := warmup_info(s)) is not None]
    if not found:
        what = "a schedule counted in updates"
    else:
        info = max(found, key=lambda i: (i.length or 0, i.tau or 0.0))
        what = (f"a warmup of {info.length} updates" if info.length else
                f"a warmup with tau={info.tau:g} updates" if info.tau else f"a warmup ({info.phase.spec()})")
    warnings.warn(f"scheduler_config: interval='epoch' steps {what} once per epoch: the first epoch runs at the first "
                  "update's LR and the LR moves only at epoch ends; use interval='step' (or count='calls' for a "
                  "schedule written in epochs)", StepIntervalWarning, stacklevel=3)


def _check_length(lightning_module: Any, scheduler: Any) -> None:
    try:
        trainer = lightning_module.trainer
        run = trainer.estimated_stepping_batches
    except (AttributeError, RuntimeError):
        return
    lengths = [s.length for s in scheduler.schedules.get("lr", [])]
    if not lengths or None in lengths or not isinstance(run, int) or run < 0:
        return
    planned = max(lengths)
    if planned != run:
        warnings.warn(f"configure_optimizers: the LR schedule lasts {planned} updates, the run {run} "
                      f"(trainer.estimated_stepping_batches): set the scheduler's total_steps: {run} in the config",
                      UserWarning, stacklevel=2)
