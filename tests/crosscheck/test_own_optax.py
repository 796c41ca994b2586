"""optax's own schedule tests, ported: google-deepmind/optax ``optax/schedules/_schedule_test.py`` and
``optax/schedules/_inject_test.py``.

optax's tests run each schedule under ``jax.jit`` (float32) and compare with ``np.testing.assert_allclose``
(``atol=1e-3`` for most value lists, ``rtol=1e-6, atol=1e-8`` for the exponent cases, the default ``rtol=1e-7``
for the giant-step case). Here each case is the README's rampup equivalent through ``rampup.optax.schedule(...,
peak=...)`` under ``jax.jit`` in float32, with the same tolerance, and also through the installed optax.

Offset: none (optax's ``count`` is rampup's ``step``). Behaviours optax has by design that rampup rejects on
purpose (negative or zero transition steps and a zero decay rate silently turned into a constant, negative
learning rates, an ``end_value`` on the wrong side of ``init_value`` silently replacing it) are checked to raise
``RampupError`` naming the argument.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import rampup
import rampup.optax
from rampup import (
    constant,
    cosine_decay,
    cosine_warmup,
    exp_decay,
    exp_growth,
    linear_decay,
    linear_warmup,
    poly_decay,
    step_decay,
)

from ._own import assert_peer


def jit_values(s, peak: float, steps) -> np.ndarray:
    """``rampup.optax.schedule(s, peak=peak)`` under ``jax.jit``, one call per step as optax's tests do."""
    f = jax.jit(rampup.optax.schedule(s, peak=peak))
    out = [f(int(t)) for t in steps]
    assert all(v.dtype == jnp.float32 for v in out)
    return np.array([float(v) for v in out])


def both(s, peak, optax_schedule, expected, n, **tol) -> None:
    got = jit_values(s, peak, range(n))
    assert_peer(got, expected, what=f"{s!r} * {peak} vs optax's expected values", **tol)
    theirs = np.array([float(jax.jit(optax_schedule)(t)) for t in range(n)])
    assert_peer(got, theirs, what=f"{s!r} * {peak} vs installed optax", rtol=2e-6, atol=1e-6 * abs(peak))


def test_constant():
    # _schedule_test.py ConstantTest.test_constant
    both(constant(), 10, optax.constant_schedule(10), [10.0] * 15, 15, atol=1e-3)


def test_polynomial_linear():
    # PolynomialTest.test_linear: 10 -> 20 over 10 steps (rising: the peak is the end value)
    both(linear_warmup(10, start=0.5), 20.0, optax.polynomial_schedule(10.0, 20.0, 1, 10),
         list(range(10, 20)) + [20] * 5, 15, atol=1e-3)


def test_polynomial_nonlinear():
    # PolynomialTest.test_nonlinear: 25 -> 10, power 2, 10 steps
    both(poly_decay(10, to=10 / 25, power=2), 25.0, optax.polynomial_schedule(25.0, 10.0, 2, 10),
         [10.0 + 15.0 * (1.0 - n / 10) ** 2 for n in range(10)] + [10] * 5, 15, atol=1e-3)


def test_polynomial_with_decay_begin():
    # PolynomialTest.test_with_decay_begin: transition_begin=4 holds the initial value 4 steps
    both(constant(4) >> poly_decay(10, to=1 / 3, power=2), 30.0,
         optax.polynomial_schedule(30.0, 10.0, 2, 10, transition_begin=4),
         [30.0] * 4 + [10.0 + 20.0 * (1.0 - n / 10) ** 2 for n in range(10)] + [10] * 6, 20, atol=1e-3)


def test_polynomial_zero_steps():
    """PolynomialTest.test_zero_steps_schedule: optax turns transition_steps 0 (and -1) into its initial value for
    ever. rampup refuses a negative duration, and a phase of 0 steps is already at its end (the end value, as
    HF's and torch's zero-length phases are): a documented difference."""
    with pytest.raises(rampup.RampupError, match="duration"):
        linear_warmup(-1)
    assert jit_values(linear_warmup(0, start=0.5), 20.0, range(3)).tolist() == [20.0] * 3
    assert float(optax.polynomial_schedule(10.0, 20.0, 1, 0)(1)) == 10.0


def test_piecewise_constant_positive():
    # PiecewiseConstantTest.test_positive: 0.1 scaled by 2 at step 3 and by 0.5 at step 6 (peak 0.2)
    both(constant(3, value=0.5) >> constant(3, value=1.0) >> constant(value=0.5), 0.2,
         optax.piecewise_constant_schedule(0.1, {3: 2.0, 6: 0.5}),
         [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1], 10, atol=1e-3)


