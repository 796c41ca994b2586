"""``digits-largebatch``: an MLP on scikit-learn's 8x8 digits trained with large-batch SGD + momentum and Goyal's
linear scaling rule (peak LR = grid LR x batch / 256, arXiv 1706.02677), with ``digits-smallbatch`` (batch 32) as
the control."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core.validate import check_int, check_number
from ._tasks import Task

__all__ = ["DigitsTask", "digits"]

_N_VAL = 297


@functools.lru_cache(maxsize=1)
def digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_train, y_train, x_val, y_val)``: the 1797 digits of ``sklearn.datasets.load_digits`` scaled to [0, 1],
    shuffled once with a fixed permutation (numpy seed 0), the last 297 held out.

    Example:
        >>> x, y, xv, yv = digits()
        >>> tuple(x.shape), tuple(xv.shape), float(x.max())
        ((1500, 64), (297, 64), 1.0)
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    order = np.random.default_rng(0).permutation(len(data.target))
    x = torch.tensor(data.data[order] / 16.0, dtype=torch.float32)
    y = torch.tensor(data.target[order], dtype=torch.int64)
    return x[:-_N_VAL], y[:-_N_VAL], x[-_N_VAL:], y[-_N_VAL:]


class DigitsTask(Task):
    """Digit classification with an MLP (``depth`` hidden ReLU layers of ``width`` units) and SGD with momentum.

    The grid LR is the LR for a batch of ``base_batch`` (256); a run uses ``lr * batch / base_batch`` (the linear
    scaling rule). The default number of updates, ``150 * 1024 / batch``, gives every batch size the same ~100
    epochs. Batches are drawn without replacement within a batch. Full size: width 256, depth 3; ``quick``:
    width 16, depth 1. The reference (stall) loss is ``ln 10``, the loss of a uniform guess; the metric is the
    validation accuracy; a train loss above ten times chance has diverged.

    Example:
        >>> from rampup.studies import get_task
        >>> task = get_task("digits-largebatch")
        >>> task.peak_lr(0.1), round(task.reference_loss, 4), get_task("digits-smallbatch").peak_lr(0.1)
        (0.4, 2.3026, 0.0125)
        >>> task.default_updates, get_task("digits-smallbatch").default_updates
        (150, 4800)
    """

    default_updates = 150
    default_lrs = (0.0125, 0.025, 0.05, 0.1)
    default_warmups = ("none", "linear(10)", "linear(25)", "linear(50)")
    target_loss = 0.2
    metric_name = "accuracy"

    def __init__(self, *, batch: int = 1024, quick: bool = False, width: int | None = None, depth: int | None = None,
                 momentum: float = 0.9, base_batch: int = 256):
        width = width if width is not None else (16 if quick else 256)
        depth = depth if depth is not None else (1 if quick else 3)
        batch = check_int("digits", "batch", batch, 1, 1500)  # at most the training set
        width, depth = check_int("digits", "width", width, 1), check_int("digits", "depth", depth, 1)
        base_batch = check_int("digits", "base_batch", base_batch, 1)
        momentum = check_number("digits", "momentum", momentum, 0.0, 1.0, hi_open=True)
        super().__init__(batch=batch, quick=bool(quick), width=width, depth=depth, momentum=momentum,
                         base_batch=base_batch)
        self.name = "digits-largebatch" if batch >= base_batch else "digits-smallbatch"
        # the same number of epochs at every batch size: 150 updates at batch 1024
        self.default_updates = max(1, round(150 * 1024 / batch))
        self.x, self.y, self.xv, self.yv = digits()

    @property
    def reference_loss(self) -> float:
        return math.log(10)

    @property
    def diverge_loss(self) -> float:
        """Ten times chance: SGD at a high LR can spike and recover (a catapult); above this it does not."""
        return 10.0 * self.reference_loss

    def peak_lr(self, lr: float) -> float:
        return self.base_batch_lr(lr, self.options["batch"], self.options["base_batch"])

    def build_model(self) -> nn.Module:
        layers: list[nn.Module] = []
        width_in = 64
        for _ in range(self.options["depth"]):
            layers += [nn.Linear(width_in, self.options["width"]), nn.ReLU()]
            width_in = self.options["width"]
        return nn.Sequential(*layers, nn.Linear(width_in, 10))

    def optimizer(self, params: Any, lr: float) -> torch.optim.Optimizer:
        return torch.optim.SGD(params, lr=lr, momentum=self.options["momentum"])

    def batches(self, generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        while True:
            idx = torch.randperm(len(self.y), generator=generator)[: self.options["batch"]]
            yield self.x[idx], self.y[idx]

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return F.cross_entropy(model(x), y)

    def evaluate(self, model: nn.Module) -> tuple[float, float]:
        logits = model(self.xv)
        return float(F.cross_entropy(logits, self.yv)), float((logits.argmax(1) == self.yv).float().mean())
