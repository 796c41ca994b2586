"""rampup against HF transformers' schedules (``transformers.optimization``), driven by a real torch SGD.

Offset: none. HF's schedules are ``LambdaLR`` lambdas of ``current_step`` = torch's ``last_epoch``, which is 0 at
construction and grows by one at each ``scheduler.step()`` called after ``optimizer.step()``; so the update
rampup calls step t runs with HF's ``lr_lambda(t)``. rampup's ``step`` = HF's ``current_step``.

Zero-length warmup: HF divides by ``max(1, num_warmup_steps)``, but with W = 0 its warmup branch
(``current_step < 0``) never runs, so nothing is divided by the clamp; rampup's ``linear_warmup(0)`` is 1.0 from
step 0 and the decay after it starts at step 0 as well. The W = 0 configurations below check that the two agree at
every step.

Past the end: HF's linear, polynomial, hard-restart and WSD schedules hold their floor; its plain cosine (and
cosine-with-min-lr) lambda is not clamped and climbs back up the cosine wave after ``num_training_steps``, where
rampup holds the floor. ``test_cosine_past_the_end`` pins that difference down.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from transformers import optimization as hf

import rampup
from rampup import (
    constant,
    cosine_decay,
    inverse_sqrt,
    linear_decay,
    linear_warmup,
    poly_decay,
    wsd,
)

from ._util import PAST_END, assert_close, rampup_values, scheduler_lrs

BASE = 0.1


def check(make, schedule: rampup.Schedule, updates: int, what: str, base: float = BASE) -> None:
    steps = np.arange(updates)
    assert_close(base * rampup_values(schedule, steps), scheduler_lrs(make, updates, base), what=what, steps=steps)


@pytest.mark.parametrize("W,T", [(4, 10), (0, 12), (100, 1000), (1, 2), (7, 7)])
def test_linear(W, T):
    # W = T: HF divides by max(1, T - W) = 1 and gives 0 at t = W; rampup's linear_decay(0) is its floor 0 there
    check(lambda o: hf.get_linear_schedule_with_warmup(o, W, T),
          linear_warmup(W) >> linear_decay(T - W), T + PAST_END, f"linear W={W} T={T}")


@pytest.mark.parametrize("W,T", [(4, 10), (0, 12), (100, 1000), (3, 64)])
def test_cosine(W, T):
    check(lambda o: hf.get_cosine_schedule_with_warmup(o, W, T),
          linear_warmup(W) >> cosine_decay(T - W), T + 1, f"cosine W={W} T={T}")


@pytest.mark.parametrize("W,T", [(4, 10), (0, 30)])
def test_cosine_past_the_end(W, T):
    """HF's cosine lambda keeps following the cosine after the run (0.5 (1 + cos(pi p)) with p > 1 rises);
    rampup holds the floor 0. Both are 0 at t = T."""
    lrs = scheduler_lrs(lambda o: hf.get_cosine_schedule_with_warmup(o, W, T), T + PAST_END, BASE)
    ours = BASE * rampup_values(linear_warmup(W) >> cosine_decay(T - W), np.arange(T + PAST_END))
    assert lrs[T] == ours[T] == 0.0
    p = (np.arange(T + 1, T + PAST_END) - W) / (T - W)
    assert_close(lrs[T + 1:], BASE * 0.5 * (1 + np.cos(np.pi * p)), what="HF cosine past the end")
    assert (np.diff(lrs[T:]) > 0).all()
    assert (ours[T:] == 0.0).all()


@pytest.mark.parametrize("W,T,k", [(4, 34, 3), (0, 60, 4), (10, 110, 1), (5, 105, 7)])
def test_cosine_hard_restarts(W, T, k):
    check(lambda o: hf.get_cosine_with_hard_restarts_schedule_with_warmup(o, W, T, num_cycles=k),
          linear_warmup(W) >> cosine_decay(T - W, cycles=k), T + PAST_END, f"hard restarts W={W} T={T} k={k}")


@pytest.mark.parametrize("W,T,lr_end,power", [(4, 20, 1e-7, 1.0), (0, 50, 0.01, 2.0), (10, 100, 0.0, 0.5),
                                              (25, 125, 0.02, 3.0)])
def test_polynomial(W, T, lr_end, power):
    # HF returns lr_end / lr_init as the lambda; lr_init is the optimizer's lr (BASE)
    check(lambda o: hf.get_polynomial_decay_schedule_with_warmup(o, W, T, lr_end=lr_end, power=power),
          linear_warmup(W) >> poly_decay(T - W, to=lr_end / BASE, power=power), T + PAST_END,
          f"polynomial W={W} T={T} lr_end={lr_end} power={power}")


@pytest.mark.parametrize("W,T", [(4, 10), (0, 8), (50, 60)])
def test_constant_with_warmup(W, T):
    check(lambda o: hf.get_constant_schedule_with_warmup(o, W),
          linear_warmup(W) >> constant(), T + PAST_END, f"constant W={W}")


@pytest.mark.parametrize("W,timescale", [(4, None), (10, None), (0, None), (10, 25), (0, 7), (16, 3)])
def test_inverse_sqrt(W, timescale):
    # timescale=None: HF uses num_warmup_steps, or 10 000 when that is 0; rampup's inverse_sqrt() does the same
    n = 3 * max(W, 10) + PAST_END
    check(lambda o: hf.get_inverse_sqrt_schedule(o, W, timescale=timescale),
          linear_warmup(W) >> inverse_sqrt(timescale=timescale), n, f"inverse_sqrt W={W} timescale={timescale}")


_HF_SHAPE = {"linear": "linear", "cosine": "cosine", "sqrt": "1-sqrt"}


@pytest.mark.parametrize("warmup_shape", ["linear", "cosine", "sqrt"])
@pytest.mark.parametrize("shape", ["linear", "cosine", "sqrt"])
@pytest.mark.parametrize("W,S,D,ratio", [(5, 7, 8, 0.0), (10, 20, 30, 0.1), (0, 3, 12, 0.25)])
def test_wsd(warmup_shape, shape, W, S, D, ratio):
    # HF's min_lr_ratio is where the warmup starts and where the decay ends: rampup's start and to
    T = W + S + D
    check(lambda o: hf.get_wsd_schedule(o, W, D, num_training_steps=T, warmup_type=_HF_SHAPE[warmup_shape],
                                        decay_type=_HF_SHAPE[shape], min_lr_ratio=ratio),
          wsd(W, D, shape=shape, warmup_shape=warmup_shape, to=ratio, start=ratio, stable=S), T + PAST_END,
          f"wsd W={W} S={S} D={D} {warmup_shape}/{shape} min_lr_ratio={ratio}")


def test_wsd_stable_from_total_steps():
    """``stable=None`` takes the rest of ``total_steps``, as HF's ``num_training_steps`` does."""
    W, D, T = 6, 10, 40
    s = wsd(W, D, shape="cosine").resolve(total_steps=T)
    check(lambda o: hf.get_wsd_schedule(o, W, D, num_training_steps=T), s, T + PAST_END, "wsd with total_steps")