def test_piecewise_constant_negative_is_rejected():
    # PiecewiseConstantTest.test_negative: a negative LR; rampup's peak and factors are >= 0 on purpose
    with pytest.raises(rampup.RampupError, match="peak"):
        rampup.optax.schedule(constant(), peak=-0.1)


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_constant(staircase):
    # ExponentialTest.test_constant_schedule: decay_rate 1
    s = step_decay(15, gamma=1.0) if staircase else exp_decay(1.0, every=15)
    both(s, 1.0, optax.exponential_decay(1.0, 15, 1.0, staircase=staircase), [1.0] * 15, 15, atol=1e-3)


def test_exponential_nonvalid_arguments_are_rejected():
    # ExponentialTest.test_nonvalid_transition_steps (-1, 0) and test_nonvalid_decay_rate (0): optax silently
    # returns a constant; rampup raises, naming the argument
    for bad in (-1, 0):
        with pytest.raises(rampup.RampupError, match="every"):
            exp_decay(1.0, every=bad)
    with pytest.raises(rampup.RampupError, match="gamma"):
        exp_decay(0.0, every=2)


@pytest.mark.parametrize("staircase,begin", [(False, 0), (True, 0), (False, 5), (True, 5)])
def test_exponential_growth(staircase, begin):
    # ExponentialTest.test_exponential: decay_rate 2 > 1, a growing LR: rampup's exp_growth (it may exceed 1)
    expected = [1.0] * begin + [2.0 ** (np.floor(c / 2) if staircase else c / 2) for c in range(15)]
    s = exp_growth(2.0, every=2, staircase=staircase, duration=15)  # optax's grows for ever; rampup's says how long
    if begin:
        s = constant(begin) >> s
    both(s, 1.0, optax.exponential_decay(1.0, 2, 2.0, transition_begin=begin, staircase=staircase), expected,
         15 + begin, atol=1e-3)


@pytest.mark.parametrize("rate,end,staircase", [(0.2, 0.1, False), (2.0, 3.0, False), (0.2, 0.1, True),
                                                (2.0, 3.0, True)])
def test_exponential_end_value_with_staircase(rate, end, staircase):
    # ExponentialTest.test_end_value_with_staircase (the cases where end_value is on the side the rate moves to)
    vals = np.array([1.0] * 3 + [rate ** (np.floor(c / 2) if staircase else c / 2) for c in range(11)])
    expected = np.maximum(vals, end) if rate < 1 else np.minimum(vals, end)
    if rate < 1:
        s = (step_decay(2, gamma=rate, to=end) if staircase else exp_decay(rate, every=2, to=end))
    else:
        s = exp_growth(rate, every=2, staircase=staircase, max=end)
    both(constant(3) >> s, 1.0, optax.exponential_decay(1.0, 2, rate, transition_begin=3, staircase=staircase,
                                                        end_value=end), expected, 14, atol=1e-3)


def test_exponential_end_value_on_the_wrong_side_is_rejected():
    """ExponentialTest.test_end_value_with_staircase, (1.0, 0.1): decay_rate 1 with end_value 0.1 below the
    initial 1.0 gives 0.1 from step 0 in optax (the clip replaces the initial value). rampup's decays refuse a
    floor above their start and its growth refuses a cap below 1: the LR meant is unclear, so it is an error."""
    assert float(optax.exponential_decay(1.0, 2, 1.0, transition_begin=3, end_value=0.1)(0)) == pytest.approx(0.1)
    with pytest.raises(rampup.RampupError, match="max"):
        exp_growth(1.5, every=2, max=0.1)
    with pytest.raises(rampup.RampupError, match="to"):
        exp_decay(0.5, every=2, to=0.1, start=0.05)


def test_exponential_immutable_count():
    # ExponentialTest.test_immutable_count: a float32 jax count
    f = jax.jit(rampup.optax.schedule(exp_decay(0.5), peak=32.0))
    got = [float(f(jnp.array(c, dtype=jnp.float32))) for c in range(5)]
    assert_peer(got, [32, 16, 8, 4, 2], atol=1e-3, what="exp_decay on float32 counts")


