"""rampup against Keras 3's ``keras.optimizers.schedules.CosineDecay`` (with and without warmup).

Offset: none. A Keras optimizer evaluates its schedule at ``optimizer.iterations``, which is 0 for the first
update and grows by one per applied update: rampup's ``step`` = Keras' ``step`` (``iterations``);
``test_real_optimizer_uses_iterations_from_zero`` checks it with a real ``keras.optimizers.SGD``.

Names: Keras counts the warmup OUTSIDE ``decay_steps`` (warmup W, then a cosine over ``decay_steps``), so
``CosineDecay(init, decay_steps=D, alpha, warmup_target=peak, warmup_steps=W)`` is
``peak * (linear_warmup(W, start=init / peak) >> cosine_decay(D, to=alpha))``: Keras' ``alpha`` is the floor as a
fraction of the value the decay starts from (``warmup_target``, or ``initial_learning_rate`` without warmup),
``decayed = (1 - alpha) * cosine + alpha``, which is rampup's ``to``. After ``W + D`` Keras holds its floor.

Precision: Keras computes a schedule in the dtype of ``initial_learning_rate`` as a tensor, i.e. ``floatx()``,
float32 by default. The comparison runs with ``keras.config.set_floatx("float64")`` (restored afterwards), so
Keras really computes in float64 and the tolerance is the suite's 1e-9. The suite's backend is torch
(tests/conftest.py).
"""

from __future__ import annotations

from contextlib import contextmanager

import keras
import numpy as np
import pytest

from rampup import cosine_decay, linear_warmup

from ._util import PAST_END, assert_close, rampup_values

CosineDecay = keras.optimizers.schedules.CosineDecay


@contextmanager
def float64():
    old = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        yield
    finally:
        keras.config.set_floatx(old)


def keras_values(make, steps: np.ndarray) -> np.ndarray:
    with float64():
        schedule = make()
        out = [keras.ops.convert_to_numpy(schedule(int(t))) for t in steps]
    assert all(v.dtype == np.float64 for v in out)
    return np.array(out, dtype=np.float64)


@pytest.mark.parametrize("init,peak,W,D,alpha", [
    (0.0, 0.1, 10, 100, 0.0),
    (0.01, 0.1, 5, 40, 0.1),
    (1e-4, 1e-3, 0, 30, 0.05),
    (0.02, 1.0, 1, 7, 0.5),
])
def test_cosine_decay_with_warmup(init, peak, W, D, alpha):
    steps = np.arange(W + D + PAST_END)
    got = keras_values(lambda: CosineDecay(init, D, alpha=alpha, warmup_target=peak, warmup_steps=W), steps)
    ours = peak * rampup_values(linear_warmup(W, start=init / peak) >> cosine_decay(D, to=alpha), steps)
    assert_close(ours, got, what=f"CosineDecay init={init} peak={peak} W={W} D={D} alpha={alpha}", steps=steps)


@pytest.mark.parametrize("init,D,alpha", [(0.1, 50, 0.0), (1.0, 13, 0.2)])
def test_cosine_decay_without_warmup(init, D, alpha):
    steps = np.arange(D + PAST_END)
    got = keras_values(lambda: CosineDecay(init, D, alpha=alpha), steps)
    ours = init * rampup_values(cosine_decay(D, to=alpha), steps)
    assert_close(ours, got, what=f"CosineDecay init={init} D={D} alpha={alpha}", steps=steps)


def test_real_optimizer_uses_iterations_from_zero():
    """A real Keras SGD: the LR it reports for each update, and the update it applies to a variable at 0 with
    gradient 1 (exactly -lr), follow rampup from step 0."""
    init, peak, W, D = 0.0, 0.1, 4, 12
    steps = np.arange(W + D + PAST_END)
    ours = peak * rampup_values(linear_warmup(W, start=init / peak) >> cosine_decay(D), steps)
    reported, applied = [], []
    with float64():
        opt = keras.optimizers.SGD(learning_rate=CosineDecay(init, D, warmup_target=peak, warmup_steps=W))
        var = keras.Variable(0.0, dtype="float64")
        for _ in steps:
            var.assign(0.0)
            reported.append(float(keras.ops.convert_to_numpy(opt.learning_rate)))
            opt.apply_gradients([(keras.ops.ones((), dtype="float64"), var)])
            applied.append(-float(keras.ops.convert_to_numpy(var.value)))
    assert_close(ours, np.array(reported), what="keras SGD learning_rate before each update")
    assert_close(ours, np.array(applied), what="keras SGD applied update")