@pytest.mark.parametrize("W,T,rate", [(4, 10, 0.1), (0, 40, 0.05), (20, 120, 0.5)])
def test_cosine_with_min_lr(W, T, rate):
    check(lambda o: hf.get_cosine_with_min_lr_schedule_with_warmup(o, W, T, min_lr_rate=rate),
          linear_warmup(W) >> cosine_decay(T - W, to=rate), T + 1, f"cosine_with_min_lr W={W} T={T} rate={rate}")


def test_cosine_with_min_lr_absolute():
    """``min_lr`` (absolute) is ``min_lr_rate = min_lr / lr``."""
    W, T, min_lr = 5, 25, 0.004
    check(lambda o: hf.get_cosine_with_min_lr_schedule_with_warmup(o, W, T, min_lr=min_lr),
          linear_warmup(W) >> cosine_decay(T - W, to=min_lr / BASE), T + 1, "cosine_with_min_lr min_lr")


def test_reference_values():
    """HF's linear and cosine schedules at W = 4, T = 10 (the closed forms, to 6 digits) come out of both."""
    linear = [0, .25, .5, .75, 1, .833333, .666667, .5, .333333, .166667, 0]
    cosine = [0, .25, .5, .75, 1, .933013, .75, .5, .25, .066987, 0]
    for make, s, ref in [(hf.get_linear_schedule_with_warmup, linear_warmup(4) >> linear_decay(6), linear),
                         (hf.get_cosine_schedule_with_warmup, linear_warmup(4) >> cosine_decay(6), cosine)]:
        lrs = scheduler_lrs(lambda o, make=make: make(o, 4, 10), 11, base=1.0)
        assert all(math.isclose(a, b, abs_tol=5e-7) for a, b in zip(lrs, ref, strict=True))
        assert all(math.isclose(a, b, abs_tol=5e-7) for a, b in zip(rampup_values(s, range(11)), ref, strict=True))