def test_cosine_decay_count_smaller_count():
    # CosineDecayTest.test_decay_count_smaller_count
    both(cosine_decay(10), 0.1, optax.cosine_decay_schedule(0.1, 10, 0.0),
         0.1 * (0.5 + 0.5 * np.cos(np.pi * np.arange(10) / 10)), 10, atol=1e-3)


@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_cosine_decay_count_greater_count(alpha):
    # CosineDecayTest.test_decay_count_greater_count and _with_alpha: 12 steps of a 5-step decay
    m = 0.5 + 0.5 * np.cos(np.pi * np.minimum(np.arange(12) / 5, 1.0))
    both(cosine_decay(5, to=alpha), 0.1, optax.cosine_decay_schedule(0.1, 5, alpha),
         0.1 * ((1 - alpha) * m + alpha), 12, atol=1e-3)


def test_cosine_decay_with_exponent():
    # CosineDecayTest.test_with_exponent: exponent 2 is rampup's power=2 on the cosine
    f = jax.jit(rampup.optax.schedule(cosine_decay(100, power=2), peak=0.1))
    got = f(np.array([0, 10, 50, 75, 100]))
    assert_peer(got, [0.1, 0.09516553580760956, 0.025, 0.0021446612663567066, 0.0], rtol=1e-6, atol=1e-8,
                what="cosine exponent 2")


def test_cosine_decay_with_exponent_and_end_value():
    """optax's exponent together with alpha (an end value): ``(1 - alpha) * cosine ** exponent + alpha``, checked
    against that formula in float64 with optax's exponent-test tolerance (rtol 1e-6), and against the installed
    optax. In float32 optax's ``(1 + cos(pi x)) / 2`` loses digits near the end (2.3e-6 relative at step 39 of
    40 with exponent 0.5) where rampup's ``sin(pi (1 - x) / 2) ** 2`` keeps them (1.4e-7)."""
    steps = np.arange(45)
    x = np.minimum(steps / 40, 1.0)
    for alpha, e in [(0.1, 2.0), (0.25, 3.0), (0.05, 0.5)]:
        got = jax.jit(rampup.optax.schedule(cosine_decay(40, to=alpha, power=e), peak=0.1))(steps)
        exact = 0.1 * ((1 - alpha) * ((1 + np.cos(np.pi * x)) / 2) ** e + alpha)
        assert_peer(got, exact, rtol=1e-6, atol=1e-9, what=f"cosine alpha={alpha} exponent={e}")
        theirs = jax.jit(optax.cosine_decay_schedule(0.1, 40, alpha, exponent=e))(steps)
        assert_peer(got, theirs, rtol=5e-6, atol=1e-9, what=f"cosine alpha={alpha} exponent={e} vs optax")


def test_cosine_decay_with_giant_int_steps():
    # CosineDecayTest.test_with_giant_int_steps: decay_steps 1e10 does not fit int32; optax's rtol 1e-7
    f = jax.jit(rampup.optax.schedule(cosine_decay(10**10), peak=1000.0))
    np.testing.assert_allclose(f(int(1e9)), 975.52826)


@pytest.mark.parametrize("init,peak,end", [(10, 0.5, 1e-4), (5, 3, 0.0)])
def test_warmup_cosine_decay_limits(init, peak, end):
    """WarmupCosineDecayTest.test_limits: init_value above peak_value, so optax's "warmup" falls. In rampup the
    peak is the largest LR (init here): a linear fall to peak / init, then the cosine (optax counts the warmup
    inside decay_steps=1000)."""
    top = max(init, peak)
    s = linear_decay(100, to=peak / top) >> cosine_decay(900, to=end / top)
    f = jax.jit(rampup.optax.schedule(s, peak=float(top)))
    np.testing.assert_allclose(init, f(0))
    np.testing.assert_allclose(peak, f(100))
    np.testing.assert_allclose(end, f(1000), rtol=1e-3)


def test_warmup_cosine_decay_negative_values_are_rejected():
    # WarmupCosineDecayTest.test_with_exponent / test_zero_peak_value: end_value -3.0, a negative LR
    with pytest.raises(rampup.RampupError, match="to"):
        cosine_decay(50, to=-3.0 / 1.21)


@pytest.mark.parametrize("lrs", [(1.6, 0.8, 0.4), (1.6, 1.6, 1.6)])
def test_sgdr_limits(lrs):
    # SGDRTest.test_limits: three warmup-cosine cycles of 2000, 3000, 5000 steps with 500-step warmups
    lr0, lr1, lr2 = lrs
    s = (linear_warmup(500) >> cosine_decay(1500)
         >> linear_warmup(500).scale(lr1 / lr0) >> cosine_decay(2500)
         >> linear_warmup(500).scale(lr2 / lr0) >> cosine_decay(4500))
    f = jax.jit(rampup.optax.schedule(s, peak=lr0))
    np.testing.assert_allclose(lr0, f(500))
    np.testing.assert_allclose(lr1, f(2500))
    np.testing.assert_allclose(lr2, f(5500))


