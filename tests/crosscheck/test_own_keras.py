"""Keras' own learning-rate schedule tests, ported: keras-team/keras
``keras/src/optimizers/schedules/learning_rate_schedule_test.py``.

Keras' tests call a schedule with a step (a Python int or a ``backend.Variable``) and compare with
``assertAllClose(value, expected, 1e-6)`` (atol 1e-6, rtol 1e-6) in float32. Here each case is the README's rampup
equivalent through ``rampup.keras.LRSchedule(..., peak=...)`` in the suite's backend (torch), float32, with that
tolerance, and through the installed Keras schedule too; ``test_config`` becomes a get_config / from_config round
trip of the rampup schedule, and ``TestFitLRSchedulesFlow`` trains the same model with ``model.fit``.

Offset: none (Keras' ``step`` is the optimizer's ``iterations``, rampup's ``step``). Keras'
``PiecewiseConstantDecay`` is evaluated at step -999 in its test; rampup refuses negative steps on purpose.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

import rampup
import rampup.keras
from rampup import constant, cosine_decay, exp_decay, inverse_time_decay, linear_warmup, poly_decay, repeat, step_decay

from ._own import assert_peer

S = keras.optimizers.schedules


def lr(schedule, peak: float, step) -> float:
    return float(keras.ops.convert_to_numpy(rampup.keras.LRSchedule(schedule, peak=peak)(step)))


def check(schedule, peak, keras_schedule, steps, expected, atol=1e-6, rtol=1e-6):
    got = [lr(schedule, peak, t) for t in steps]
    assert_peer(got, expected, atol=atol, rtol=rtol, what=f"{schedule!r} * {peak}")
    theirs = [float(keras.ops.convert_to_numpy(keras_schedule(t))) for t in steps]
    assert_peer(got, theirs, atol=atol, rtol=rtol, what=f"{schedule!r} * {peak} vs installed keras")


def test_fit_lr_correctness():
    # TestFitLRSchedulesFlow.test_fit_lr_correctness: Adam on ExponentialDecay(0.05, 1, 0.9), 3 epochs of 4 batches
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="ones")])
    optimizer = keras.optimizers.Adam(learning_rate=rampup.keras.LRSchedule(exp_decay(0.9), peak=0.05))
    model.compile(optimizer=optimizer, loss="mse")
    x = np.arange(32).reshape((16, 2))
    history = model.fit(x, x, epochs=3, batch_size=4, shuffle=False, verbose=0)
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == 4 * 3
    np.testing.assert_allclose(history.history["loss"], [230.79457092285156, 128.30319213867188, 79.33648681640625],
                               rtol=5e-5)


@pytest.mark.parametrize("schedule,peak", [(step_decay(10, gamma=0.96), 0.05), (inverse_time_decay(10, rate=0.96,
                                                                                                   staircase=True),
                                                                               0.05),
                                           (poly_decay(100, to=0.005 / 0.1), 0.1),
                                           (linear_warmup(2, start=0.25) >> cosine_decay(10, to=0.1), 0.2),
                                           (repeat(cosine_decay(10, to=0.1), mult=3.0, decay=0.5), 0.05)])
def test_config(schedule, peak):
    # every test_config: the schedule survives get_config / from_config (and keras.saving's serialisation)
    s = rampup.keras.LRSchedule(schedule, peak=peak)
    back = rampup.keras.LRSchedule.from_config(s.get_config())
    assert back.schedule == s.schedule and back.peak == s.peak
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(s))
    assert isinstance(again, rampup.keras.LRSchedule) and again.get_config() == s.get_config()


def test_exponential_continuous():
    # ExponentialDecayTest.test_continuous
    check(exp_decay(0.96, every=10), 0.05, S.ExponentialDecay(0.05, 10, 0.96), [5], [0.05 * 0.96 ** (5.0 / 10.0)])


def test_exponential_staircase():
    # ExponentialDecayTest.test_staircase and test_variables: steps 1, 2 (no change) and 100, also as a Variable
    expected = [0.1, 0.1, 0.1 * 0.96 ** (100 // 3)]
    check(step_decay(3, gamma=0.96), 0.1, S.ExponentialDecay(0.1, 3, 0.96, staircase=True), [1, 2, 100], expected)
    step = keras.Variable(1.0)
    got = []
    for t in (1, 2, 100):
        step.assign(t)
        got.append(lr(step_decay(3, gamma=0.96), 0.1, step))
    assert_peer(got, expected, atol=1e-6, rtol=1e-6, what="staircase on a Variable")


def test_piecewise_values():
    # PiecewiseConstantDecayTest.test_piecewise_values: boundaries [100, 110, 120], values 1, 0.1, 0.01, 0.001;
    # Keras keeps a value up to and including its boundary
    s = constant(101, value=1.0) >> constant(10, value=0.1) >> constant(10, value=0.01) >> constant(value=0.001)
    check(s, 1.0, S.PiecewiseConstantDecay([100, 110, 120], [1.0, 0.1, 0.01, 0.001]), [100, 105, 110, 120, 999],
          [1.0, 0.1, 0.1, 0.01, 0.001])
    with pytest.raises(rampup.RampupError, match="step"):
        rampup.keras.LRSchedule(s, peak=1.0)(-999.0)


def test_piecewise_boundary_values():
    # PiecewiseConstantDecayTest.test_boundary_values: an int64 step Variable
    s = (constant(2, value=0.4 / 0.7) >> constant(1, value=0.5 / 0.7) >> constant(1, value=0.6 / 0.7)
         >> constant(value=1.0))
    step = keras.Variable(0, dtype="int64", trainable=False)
    got = []
    for t in range(5):
        step.assign(t)
        got.append(lr(s, 0.7, step))
    assert_peer(got, [0.4, 0.4, 0.5, 0.6, 0.7], atol=1e-6, rtol=1e-6, what="piecewise on int64 steps")


POLY = [
    # (test, step, lr, end_lr, power, cycle, expected)
    ("LinearDecayTest.test_halfway", 5, 0.05, 0.0, 1.0, False, 0.05 * 0.5),
    ("LinearDecayTest.test_end", 10, 0.05, 0.001, 1.0, False, 0.001),
    ("LinearDecayTest.test_halfway_with_end", 5, 0.05, 0.001, 1.0, False, (0.05 + 0.001) * 0.5),
    ("LinearDecayTest.test_beyond_end", 15, 0.05, 0.001, 1.0, False, 0.001),
    ("LinearDecayTest.test_beyond_end_with_cycle", 15, 0.05, 0.001, 1.0, True, (0.05 - 0.001) * 0.25 + 0.001),
    ("SqrtDecayTest.test_halfway", 5, 0.05, 0.0, 0.5, False, 0.05 * 0.5**0.5),
    ("SqrtDecayTest.test_end", 10, 0.05, 0.001, 0.5, False, 0.001),
    ("SqrtDecayTest.test_halfway_with_end", 5, 0.05, 0.001, 0.5, False, (0.05 - 0.001) * 0.5**0.5 + 0.001),
    ("SqrtDecayTest.test_beyond_end", 15, 0.05, 0.001, 0.5, False, 0.001),
    ("SqrtDecayTest.test_beyond_end_with_cycle", 15, 0.05, 0.001, 0.5, True, (0.05 - 0.001) * 0.25**0.5 + 0.001),
    ("SqrtDecayTest.test_begin_with_cycle", 0, 0.001, 0.0001, 1.0, True, 0.001),
]


@pytest.mark.parametrize("name,step,init,end,power,cycle,expected", POLY, ids=[c[0] for c in POLY])
def test_polynomial(name, step, init, end, power, cycle, expected):
    # PolynomialDecay(init, 10, end, power, cycle): cycle=True stretches the decay to the next multiple of 10
    if name.endswith("begin_with_cycle"):
        end = 0.0001  # Keras' default end_learning_rate
    check(poly_decay(10, to=end / init, power=power, stretch=cycle), init,
          S.PolynomialDecay(init, 10, end, power=power, cycle=cycle), [step], [expected])


def test_polynomial_cycle_every_step():
    # PolynomialDecay(cycle=True) over three stretches, every step, against the installed Keras
    check(poly_decay(10, to=0.1, power=2.0, stretch=True), 0.05, S.PolynomialDecay(0.05, 10, 0.005, power=2.0,
                                                                                   cycle=True),
          range(45), [S.PolynomialDecay(0.05, 10, 0.005, power=2.0, cycle=True)(t) for t in range(45)])


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    # InverseTimeDecayTest.test_decay and test_staircase: 0.1 / (1 + 0.96 * i / 10), i // 10 with staircase
    expected = [0.1 / (1 + 0.96 * ((i // 10) if staircase else i / 10)) for i in range(11)]
    check(inverse_time_decay(10, rate=0.96, staircase=staircase), 0.1,
          S.InverseTimeDecay(0.1, 10, 0.96, staircase=staircase), range(11), expected)


def _np_cosine_decay(step, decay_steps, alpha=0.0):
    step = min(step, decay_steps)
    return (1.0 - alpha) * 0.5 * (1.0 + math.cos(math.pi * step / decay_steps)) + alpha


@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_cosine_decay(alpha):
    # CosineDecayTest.test_decay, test_alpha and test_float64 (steps 0 .. 1250 by 250 of a 1000-step decay)
    steps = range(0, 1500, 250)
    check(cosine_decay(1000, to=alpha), 1.0, S.CosineDecay(1.0, 1000, alpha), steps,
          [_np_cosine_decay(t, 1000, alpha) for t in steps])


def test_cosine_warmup():
    # CosineDecayTest.test_warmup: a 1500-step warmup from 0 to 10 (Keras counts it outside decay_steps)
    steps = range(0, 1500, 250)
    check(linear_warmup(1500) >> cosine_decay(10), 10.0, S.CosineDecay(0.0, 10, warmup_target=10.0,
                                                                       warmup_steps=1500),
          steps, [t / 1500 * 10.0 for t in steps])


def test_cosine_warmup_decay():
    # CosineDecayTest.test_warmup_decay: 2000 warmup steps, then 1000 cosine steps
    steps = range(0, 3000, 250)
    expected = [t / 2000 * 10.0 if t < 2001 else 10.0 * _np_cosine_decay(t - 2000, 1000) for t in steps]
    check(linear_warmup(2000) >> cosine_decay(1000), 10.0, S.CosineDecay(0.0, 1000, warmup_target=10.0,
                                                                         warmup_steps=2000),
          steps, expected)


def _np_cosine_decay_restarts(step, decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
    fac = 1.0
    while step >= decay_steps:
        step -= decay_steps
        decay_steps *= t_mul
        fac *= m_mul
    return (1.0 - alpha) * fac * 0.5 * (1.0 + math.cos(math.pi * step / decay_steps)) + alpha


@pytest.mark.parametrize("t_mul,m_mul,alpha", [(2.0, 1.0, 0.0), (2.0, 1.0, 0.1), (2.0, 0.9, 0.0), (1.0, 1.0, 0.0),
                                               (2.0, 0.9, 0.1), (1.5, 0.5, 0.2)])
def test_cosine_decay_restarts(t_mul, m_mul, alpha):
    # CosineDecayRestartsTest.test_decay, test_float64, test_alpha, test_mmul, test_tmul (the last two rows
    # combine them); m_mul shrinks each restart's height above the floor alpha: rampup's repeat(decay=m_mul)
    steps = range(0, 1500, 250)
    ours = repeat(cosine_decay(1000, to=alpha), mult=t_mul, decay=m_mul)
    check(ours, 1.0, S.CosineDecayRestarts(1.0, 1000, t_mul=t_mul, m_mul=m_mul, alpha=alpha), steps,
          [_np_cosine_decay_restarts(t, 1000, t_mul, m_mul, alpha) for t in steps])
    every = range(0, 6000, 37)
    check(ours, 1.0, S.CosineDecayRestarts(1.0, 1000, t_mul=t_mul, m_mul=m_mul, alpha=alpha), every,
          [_np_cosine_decay_restarts(t, 1000, t_mul, m_mul, alpha) for t in every], atol=2e-6)
