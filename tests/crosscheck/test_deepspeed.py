"""rampup against DeepSpeed's ``WarmupLR`` and ``WarmupDecayLR`` (``deepspeed.runtime.lr_schedules``), on a
plain torch SGD on CPU.

Offset: DeepSpeed's LR after ``step(i)`` (its ``last_batch_iteration = i``) is rampup's value at step i:
``WarmupLR`` with ``warmup_type="log"`` is ``log_warmup(W, start=min/max)``, ``"linear"`` is
``linear_warmup(W, start=min/max)``, ``WarmupDecayLR`` adds ``>> linear_decay(total - W, to=min/max)``; the
tests call ``step()`` once before the first update, so update t runs at ``last_batch_iteration = t``.

Before any ``step()``, DeepSpeed already writes its min LR into the optimizer (``last_batch_iteration = -1``).
Its engine calls ``lr_scheduler.step()`` AFTER each ``optimizer.step()``, so inside the engine update t runs at
``last_batch_iteration = t - 1``: one step later than rampup's mapping above, and the first two updates both run at
the min LR (``f(-1) = f(0) = min``). ``test_engine_order`` checks that, and that
``constant(1, value=start) >> log_warmup(W, start=start)`` reproduces the engine's LRs exactly.

DeepSpeed clamps the warmup length to ``max(2, W)``: for ``W = 1`` its linear warmup is rampup's
``linear_warmup(2)``, not ``linear_warmup(1)`` (``test_linear_warmup_of_one_step``). The log warmup agrees for
``W = 1`` because ``log_warmup`` divides by ``log(max(2, W))`` as well.
"""

from __future__ import annotations

import numpy as np
import pytest
from deepspeed.runtime.lr_schedules import WarmupDecayLR, WarmupLR

from rampup import constant, linear_decay, linear_warmup, log_warmup

from ._util import PAST_END, assert_close, rampup_values, run_torch, sgd

_WARMUP = {"log": log_warmup, "linear": linear_warmup}


def ds_lrs(make, updates: int) -> tuple[np.ndarray, float]:
    """(LR of each of ``updates`` real SGD updates with DeepSpeed's ``step()`` called before each, so update t runs at
    ``last_batch_iteration = t``; the LR DeepSpeed set at construction)."""
    opt = sgd(1.0)
    sched = make(opt)
    at_construction = float(opt.param_groups[0]["lr"])
    sched.step()
    lrs = run_torch(opt, sched.step, updates)
    return lrs, at_construction


@pytest.mark.parametrize("kind", ["log", "linear"])
@pytest.mark.parametrize("lo,hi,W", [(0.0, 0.1, 10), (0.01, 0.1, 100), (0.001, 0.05, 3), (0.0, 1.0, 1000)])
def test_warmup_lr(kind, lo, hi, W):
    lrs, first = ds_lrs(lambda o: WarmupLR(o, warmup_min_lr=lo, warmup_max_lr=hi, warmup_num_steps=W,
                                           warmup_type=kind), W + PAST_END)
    ours = hi * rampup_values(_WARMUP[kind](W, start=lo / hi), np.arange(W + PAST_END))
    assert_close(ours, lrs, what=f"WarmupLR {kind} min={lo} max={hi} W={W}")
    assert first == lo


@pytest.mark.parametrize("kind", ["log", "linear"])
@pytest.mark.parametrize("lo,hi,W,T", [(0.0, 0.1, 10, 50), (0.01, 0.1, 20, 200), (0.002, 0.02, 5, 6)])
def test_warmup_decay_lr(kind, lo, hi, W, T):
    lrs, first = ds_lrs(lambda o: WarmupDecayLR(o, total_num_steps=T, warmup_min_lr=lo, warmup_max_lr=hi,
                                                warmup_num_steps=W, warmup_type=kind), T + PAST_END)
    m = lo / hi
    ours = hi * rampup_values(_WARMUP[kind](W, start=m) >> linear_decay(T - W, to=m), np.arange(T + PAST_END))
    assert_close(ours, lrs, what=f"WarmupDecayLR {kind} min={lo} max={hi} W={W} T={T}")
    assert first == lo


def test_log_warmup_of_one_step():
    lrs, _ = ds_lrs(lambda o: WarmupLR(o, warmup_min_lr=0.0, warmup_max_lr=0.1, warmup_num_steps=1), 4)
    assert_close(0.1 * rampup_values(log_warmup(1), np.arange(4)), lrs, what="WarmupLR log W=1")


def test_linear_warmup_of_one_step():
    """DeepSpeed's max(2, W): a 1-step linear warmup takes 2 steps there (0, 0.5, 1)."""
    lrs, _ = ds_lrs(lambda o: WarmupLR(o, warmup_min_lr=0.0, warmup_max_lr=0.1, warmup_num_steps=1,
                                       warmup_type="linear"), 4)
    assert_close(0.1 * rampup_values(linear_warmup(2), np.arange(4)), lrs, what="WarmupLR linear W=1 as W=2")
    assert rampup_values(linear_warmup(1), [1]).tolist() == [1.0] and lrs[1] == 0.05


@pytest.mark.parametrize("kind", ["log", "linear"])
def test_engine_order(kind):
    """The engine's order (optimizer.step(), then lr_scheduler.step()): update t runs at DeepSpeed's
    ``last_batch_iteration = t - 1``, the first at the min LR set by the constructor."""
    lo, hi, W = 0.01, 0.1, 10
    opt = sgd(1.0)
    sched = WarmupLR(opt, warmup_min_lr=lo, warmup_max_lr=hi, warmup_num_steps=W, warmup_type=kind)
    lrs = run_torch(opt, sched.step, W + PAST_END)
    warm = _WARMUP[kind](W, start=lo / hi)
    t = np.arange(W + PAST_END)
    assert lrs[0] == lrs[1] == lo
    assert_close(hi * rampup_values(warm, t[1:] - 1), lrs[1:], what=f"engine order {kind}", steps=t[1:])
    assert_close(hi * rampup_values(constant(1, value=lo / hi) >> warm, t), lrs, what=f"engine recipe {kind}")