def test_piecewise_interpolate_linear():
    # PiecewiseInterpolateTest.test_linear_piecewise: 200 -> 300 (x1.5 at 5) -> 75 (x0.25 at 10)
    both(linear_warmup(5, start=2 / 3) >> linear_decay(5, to=0.25), 300.0,
         optax.piecewise_interpolate_schedule("linear", 200.0, {5: 1.5, 10: 0.25}),
         [200., 220., 240., 260., 280., 300., 255., 210., 165., 120., 75., 75., 75.], 13, atol=1e-3)


def test_piecewise_interpolate_cosine():
    # PiecewiseInterpolateTest.test_cos_piecewise: 400 -> 240 (x0.6 at 3) -> 288 (x1.2 at 5) -> 288 (x1 at 7)
    s = cosine_decay(3, to=0.6) >> cosine_warmup(2, start=240 / 288).scale(0.72) >> constant()
    both(s, 400.0, optax.piecewise_interpolate_schedule("cosine", 400.0, {5: 1.2, 3: 0.6, 7: 1.0}),
         [400., 360., 280., 240., 264., 288., 288., 288., 288.], 9, atol=1e-3)


@pytest.mark.parametrize("n", [5, 3])
def test_piecewise_interpolate_empty(n):
    # PiecewiseInterpolateTest.test_empty_dict (13.0) and test_no_dict (17.0): a constant
    both(constant(), 13.0, optax.piecewise_interpolate_schedule("linear", 13.0, {}), [13.0] * n, n, atol=1e-3)


def test_piecewise_interpolate_zero_interval_size():
    # PiecewiseInterpolateTest.test_zero_interval_size: x2 at step 0 at once, then x3 over 5 steps
    f = jax.jit(rampup.optax.schedule(linear_warmup(5, start=1 / 3), peak=78.0))
    assert all(np.isfinite(float(f(i))) for i in range(6))
    assert float(f(0)) == pytest.approx(26.0) and float(f(5)) == pytest.approx(78.0)


def test_linear_onecycle():
    # OneCycleTest.test_linear: 100 -> 1000 (3 steps) -> 100 (4 steps) -> 1 (3 steps)
    s = linear_warmup(3, start=0.1) >> linear_decay(4, to=0.1) >> linear_decay(3, to=0.001)
    both(s, 1000.0, optax.linear_onecycle_schedule(10, 1000, 0.3, 0.7, 10.0, 100.0),
         [100., 400., 700., 1000., 775., 550., 325., 100., 67., 34., 1., 1.], 12, atol=1e-3)


def test_cosine_onecycle():
    # OneCycleTest.test_cosine: optax's peak is at pct_start * T = 2 (torch's OneCycleLR is one step earlier)
    s = cosine_warmup(2, start=0.1) >> cosine_decay(3, to=0.001)
    both(s, 1000.0, optax.cosine_onecycle_schedule(5, 1000.0, 0.4, 10.0, 100.0),
         [100., 550., 1000., 750.25, 250.75, 1., 1.], 7, atol=1e-3)


def test_schedule_as_learning_rate():
    # ScheduleAsLearningRateTest.test_optimization: a constant schedule trains exactly like the constant LR
    def run(lr):
        opt = optax.adam(lr)
        params = jnp.array([1.0, 2.0])
        state = opt.init(params)
        for _ in range(10):
            g = jax.grad(lambda p: jnp.sum(p**2))(params)
            updates, state = jax.jit(opt.update)(g, state, params)
            params = optax.apply_updates(params, updates)
        return np.asarray(params)

    np.testing.assert_allclose(run(rampup.optax.schedule(constant(), peak=1e-3)), run(1e-3), rtol=1e-6)


# -- _inject_test.py ----------------------------------------------------------------------------------------------

