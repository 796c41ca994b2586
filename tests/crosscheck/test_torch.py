"""rampup against ``torch.optim.lr_scheduler``, driven by a real torch SGD.

Offset: none. A torch scheduler sets the LR for ``last_epoch = 0`` when it is built and adds one to ``last_epoch``
at each ``scheduler.step()``, called after ``optimizer.step()`` as torch documents; the update rampup calls step t
runs with torch's LR at ``last_epoch = t``. rampup's ``step`` = torch's ``last_epoch`` (a count of batches here,
whatever its name says).

Most torch schedulers compute the next LR from the current one (the "chainable" recursive form); what is compared
is what torch really puts in the param group, at every update. Where that drifts from the closed form by more than
the 1e-9 tolerance the test says so (``test_recursive_drift`` measures the size).

Past the end: ``CosineAnnealingLR`` keeps following the cosine back up after ``T_max`` (torch documents it as
SGDR without the restarts), where rampup's ``cosine_decay`` holds its floor; ``OneCycleLR`` refuses to be stepped
more than ``total_steps`` times. Both are pinned down below.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as ls

from rampup import (
    cosine_decay,
    exp_decay,
    linear_decay,
    linear_warmup,
    multistep,
    one_cycle,
    poly_decay,
    repeat,
    step_decay,
)

from ._util import PAST_END, RTOL, assert_close, rampup_values, run_torch, scheduler_lrs, sgd

BASE = 0.1


def check(make, schedule, updates: int, what: str, base: float = BASE) -> np.ndarray:
    steps = np.arange(updates)
    lrs = scheduler_lrs(make, updates, base)
    assert_close(base * rampup_values(schedule, steps), lrs, what=what, steps=steps)
    return lrs


@pytest.mark.parametrize("start,N", [(0.1, 10), (1 / 3, 5), (0.5, 3), (0.001, 200), (0.25, 1)])
def test_linear_lr_warmup(start, N):
    # torch refuses start_factor=0 (its recursion divides by it); rampup's linear_warmup(N) may start at 0
    check(lambda o: ls.LinearLR(o, start_factor=start, end_factor=1.0, total_iters=N),
          linear_warmup(N, start=start), N + PAST_END, f"LinearLR start={start} N={N}")


@pytest.mark.parametrize("start,end,N", [(1.0, 0.1, 20), (0.8, 0.2, 7), (1.0, 0.0, 50), (0.5, 0.5, 4)])
def test_linear_lr_decay(start, end, N):
    check(lambda o: ls.LinearLR(o, start_factor=start, end_factor=end, total_iters=N),
          linear_decay(N, start=start, to=end), N + PAST_END, f"LinearLR {start}->{end} N={N}")


@pytest.mark.parametrize("T_max,eta_min", [(10, 0.0), (100, 0.001), (37, 0.05), (1000, 0.0)])
def test_cosine_annealing(T_max, eta_min):
    lrs = check(lambda o: ls.CosineAnnealingLR(o, T_max=T_max, eta_min=eta_min),
                cosine_decay(T_max, to=eta_min / BASE), T_max + 1, f"CosineAnnealingLR T_max={T_max} eta_min={eta_min}")
    # and against torch's own closed form (what step(epoch) would give)
    closed = eta_min + (BASE - eta_min) * (1 + np.cos(np.pi * np.arange(T_max + 1) / T_max)) / 2
    assert_close(lrs, closed, what="CosineAnnealingLR recursive vs its closed form")


def test_cosine_annealing_past_the_end():
    """After T_max torch goes back up the cosine (period 2 T_max); rampup holds eta_min."""
    T_max, eta_min = 10, 0.01
    lrs = scheduler_lrs(lambda o: ls.CosineAnnealingLR(o, T_max=T_max, eta_min=eta_min), T_max + PAST_END, BASE)
    ours = BASE * rampup_values(cosine_decay(T_max, to=eta_min / BASE), np.arange(T_max + PAST_END))
    t = np.arange(T_max + 1, T_max + PAST_END)
    assert_close(lrs[T_max + 1:], eta_min + (BASE - eta_min) * (1 + np.cos(np.pi * t / T_max)) / 2,
                 what="CosineAnnealingLR past T_max")
    assert (np.diff(lrs[T_max:]) > 0).all()
    assert_close(ours[T_max:], np.full(PAST_END, eta_min), what="rampup holds eta_min")


@pytest.mark.parametrize("total,pct,strategy,three", [
    (100, 0.3, "cos", False),
    (100, 0.25, "linear", False),
    (60, 0.25, "cos", True),
    (40, 0.3, "linear", True),
    (1000, 0.1, "cos", False),
])
def test_one_cycle(total, pct, strategy, three):
    # pct * total is a whole number in each case (torch keeps pct * total - 1 as a float boundary)
    max_lr = 0.5
    shape = "cosine" if strategy == "cos" else "linear"
    lrs = check(lambda o: ls.OneCycleLR(o, max_lr=max_lr, total_steps=total, pct_start=pct, anneal_strategy=strategy,
                                        three_phase=three, cycle_momentum=False),
                one_cycle(total, pct=pct, three_phase=three, shape=shape), total,
                f"OneCycleLR total={total} pct={pct} {strategy} three_phase={three}", base=max_lr)
    assert lrs[0] == pytest.approx(max_lr / 25, rel=RTOL)
    assert lrs[-1] == pytest.approx(max_lr / 25 / 1e4, rel=RTOL)


def test_one_cycle_past_the_end():
    """torch extrapolates its last phase for the LR it sets after the last update (last_epoch = total_steps) and
    raises at the step after; rampup holds the final value."""
    total, max_lr = 20, 1.0
    opt = sgd(max_lr)
    sched = ls.OneCycleLR(opt, max_lr=max_lr, total_steps=total, cycle_momentum=False)
    run_torch(opt, sched.step, total)
    after = float(opt.param_groups[0]["lr"])
    assert after > max_lr / 25 / 1e4
    assert one_cycle(total)(total) == one_cycle(total)(total + 10) == pytest.approx(max_lr / 25 / 1e4, rel=RTOL)
    with pytest.raises(ValueError, match="Tried to step"):
        sched.step()


@pytest.mark.parametrize("N,power", [(10, 1.0), (50, 2.0), (30, 0.9), (7, 0.5)])
def test_polynomial(N, power):
    check(lambda o: ls.PolynomialLR(o, total_iters=N, power=power), poly_decay(N, power=power), N + PAST_END,
          f"PolynomialLR N={N} power={power}")


@pytest.mark.parametrize("gamma", [0.9, 0.5, 0.999])
def test_exponential(gamma):
    check(lambda o: ls.ExponentialLR(o, gamma=gamma), exp_decay(gamma), 200, f"ExponentialLR gamma={gamma}")


@pytest.mark.parametrize("size,gamma", [(10, 0.1), (3, 0.5), (1, 0.9)])
def test_step(size, gamma):
    check(lambda o: ls.StepLR(o, step_size=size, gamma=gamma), step_decay(size, gamma=gamma), 40,
          f"StepLR step_size={size} gamma={gamma}")


@pytest.mark.parametrize("milestones,gamma", [([10, 20], 0.1), ([1, 2, 3], 0.5), ([5, 30, 31], 0.3)])
def test_multistep(milestones, gamma):
    check(lambda o: ls.MultiStepLR(o, milestones=milestones, gamma=gamma), multistep(milestones, gamma=gamma),
          milestones[-1] + PAST_END, f"MultiStepLR {milestones} gamma={gamma}")


@pytest.mark.parametrize("T_0,T_mult,eta_min", [(10, 1, 0.0), (5, 2, 0.001), (7, 2, 0.0), (4, 3, 0.01),
                                                (50, 1, 0.005)])
def test_cosine_warm_restarts(T_0, T_mult, eta_min):
    cycles = 4
    n = sum(T_0 * T_mult**i for i in range(cycles)) + PAST_END
    check(lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=T_0, T_mult=T_mult, eta_min=eta_min),
          repeat(cosine_decay(T_0, to=eta_min / BASE), mult=T_mult), n,
          f"CosineAnnealingWarmRestarts T_0={T_0} T_mult={T_mult} eta_min={eta_min}")


@pytest.mark.parametrize("W,T,start,eta_min", [(5, 30, 0.1, 0.0), (10, 110, 0.01, 0.001), (1, 20, 0.5, 0.02)])
def test_sequential_warmup_cosine(W, T, start, eta_min):
    """SequentialLR(LinearLR over W, CosineAnnealingLR(T_max = T - W), milestones=[W]).

    Milestone offset: the milestone is W, rampup's warmup length, and the cosine restarts its own count at 0 at
    that step (SequentialLR calls its ``_update_lr(0)``), as each phase of a rampup ``>>`` chain does. So the
    peak is at step W, the warmup's first value is ``start``, and ``T_max`` is the decay length T - W.
    """
    def make(o):
        return ls.SequentialLR(o, [ls.LinearLR(o, start_factor=start, total_iters=W),
                                   ls.CosineAnnealingLR(o, T_max=T - W, eta_min=eta_min)], milestones=[W])

    check(make, linear_warmup(W, start=start) >> cosine_decay(T - W, to=eta_min / BASE), T + 1,
          f"SequentialLR W={W} T={T} start={start} eta_min={eta_min}")


def test_recursive_drift():
    """How far torch's recursive ("chainable") LRs drift from their closed forms over 4000-step runs in float64.
    Measured with torch 2.13 (relative): 3e-15 (CosineAnnealingLR), 2e-14 (rising LinearLR), 1.5e-13 (LinearLR
    decaying to 0), 6e-15 (PolynomialLR, power 2), 5e-15 (ExponentialLR); over 10 000 steps at most 2e-13. All far
    inside the 1e-9 tolerance, so rampup's closed forms match what torch really sets."""
    n = 4000
    cases = [
        (lambda o: ls.CosineAnnealingLR(o, T_max=n), cosine_decay(n)),
        (lambda o: ls.LinearLR(o, start_factor=0.001, total_iters=n), linear_warmup(n, start=0.001)),
        (lambda o: ls.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=n), linear_decay(n, start=1.0)),
        (lambda o: ls.PolynomialLR(o, total_iters=n, power=2.0), poly_decay(n, power=2.0)),
        (lambda o: ls.ExponentialLR(o, gamma=0.999), exp_decay(0.999)),
    ]
    t = np.arange(n + 1, dtype=np.float64)
    closed = [
        BASE * (1 + np.cos(np.pi * t / n)) / 2,
        BASE * (0.001 + 0.999 * t / n),
        BASE * (1 - t / n),
        BASE * (1 - t / n) ** 2,
        BASE * 0.999**t,
    ]
    for (make, ours), exact in zip(cases, closed, strict=True):
        lrs = scheduler_lrs(make, n + 1, BASE)
        assert_close(lrs, exact, what=f"{ours!r}: torch's recursion vs the closed form")
        assert_close(BASE * rampup_values(ours, np.arange(n + 1)), lrs, what=f"{ours!r} vs torch")


def test_torch_applies_the_lr_it_reports():
    """The harness' own check: with a real SGD update on p = 0 and gradient 1, the parameter moves by exactly the
    LR in the param group, so the LR compared everywhere is the one the update used."""
    opt = sgd(0.3)
    sched = ls.LinearLR(opt, start_factor=0.5, total_iters=2)
    lrs = run_torch(opt, sched.step, 3)
    (p,) = opt.param_groups[0]["params"]
    assert len(set(lrs.tolist())) == 3
    assert float(-p.detach()) == lrs[-1]
    assert p.dtype == torch.float64
