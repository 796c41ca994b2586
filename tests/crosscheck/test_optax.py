"""rampup against optax's schedules, evaluated in float64.

Offset: none. An optax schedule is called with ``count`` = the number of updates already applied (its
``scale_by_schedule`` / ``inject_hyperparams`` state starts at 0 for the first update), which is rampup's ``step``;
``test_real_optimizer_uses_count_from_zero`` checks that with a real ``optax.sgd`` update loop.

optax runs in float64 only inside ``jax.enable_x64(True)`` (a context manager; the global jax config of the test
session is left alone), and its values are compared with rampup's on numpy float64 arrays at every step of the run
and a few past its end.

Names: optax's ``warmup_cosine_decay_schedule(decay_steps=D)`` counts the warmup inside D, so its cosine lasts
``D - W`` updates; ``join_schedules`` starts each child's count at 0 at its boundary, as each phase of a rampup
``>>`` chain does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from rampup import constant, cosine_decay, exp_decay, linear_decay, linear_warmup, step_decay

from ._util import PAST_END, assert_close, rampup_values


def optax_values(schedule, steps: np.ndarray) -> np.ndarray:
    """The optax schedule at ``steps``, computed in float64."""
    with jax.enable_x64(True):
        out = schedule(jnp.asarray(steps, dtype=jnp.int64))
        assert out.dtype == jnp.float64
        return np.asarray(out)


def check(optax_schedule, ours, updates: int, what: str, scale: float) -> None:
    steps = np.arange(updates)
    assert_close(scale * rampup_values(ours, steps), optax_values(optax_schedule, steps), what=what, steps=steps)


@pytest.mark.parametrize("init,peak,W,D,end", [
    (0.0, 1.0, 10, 100, 0.0),
    (0.01, 0.1, 0, 50, 0.005),
    (1e-5, 3e-4, 7, 33, 3e-5),
    (0.0, 2.0, 1, 2, 0.2),
])
def test_warmup_cosine_decay(init, peak, W, D, end):
    check(optax.warmup_cosine_decay_schedule(init, peak, W, D, end_value=end),
          linear_warmup(W, start=init / peak) >> cosine_decay(D - W, to=end / peak), D + PAST_END, scale=peak,
          what=f"warmup_cosine_decay init={init} peak={peak} W={W} D={D} end={end}")


@pytest.mark.parametrize("init,peak,W,every,rate,begin,staircase,end", [
    (0.0, 1.0, 10, 5, 0.5, 0, False, None),
    (0.0, 0.1, 4, 3, 0.7, 6, True, None),
    (0.01, 0.1, 0, 10, 0.9, 0, False, 0.05),
    (0.001, 0.01, 8, 4, 0.5, 3, True, 0.002),
])
def test_warmup_exponential_decay(init, peak, W, every, rate, begin, staircase, end):
    # transition_begin: optax holds the peak that many updates after the warmup before decaying
    decay = (step_decay(every, gamma=rate, to=(end or 0.0) / peak) if staircase
             else exp_decay(rate, every=every, to=(end or 0.0) / peak))
    check(optax.warmup_exponential_decay_schedule(init, peak, W, every, rate, transition_begin=begin,
                                                  staircase=staircase, end_value=end),
          linear_warmup(W, start=init / peak) >> constant(begin) >> decay, W + begin + 12 * every, scale=peak,
          what=f"warmup_exponential_decay W={W} every={every} rate={rate} begin={begin} staircase={staircase} "
               f"end={end}")


@pytest.mark.parametrize("init,end,steps,begin", [
    (0.0, 1.0, 10, 0),
    (0.1, 1.0, 10, 5),
    (1.0, 0.2, 20, 0),
    (0.5, 0.05, 9, 3),
])
def test_linear_schedule(init, end, steps, begin):
    # transition_begin: optax holds init_value that many updates before the ramp
    peak = max(init, end)
    ramp = linear_warmup(steps, start=init / peak) if end > init else linear_decay(steps, to=end / peak)
    check(optax.linear_schedule(init, end, steps, transition_begin=begin),
          constant(begin, value=init / peak) >> ramp, begin + steps + PAST_END, scale=peak,
          what=f"linear_schedule {init}->{end} steps={steps} begin={begin}")


@pytest.mark.parametrize("W,S,D,alpha", [(10, 20, 30, 0.0), (0, 5, 40, 0.1), (3, 0, 17, 0.02)])
def test_join_schedules(W, S, D, alpha):
    # boundaries [W, W + S]: each child counts from 0 at its boundary, like each phase of a >> chain
    joined = optax.join_schedules(
        [optax.linear_schedule(0.0, 1.0, W), optax.constant_schedule(1.0),
         optax.cosine_decay_schedule(1.0, D, alpha=alpha)],
        boundaries=[W, W + S])
    check(joined, linear_warmup(W) >> constant(S) >> cosine_decay(D, to=alpha), W + S + D + PAST_END, scale=1.0,
          what=f"join_schedules W={W} S={S} D={D} alpha={alpha}")


def test_real_optimizer_uses_count_from_zero():
    """A real ``optax.sgd`` with a schedule: the update for p with gradient 1 is ``-lr(count)``, count 0 first.

    The optimizer's count is an int32, so optax computes this LR in float32 even under x64: the tolerance is
    float32's (1e-6); the float64 tests above check the values, this one the offset (one step off would be off
    by 2e-2 or more here)."""
    W, D, peak = 5, 20, 0.1
    schedule = optax.warmup_cosine_decay_schedule(0.0, peak, W, D)
    ours = peak * rampup_values(linear_warmup(W) >> cosine_decay(D - W), np.arange(D + PAST_END))
    with jax.enable_x64(True):
        tx = optax.sgd(schedule)
        params = jnp.zeros((), dtype=jnp.float64)
        state = tx.init(params)
        used = []
        for _ in range(D + PAST_END):
            updates, state = tx.update(jnp.ones((), dtype=jnp.float64), state, params)
            used.append(-float(updates))
    assert_close(ours, np.array(used), what="optax.sgd updates", rtol=1e-6)
