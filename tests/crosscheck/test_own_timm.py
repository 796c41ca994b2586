"""timm's own scheduler tests, ported by formula: huggingface/pytorch-image-models ``tests/test_scheduler.py`` and the
formulas of ``timm/scheduler/{cosine_lr,tanh_lr,poly_lr,step_lr,multistep_lr,scheduler}.py``.

timm cannot be installed next to this torch, so the checks are by formula. timm's tests use SGD at LR 0.1 (one
group, three in ``TestMultipleParamGroups``), call ``scheduler.step(epoch)`` and compare with
``pytest.approx(rel=1e-5)``. timm's ``step(t)`` sets the LR used for epoch (or update) t, so timm's ``t`` is
rampup's ``step`` (no offset). The rampup equivalents run through ``rampup.torch.Scheduler`` (one update per timm
epoch); the long runs evaluate the schedule, which is what the Scheduler applies.

timm's formulas used as expected values, for t after the warmup (``t -= warmup_t`` with ``warmup_prefix=True``),
cycle ``i``, position ``t_curr`` in a cycle of length ``t_i``, ``lr_max = base * cycle_decay ** i``:
cosine ``lr_min + (lr_max - lr_min) (1 + cos(pi t_curr^k / t_i^k)) / 2``; tanh
``lr_min + (lr_max - lr_min) (1 - tanh(lb (1 - tr) + ub tr)) / 2`` with ``tr = t_curr / t_i``; poly
``lr_min + (lr_max - lr_min) (1 - t_curr^k / t_i^k) ^ power``; ``lr_min`` once ``i >= cycle_limit``; warmup
``warmup_lr_init + t (target - warmup_lr_init) / warmup_t`` with target the base LR (tanh without prefix: its own
value at ``warmup_t``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rampup import (
    cosine_decay,
    linear_warmup,
    multistep,
    noisy,
    poly_decay,
    repeat,
    step_decay,
    tanh_decay,
)

from ._own import assert_peer, torch_group_lrs

BASE, INIT, W = 0.1, 0.001, 5
REL = 1e-5


def timm_cycle(t, t_initial, cycle_mul):
    if cycle_mul != 1:
        i = math.floor(math.log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))
        t_i = cycle_mul**i * t_initial
        return i, t_i, t - (1 - cycle_mul**i) / (1 - cycle_mul) * t_initial
    i = t // t_initial
    return i, t_initial, t - t_initial * i


def timm_cosine(t, t_initial, lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1, k=1.0, base=BASE):
    i, t_i, t_curr = timm_cycle(t, t_initial, cycle_mul)
    if i >= cycle_limit:
        return lr_min
    top = base * cycle_decay**i
    return lr_min + 0.5 * (top - lr_min) * (1 + math.cos(math.pi * t_curr**k / t_i**k))


def timm_tanh(t, t_initial, lr_min=0.0, lb=-7.0, ub=3.0, base=BASE):
    i, t_i, t_curr = timm_cycle(t, t_initial, 1.0)
    if i >= 1:
        return lr_min
    tr = t_curr / t_i
    return lr_min + 0.5 * (base - lr_min) * (1 - math.tanh(lb * (1.0 - tr) + ub * tr))


def timm_poly(t, t_initial, power=0.5, lr_min=0.0, k=1.0, base=BASE):
    i, t_i, t_curr = timm_cycle(t, t_initial, 1.0)
    if i >= 1:
        return lr_min
    return lr_min + (base - lr_min) * (1 - t_curr**k / t_i**k) ** power


# the README's equivalents of timm's schedulers as built in its tests (t_initial=100, decay_t=10, [10, 20, 30])
def _main(kind, decay_rate=0.1):
    return {"cosine": cosine_decay(100), "step": step_decay(10, gamma=decay_rate),
            "multistep": multistep([10, 20, 30], gamma=decay_rate), "poly": poly_decay(100, power=0.5),
            "tanh": tanh_decay(100)}[kind]


KINDS = ["cosine", "step", "multistep", "poly", "tanh"]


@pytest.mark.parametrize("kind", KINDS)
def test_scheduler_step(kind):
    # TestSchedulerBasics.test_scheduler_step: after step(0 .. 9) the LR is not above the base LR
    lrs = torch_group_lrs(_main(kind), [BASE], 10)[:, 0]
    assert lrs[-1] <= BASE


@pytest.mark.parametrize("kind", KINDS)
def test_warmup_lr_increases(kind):
    # TestWarmup.test_warmup_lr_increases: warmup_t 5 from warmup_lr_init 0.001, rising at every epoch
    lrs = torch_group_lrs(linear_warmup(W, start=INIT / BASE) >> _main(kind), [BASE], W)[:, 0]
    assert lrs[0] == pytest.approx(INIT, rel=REL) and (np.diff(lrs) > 0).all()


@pytest.mark.parametrize("kind", KINDS)
def test_warmup_prefix_reaches_target_lr(kind):
    # TestWarmup.test_warmup_prefix_reaches_target_lr: with warmup_prefix=True the LR at t = warmup_t is the base LR
    lrs = torch_group_lrs(linear_warmup(W, start=INIT / BASE) >> _main(kind, 0.5), [BASE], W + 1)[:, 0]
    assert lrs[W] == pytest.approx(BASE, rel=REL)


def test_cosine_decay():
    # TestCosineScheduler.test_cosine_decay: base at 0, the mid value at 50 (rel 1e-2), lr_min at 100
    lr_min = 0.001
    lrs = torch_group_lrs(cosine_decay(100, to=lr_min / BASE), [BASE], 101)[:, 0]
    assert lrs[0] == pytest.approx(BASE, rel=REL)
    assert lrs[50] == pytest.approx(lr_min + 0.5 * (BASE - lr_min) * (1 + math.cos(math.pi * 0.5)), rel=1e-2)
    assert lrs[100] == pytest.approx(lr_min, rel=REL)


def test_cosine_cycles():
    # TestCosineScheduler.test_cosine_cycles: t_initial 50, cycle_limit 2: low near each cycle's end, lr_min after
    lr_min = 0.001
    s = repeat(cosine_decay(50, to=lr_min / BASE), times=2)
    assert s(49) * BASE < BASE * 0.5
    assert all(s(t) * BASE == pytest.approx(lr_min, rel=REL) for t in range(100, 110))
    assert all(s(t) * BASE == pytest.approx(timm_cosine(t, 50, lr_min, cycle_limit=2), rel=REL) for t in range(110))


def test_get_cycle_length():
    # TestCosineScheduler.test_get_cycle_length: t_initial, and t_initial + warmup_t with the warmup as a prefix
    assert cosine_decay(100).length == 100
    assert (linear_warmup(10) >> cosine_decay(100)).length == 110


def test_step_decay():
    # TestStepScheduler.test_step_decay: decay_t 10, decay_rate 0.5 at epochs 9, 10, 20
    s = step_decay(10, gamma=0.5)
    assert [BASE * s(t) for t in (9, 10, 20)] == pytest.approx([BASE, BASE * 0.5, BASE * 0.25], rel=REL)


def test_multistep_decay_boundary():
    """TestMultiStepScheduler.test_multistep_decay_boundary: timm now decays at the milestone epoch itself
    (``bisect_right(decay_t, t)``), as rampup's ``multistep`` and torch's MultiStepLR do. Earlier timm releases
    used ``bisect_right(decay_t, t + 1)`` and decayed one epoch early (milestone 10 acting at epoch 9): for those,
    the equivalent is ``multistep([m - 1 for m in milestones])`` (README timm row)."""
    s = multistep([10, 20], gamma=0.5)
    got = [BASE * s(t) for t in (9, 10, 19, 20)]
    assert got == pytest.approx([BASE, BASE * 0.5, BASE * 0.5, BASE * 0.25], rel=REL)
    old = multistep([9, 19], gamma=0.5)
    assert [old(t) for t in (8, 9, 18, 19)] == [1.0, 0.5, 0.5, 0.25]


def test_multistep_decay():
    # TestMultiStepScheduler.test_multistep_decay: epochs 8, 11, 21, 31
    s = multistep([10, 20, 30], gamma=0.5)
    assert [BASE * s(t) for t in (8, 11, 21, 31)] == pytest.approx([BASE * 0.5**i for i in range(4)], rel=REL)


def test_poly_decay():
    # TestPolyScheduler.test_poly_decay: power 1, lr_min 0.001: base at 0, lr_min at 100
    s = poly_decay(100, to=0.001 / BASE, power=1.0)
    assert BASE * s(0) == pytest.approx(BASE, rel=REL) and BASE * s(100) == pytest.approx(0.001, rel=REL)


def test_tanh_decay():
    # TestTanhScheduler.test_tanh_decay (lr_min 0.001): lower at the end than at the start; and every epoch by
    # timm's formula
    s = tanh_decay(100, to=0.001 / BASE)
    lrs = torch_group_lrs(s, [BASE], 101)[:, 0]
    assert lrs[-1] < lrs[0]
    assert_peer(lrs, [timm_tanh(t, 100, 0.001) for t in range(101)], rtol=1e-12, atol=1e-18, what="tanh")


@pytest.mark.parametrize("lb,ub", [(-7.0, 3.0), (-3.0, 5.0), (-6.0, 0.0)])
def test_tanh_bounds(lb, ub):
    # TanhLRScheduler(lb, ub): the formula for other bounds
    s = tanh_decay(40, to=0.05, lb=lb, ub=ub)
    assert_peer([BASE * s(t) for t in range(45)], [timm_tanh(t, 40, BASE * 0.05, lb, ub) for t in range(45)],
                rtol=1e-12, what=f"tanh lb={lb} ub={ub}")


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_save_load(kind):
    # TestStateDict.test_state_dict_save_load: a restored scheduler goes on the same way
    plain = torch_group_lrs(_main(kind), [BASE], 20)
    assert torch_group_lrs(_main(kind), [BASE], 20, save_at=4).tolist() == plain.tolist()


@pytest.mark.parametrize("kind", KINDS)
def test_step_update(kind):
    # TestStepUpdate.test_step_update_with_t_in_epochs_false: counted in updates, the LR has changed by update 50
    lrs = torch_group_lrs(_main(kind, 0.5), [BASE], 51)[:, 0]
    assert lrs[50] != lrs[0]


@pytest.mark.parametrize("kind", KINDS)
def test_multiple_param_groups(kind):
    # TestMultipleParamGroups.test_multiple_param_groups: three groups, each ends at or below its start
    lrs = torch_group_lrs(_main(kind), [BASE] * 3, 20)
    assert (lrs[-1] <= lrs[0]).all()


@pytest.mark.parametrize("kind", ["cosine", "step", "poly", "tanh"])
def test_noise_range(kind):
    """TestNoise.test_noise_range: noise in epochs [10, 50), noise_pct 0.5, seed 42; two runs with the same seed
    are identical. rampup's ``noisy`` is a pure function of the step (a hash of seed and step, uniform in
    [-pct, pct)), so it is deterministic by construction; its draws are not timm's torch.Generator ones (a
    documented difference: same range and seeding rule, another stream)."""
    s = noisy(_main(kind), pct=0.5, seed=42, begin=10, end=50)
    run1 = torch_group_lrs(s, [BASE], 60)[:, 0]
    run2 = torch_group_lrs(s, [BASE], 60)[:, 0]
    assert run1.tolist() == run2.tolist()
    clean = torch_group_lrs(_main(kind), [BASE], 60)[:, 0]
    assert (run1[:10] == clean[:10]).all() and (run1[50:] == clean[50:]).all()
    ratio = run1[10:50] / np.where(clean[10:50] > 0, clean[10:50], 1.0)
    assert ((ratio >= 0.5) & (ratio < 1.5)).all() and len(set(ratio.round(12))) > 30


@pytest.mark.parametrize("k", [1.0, 2.0, 0.5])
def test_cosine_k_decay(k):
    # TestKDecay.test_cosine_k_decay: k 1 and 2 differ at 50; every epoch by timm's formula
    s = cosine_decay(100, k=k)
    assert_peer([BASE * s(t) for t in range(101)], [timm_cosine(t, 100, k=k) for t in range(101)], rtol=1e-12,
                atol=1e-18, what=f"cosine k_decay={k}")
    assert (s(50) != cosine_decay(100)(50)) == (k != 1.0)


@pytest.mark.parametrize("k", [1.0, 2.0, 0.5])
def test_poly_k_decay(k):
    # TestKDecay.test_poly_k_decay
    s = poly_decay(100, power=0.5, k=k)
    assert_peer([BASE * s(t) for t in range(101)], [timm_poly(t, 100, k=k) for t in range(101)], rtol=1e-12,
                atol=1e-18, what=f"poly k_decay={k}")


@pytest.mark.parametrize("cycle_mul,cycle_decay,limit", [(1.0, 0.5, 3), (2.0, 0.7, 3), (1.5, 0.9, 3)])
def test_cycle_decay(cycle_mul, cycle_decay, limit):
    # CosineLRScheduler(cycle_mul, cycle_decay, cycle_limit): each restart's top is base * cycle_decay ** i, the
    # floor stays lr_min: rampup's repeat(decay=..., shrink="top"); cycle lengths are whole numbers here (20, 30, 45
    # for cycle_mul 1.5), as a rampup repeat's are
    lr_min, t0 = 0.002, 20
    s = repeat(cosine_decay(t0, to=lr_min / BASE), times=limit, mult=cycle_mul, decay=cycle_decay, shrink="top")
    n = round(sum(t0 * cycle_mul**i for i in range(limit))) + 5
    assert_peer([BASE * s(t) for t in range(n)],
                [timm_cosine(t, t0, lr_min, cycle_mul, cycle_decay, limit) for t in range(n)], rtol=1e-9, atol=1e-15,
                what=f"cycle_mul={cycle_mul} cycle_decay={cycle_decay}")


@pytest.mark.parametrize("kind", ["cosine", "poly"])
def test_warmup_prefix_false(kind):
    # warmup_prefix=False (CosineLRScheduler's and PolyLRScheduler's default): the warmup rises to the base LR, then
    # the main schedule runs as if it had started at t = 0: rampup's decay with offset=warmup_t
    t0, lr_min = 50, 0.004
    main = (cosine_decay(t0, to=lr_min / BASE, offset=W) if kind == "cosine"
            else poly_decay(t0, to=lr_min / BASE, power=0.5, offset=W))
    s = linear_warmup(W, start=INIT / BASE) >> main
    ref = timm_cosine if kind == "cosine" else timm_poly

    def timm(t):
        if t < W:
            return INIT + t * (BASE - INIT) / W
        return ref(t, t0, lr_min=lr_min)

    lrs = torch_group_lrs(s, [BASE], t0 + 5)[:, 0]
    assert_peer(lrs, [timm(t) for t in range(t0 + 5)], rtol=1e-12, atol=1e-18, what=f"{kind} warmup_prefix=False")