def test_inject_updates_exact_in_float32():
    """_inject_test.py InjectHyperparamsTest.test_updates: ``scale`` with step sizes 3, 15, 30, 45 from a piecewise
    constant schedule, compared with ``assert_almost_equal`` (7 decimals). As fractions of the peak 45 the first
    is 1/15, which is 3.0000002 if the float32 factor is multiplied by 45: the peak is applied before the cast,
    so it is exactly 3."""
    s = constant(1, value=3 / 45) >> constant(6, value=15 / 45) >> constant(5, value=30 / 45) >> constant(value=1.0)
    opt = rampup.optax.inject_hyperparams(optax.scale, step_size=(s, 45.0))
    params = [jnp.zeros([], dtype=jnp.float32)]
    state = jax.jit(opt.init)(params)
    update = jax.jit(opt.update)
    expected = [3.0] * 2 + [15.0] * 6 + [30.0] * 5 + [45.0] * 3
    for i in range(15):
        updates, state = update([jnp.ones([], dtype=jnp.float32)], state, params=params)
        np.testing.assert_almost_equal(updates[0], expected[i + 1])
    assert float(jax.jit(rampup.optax.schedule(s, peak=45.0))(0)) == 3.0


def test_inject_hyperparams_state():
    # InjectHyperparamsTest.test_hyperparams_state: trace's decay 0.8 -> 0.4 at 3 -> 0.5 at 9 (peak 0.8)
    s = constant(3, value=1.0) >> constant(6, value=0.5) >> constant(value=0.625)
    opt = rampup.optax.inject_hyperparams(optax.trace, decay=(s, 0.8), nesterov=True)
    params = [jnp.zeros([2, 3]) for _ in range(3)]
    state = jax.jit(opt.init)(params)
    update = jax.jit(opt.update)
    expected = [0.8] * 4 + [0.4] * 6 + [0.5] * 2
    grads = jax.tree.map(jnp.ones_like, params)
    for i in range(12):
        np.testing.assert_almost_equal(state.hyperparams["decay"], expected[i])
        _, state = update(grads, state)
    np.testing.assert_almost_equal(state.hyperparams["decay"], expected[-1])


@pytest.mark.parametrize("hyp,param,grad", [(jnp.bfloat16, jnp.float32, jnp.bfloat16),
                                            (jnp.bfloat16, jnp.float32, jnp.float32),
                                            (jnp.float32, jnp.bfloat16, jnp.bfloat16),
                                            (jnp.float32, jnp.float32, jnp.bfloat16),
                                            (jnp.float32, jnp.bfloat16, jnp.float32)])
def test_inject_hyperparam_dtypes(hyp, param, grad):
    # InjectHyperparamsTest.test_hyperparam_dtypes: hyperparam_dtype fixes the dtype the schedules are kept in
    opt = rampup.optax.inject_hyperparams(optax.scale_by_adam, hyperparam_dtype=hyp,
                                          b1=("linear(10) >> constant()", 0.9), b2=0.95)
    params = [jnp.ones((1, 2), dtype=param), jnp.ones(2, dtype=param)]
    grads = jax.tree.map(lambda x: x.astype(grad), params)
    state = jax.jit(opt.init)(params)
    assert state.hyperparams["b1"].dtype == hyp and state.hyperparams["b2"].dtype == hyp
    _, state = jax.jit(opt.update)(grads, state)
    assert state.hyperparams["b1"].dtype == hyp and state.hyperparams["b2"].dtype == hyp


@pytest.mark.parametrize("param", [jnp.bfloat16, jnp.float32])
def test_inject_hyperparam_default_dtype(param):
    """InjectHyperparamsTest.test_hyperparam_default_dtype: without hyperparam_dtype optax casts numbers to the
    parameters' dtype. A rampup schedule gives float32 whatever the parameters (optax leaves a definite dtype as
    it is): a documented difference, so bf16 training passes hyperparam_dtype (test_inject_hyperparam_dtypes)."""
    opt = rampup.optax.inject_hyperparams(optax.scale_by_adam, b1=("constant()", 0.9), b2=0.95)
    state = jax.jit(opt.init)([jnp.ones((1, 2), dtype=param)])
    assert state.hyperparams["b2"].dtype == param
    assert state.hyperparams["b1"].dtype == jnp.float32


def test_inject_starts_with_step_count_zero():
    # InjectHyperparamsTest.test_inject_hyperparams_starts_with_step_count_zero: the first update uses count 0
    opt = rampup.optax.inject_hyperparams(optax.scale, step_size=(linear_warmup(4), 4.0))
    updates, _ = jax.jit(opt.update)(jnp.array([-1.0, 0.0, 1.0]), opt.init(jnp.zeros(3)))
    np.testing.assert_array_equal(updates, np.zeros(3))
