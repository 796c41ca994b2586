"""torch's own LR-scheduler tests, ported: pytorch/pytorch ``test/optim/test_lrscheduler.py`` (class
``TestLRScheduler``).

torch's tests use SGD with two param groups at LR 0.05 and 0.5, read ``param_groups[g]['lr']`` before each
``scheduler.step()`` (``_test``, ``_test_get_last_lr``, ``_test_cycle_lr``) and compare with ``atol=1e-5, rtol=0``.
The same optimizer, the same reading and the same tolerance are used here, with ``rampup.torch.Scheduler`` and the
README's rampup equivalent; torch's ``last_epoch`` is rampup's ``step`` (no offset). Where a target is built from a
formula in torch's test (``0.05 * 0.9 ** x``), the formula is written out the same way; the installed torch runs
each configuration as well.

torch's ``_test_against_closed_form`` tests (``test_closed_form_*``) call ``self.setUp()`` before reading the LRs,
which gives them a fresh optimizer the schedulers do not drive, so they compare two constant lists. Their intent,
"stepped equals closed form", is what rampup's Scheduler against ``s(t)`` checks here (``test_closed_form``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from torch.optim import lr_scheduler as ls

import rampup.torch
from rampup import (
    constant,
    constant_warmup,
    cosine_decay,
    cyclic,
    exp_decay,
    linear_decay,
    linear_warmup,
    multistep,
    one_cycle,
    poly_decay,
    repeat,
    step_decay,
)

from ._own import assert_peer, peer_lrs, torch_group_lrs

BASES = [0.05, 0.5]
ATOL = 1e-5  # torch's _test: atol=1e-5, rtol=0


def targets(single: list[float], epochs: int = 10) -> np.ndarray:
    """torch's ``targets = [single_targets, [x * epochs for x in single_targets]]`` as rows per update."""
    return np.array([single, [x * epochs for x in single]]).T


def check(ours, single: list[float], n: int, what: str, torch_make=None, bases=BASES, scale: float = 10) -> None:
    got = torch_group_lrs(ours, bases, n)
    assert_peer(got, targets(single[:n], scale) if len(bases) == 2 else np.array(single[:n])[:, None], atol=ATOL,
                what=what)
    if torch_make is not None:
        assert_peer(got, peer_lrs(torch_make, bases, n), rtol=1e-9, atol=1e-15, what=f"{what} vs installed torch")


# -- single schedulers: test_step_lr ... test_cos_anneal_lr (and their get_last_lr / with_epoch twins) -------------

def test_step_lr():
    # test_step_lr, test_get_last_lr_step_lr, test_chained_lr1: StepLR(gamma=0.1, step_size=3)
    single = [0.05] * 3 + [0.005] * 3 + [0.0005] * 3 + [0.00005] * 3
    check(step_decay(3, gamma=0.1), single, 10, "StepLR", lambda o: ls.StepLR(o, gamma=0.1, step_size=3))


def test_multi_step_lr():
    # test_multi_step_lr, test_multi_step_lr_with_epoch, test_get_last_lr_multi_step_lr
    single = [0.05] * 2 + [0.005] * 3 + [0.0005] * 4 + [0.00005] * 3
    check(multistep([2, 5, 9], gamma=0.1), single, 10, "MultiStepLR",
          lambda o: ls.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9]))


def test_constantlr():
    # test_constantlr, test_constantlr_with_epoch, test_get_last_lr_constantlr: ConstantLR(factor=1/2, 5)
    check(constant_warmup(5, start=0.5), [0.025] * 5 + [0.05] * 5, 10, "ConstantLR",
          lambda o: ls.ConstantLR(o, factor=0.5, total_iters=5))


def test_linearlr():
    # test_linearlr, test_linearlr_with_epoch: LinearLR(start_factor=1/2, total_iters=4)
    single = [0.05 * (0.5 + i * 0.5 / 4) for i in range(4)] + [0.05] * 6
    check(linear_warmup(4, start=0.5), single, 10, "LinearLR", lambda o: ls.LinearLR(o, start_factor=0.5,
                                                                                    total_iters=4))


def test_get_last_lr_linearlr():
    # test_get_last_lr_linearlr: LinearLR(1/4 -> 3/5, total_iters=4); an end factor below 1 is a scaled warmup
    start, end = 1 / 4, 3 / 5
    single = [0.05 * (start + i * (end - start) / 4) for i in range(4)] + [0.05 * end] * 6
    check(linear_warmup(4, start=start / end).scale(end), single, 10, "LinearLR 1/4 -> 3/5",
          lambda o: ls.LinearLR(o, start_factor=start, end_factor=end, total_iters=4))


def test_linearlr_start_factor_limits():
    # test_linearlr_start_factor_limits1/2: torch refuses start_factor 0 and 1.1. rampup allows a warmup from 0
    # (documented in the README row) and refuses a start above 1 as well.
    assert linear_warmup(4)(0) == 0.0
    with pytest.raises(rampup.RampupError, match="start"):
        linear_warmup(4, start=1.1)


def test_exp_lr():
    # test_exp_lr: ExponentialLR(gamma=0.9)
    check(exp_decay(0.9), [0.05 * 0.9**x for x in range(10)], 10, "ExponentialLR",
          lambda o: ls.ExponentialLR(o, gamma=0.9))


def test_poly_lr():
    # test_poly_lr: PolynomialLR(power=0.9, total_iters=5)
    single = [(1.0 - x / 5) ** 0.9 * 0.05 for x in range(5)] + [0.0] * 5
    check(poly_decay(5, power=0.9), single, 10, "PolynomialLR",
          lambda o: ls.PolynomialLR(o, power=0.9, total_iters=5))


def test_cos_anneal_lr():
    # test_cos_anneal_lr: CosineAnnealingLR(T_max=10, eta_min=1e-10); eta_min is absolute, so each group's floor
    # is eta_min / its base LR
    eta_min = 1e-10
    single = [eta_min + (0.05 - eta_min) * (1 + math.cos(math.pi * x / 10)) / 2 for x in range(10)]
    got = torch_group_lrs([cosine_decay(10, to=eta_min / b) for b in BASES], BASES, 10)
    expected = np.array([single, [eta_min + (0.5 - eta_min) * (1 + math.cos(math.pi * x / 10)) / 2
                                  for x in range(10)]]).T
    assert_peer(got, expected, atol=ATOL, what="CosineAnnealingLR")
    assert_peer(got, peer_lrs(lambda o: ls.CosineAnnealingLR(o, T_max=10, eta_min=eta_min), BASES, 10), rtol=1e-9,
                what="CosineAnnealingLR vs installed torch")


# -- closed form vs stepped: test_closed_form_* and the resume tests ----------------------------------------------

CLOSED = [
    ("StepLR", step_decay(3, gamma=0.1), lambda o: ls.StepLR(o, gamma=0.1, step_size=3)),
    ("LinearLR", linear_warmup(4, start=(1 / 3) / 0.7).scale(0.7),
     lambda o: ls.LinearLR(o, start_factor=1 / 3, end_factor=0.7, total_iters=4)),
    ("ConstantLR", constant_warmup(4, start=1 / 3), lambda o: ls.ConstantLR(o, factor=1 / 3, total_iters=4)),
    ("MultiStepLR", multistep([2, 5, 9], gamma=0.1), lambda o: ls.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9])),
    ("ExponentialLR", exp_decay(0.9), lambda o: ls.ExponentialLR(o, gamma=0.9)),
    ("PolynomialLR", poly_decay(5, power=0.9), lambda o: ls.PolynomialLR(o, power=0.9)),
    ("CosineAnnealingLR", cosine_decay(5, to=1e-10 / 0.5), None),
]


@pytest.mark.parametrize("name,ours,make", CLOSED, ids=[c[0] for c in CLOSED])
def test_closed_form(name, ours, make):
    # test_closed_form_step_lr ... test_closed_form_cos_anneal_lr (20 epochs): stepped == closed form
    n = 20
    stepped = torch_group_lrs(ours, [0.5], n)[:, 0]
    closed = 0.5 * np.array([ours(t) for t in range(n)])
    assert_peer(stepped, closed, atol=ATOL, what=f"{name}: stepped vs closed form")
    if make is not None:
        assert_peer(stepped, peer_lrs(make, [0.5], n)[:, 0], rtol=1e-9, atol=1e-15, what=f"{name} vs torch")


def test_closed_form_cos_anneal_past_t_max():
    """test_closed_form_cos_anneal_lr runs CosineAnnealingLR(T_max=5) for 20 epochs: torch's closed form climbs
    back up the cosine after T_max (period 2 T_max); rampup's cosine_decay holds its floor. Documented
    difference (README torch row); the first T_max + 1 values agree."""
    theirs = peer_lrs(lambda o: ls.CosineAnnealingLR(o, T_max=5, eta_min=1e-10), [0.5], 20)[:, 0]
    ours = torch_group_lrs(cosine_decay(5, to=1e-10 / 0.5), [0.5], 20)[:, 0]
    assert_peer(ours[:6], theirs[:6], rtol=1e-9, what="CosineAnnealingLR up to T_max")
    assert theirs[10] == pytest.approx(0.5, abs=ATOL) and ours[10] == pytest.approx(1e-10)


@pytest.mark.parametrize("name,ours,make", CLOSED, ids=[c[0] for c in CLOSED])
def test_state_dict_resume(name, ours, make):
    # test_*_state_dict, test_lr_scheduler_checkpoint, test_cos_anneal_lr_continue: a scheduler restored from a
    # checkpoint goes on with the same LRs
    plain = torch_group_lrs(ours, BASES, 20)
    for k in (0, 4, 11):
        assert torch_group_lrs(ours, BASES, 20, save_at=k).tolist() == plain.tolist()


# -- SequentialLR: torch restarts each scheduler at the base LR, so the rampup phase says start=1 ------------------

def test_sequentiallr1():
    # test_sequentiallr1: SequentialLR([ExponentialLR(0.8), StepLR(0.1, 4)], milestones=[3])
    single = [0.05, 0.04, 0.032] + [0.05] * 4 + [0.005] * 4 + [0.0005] * 4 + [0.00005] * 4
    ours = exp_decay(0.8, duration=3) >> step_decay(4, gamma=0.1, start=1.0)
    check(ours, single, 19, "SequentialLR exp >> step",
          lambda o: ls.SequentialLR(o, [ls.ExponentialLR(o, gamma=0.8), ls.StepLR(o, gamma=0.1, step_size=4)],
                                    milestones=[3]))


def test_sequentiallr2():
    # test_sequentiallr2: SequentialLR([ConstantLR(0.1, 3), ExponentialLR(0.9)], milestones=[3])
    single = [0.005, 0.005, 0.005] + [0.05 * 0.9**x for x in range(10)]
    check(constant(3, value=0.1) >> exp_decay(0.9, start=1.0), single, 13, "SequentialLR constant >> exp",
          lambda o: ls.SequentialLR(o, [ls.ConstantLR(o, factor=0.1, total_iters=3), ls.ExponentialLR(o, gamma=0.9)],
                                    milestones=[3]))


def test_sequentiallr3():
    # test_sequentiallr3, test_get_last_lr_sequentiallr: three schedulers, milestones [3, 6]
    single = [0.005] * 3 + [0.05, 0.04, 0.032] + [0.05, 0.05, 0.005, 0.005, 0.0005, 0.0005]
    ours = constant(3, value=0.1) >> exp_decay(0.8, duration=3, start=1.0) >> step_decay(2, gamma=0.1, start=1.0)
    check(ours, single, 12, "SequentialLR x3")


def test_sequentiallr4():
    # test_sequentiallr4: building a SequentialLR of ConstantLR(factor=1) and ConstantLR(factor=0.1) leaves the
    # first LR at the optimizer's 0.1
    got = torch_group_lrs(constant(10, value=1.0) >> constant(value=0.1), [0.1], 12)[:, 0]
    assert got[0] == 0.1 and got[10] == pytest.approx(0.01)


def test_sequentiallr5():
    # test_sequentiallr5: SequentialLR([ChainedScheduler([LinearLR(0.1, 5), ConstantLR(0.1, 5)]),
    # ConstantLR(0.5, 5)], milestones=[5]); a chained scheduler is a product on one clock
    single = [0.0005, 0.0014, 0.0023, 0.0032, 0.0041] + [0.025] * 5
    ours = (linear_warmup(5, start=0.1) * constant(5, value=0.1)) >> constant_warmup(5, start=0.5)
    check(ours, single, 10, "SequentialLR(chained) >> constant")


def test_sequentiallr_does_not_alias_lr_and_initial_lr():
    # test_sequentiallr_does_not_alias_lr_and_initial_lr: lr 2.0, LinearLR(0.1 -> 0.8, 4) then (0.8 -> 0.1, 4)
    ours = linear_warmup(4, start=0.1 / 0.8).scale(0.8) >> linear_decay(4, start=0.8, to=0.1)
    got = torch_group_lrs(ours, [2.0], 8)[:, 0]
    assert_peer(got, [0.2, 0.55, 0.9, 1.25, 1.6, 1.25, 0.9, 0.55], atol=ATOL, what="SequentialLR linear up/down")


# -- ChainedScheduler and compound schedulers: products on one clock ----------------------------------------------

CHAINED = [
    ("test_chained_lr2", linear_warmup(3, start=0.4), [0.02, 0.03, 0.04] + [0.05] * 9),
    ("test_chained_lr3", linear_warmup(3, start=0.4) * multistep([4, 8, 10], gamma=0.1),
     [0.02, 0.03, 0.04, 0.05] + [0.005] * 4 + [0.0005] * 3 + [0.00005] * 3),
    ("test_chained_lr4", exp_decay(0.9) * constant_warmup(4, start=0.2) * step_decay(3, gamma=0.1),
     [0.05 * 0.2 * 0.9**x for x in range(3)] + [0.05 * 0.2 * 0.9**3 * 0.1]
     + [0.05 * 0.9**x * 0.1 for x in range(4, 6)] + [0.05 * 0.9**x * 0.01 for x in range(6, 9)]),
    ("test_chained_lr5", poly_decay(5, power=0.9) * constant_warmup(5, start=0.1),
     [0.1 * 0.05 * (1.0 - x / 5) ** 0.9 for x in range(5)] + [0.0] * 5),
    ("test_compound_step_and_multistep_lr", step_decay(3, gamma=0.1) * multistep([2, 5, 9], gamma=0.1),
     [0.05] * 2 + [0.005] + [5e-4] * 2 + [5e-5] + [5e-6] * 3 + [5e-8]),
    ("test_compound_step_and_exp_lr", step_decay(3, gamma=0.1) * exp_decay(0.9),
     [0.05 * 0.1 ** (x // 3) * 0.9**x for x in range(10)]),
    ("test_compound_exp_and_multistep_lr", multistep([2, 5, 9], gamma=0.1) * exp_decay(0.9),
     [0.05 * (0.9**x) for x in range(2)] + [0.005 * (0.9**x) for x in range(2, 5)]
     + [0.0005 * (0.9**x) for x in range(5, 9)] + [0.00005 * (0.9**x) for x in range(9, 11)]),
    ("test_compound_exp_and_linearlr", linear_warmup(4, start=0.4 / 0.9).scale(0.9) * exp_decay(0.9),
     [0.05 * 0.9**x * ((0.4 + x / 4 * 0.5) if x < 4 else 0.9) for x in range(11)]),
    ("test_compound_step_and_constantlr", step_decay(3, gamma=0.1) * constant_warmup(4, start=0.4),
     [0.05 * 0.4] * 3 + [0.005 * 0.4] + [0.005] * 2 + [0.0005] * 3 + [0.00005] * 3),
    ("test_compound_linearlr_and_multistep_lr", multistep([2, 5, 9], gamma=0.1) * linear_warmup(4, start=0.4),
     [v * ((0.4 + i / 4 * 0.6) if i < 4 else 1) for i, v in
      enumerate([0.05] * 2 + [0.005] * 3 + [0.0005] * 4 + [0.00005] * 2)]),
    ("test_compound_cosanneal_and_step_lr", cosine_decay(10) * step_decay(3, gamma=0.1),
     [0.05 * (1 + math.cos(math.pi * x / 10)) / 2 * 0.1 ** (x // 3) for x in range(10)]),
    ("test_compound_cosanneal_and_multistep_lr", cosine_decay(10) * multistep([2, 5, 9], gamma=0.1),
     [0.05 * (1 + math.cos(math.pi * x / 10)) / 2 * m for x, m in
      enumerate([1] * 2 + [0.1] * 3 + [0.01] * 4 + [0.001])]),
    ("test_compound_cosanneal_and_linearlr", linear_warmup(4, start=0.4) * cosine_decay(10),
     [0.05 * (1 + math.cos(math.pi * x / 10)) / 2 * ((0.4 + x / 4 * 0.6) if x < 4 else 1) for x in range(10)]),
    ("test_compound_cosanneal_and_exp_lr", cosine_decay(10) * exp_decay(0.1),
     [0.05 * (1 + math.cos(math.pi * x / 10)) / 2 * 0.1**x for x in range(10)]),
]


@pytest.mark.parametrize("name,ours,single", CHAINED, ids=[c[0] for c in CHAINED])
def test_chained_and_compound(name, ours, single):
    # the eta_min=1e-10 of the cosine cases is below torch's atol and left out; torch checks `epochs` values
    check(ours, single, min(10, len(single)), name)


# -- CyclicLR: triangular, triangular2, exp_range, asymmetric; LR and momentum ------------------------------------

def _cyclic_case(mode, up, down, n, gamma=1.0):
    """rampup's ``cyclic`` for CyclicLR(base_lr=1, max_lr=5, base_momentum=1, max_momentum=5): an optimizer LR of 1
    (the base), a top factor of 5 (above the optimizer's LR, which cyclic allows where it says so), and the
    momentum as a factor of 5 falling to 1/5 and back."""
    lr = cyclic(up, down, start=1.0, top=5.0, mode=mode, gamma=gamma)
    mom = cyclic(up, down, start=1.0, top=0.2, mode=mode, gamma=gamma)
    got_lr = torch_group_lrs(lr, [1.0], n)[:, 0]
    got_mom = torch_group_lrs(lr, [1.0], n, hparams={"momentum": mom}, momentum=5.0, read="momentum")[:, 0]
    return got_lr, got_mom


def test_cycle_lr_triangular_mode_one_lr():
    # test_cycle_lr_triangular_mode_one_lr (and _no_momentum, _with_momentumless_optimizer)
    lr, mom = _cyclic_case("triangular", 4, None, 11)
    assert_peer(lr, [1, 2, 3, 4, 5, 4, 3, 2, 1, 2, 3], atol=ATOL, what="CyclicLR triangular lr")
    assert_peer(mom, [5, 4, 3, 2, 1, 2, 3, 4, 5, 4, 3], atol=ATOL, what="CyclicLR triangular momentum")


def test_cycle_lr_triangular2_mode_one_lr():
    # test_cycle_lr_triangular2_mode_one_lr
    lr, mom = _cyclic_case("triangular2", 4, None, 22)
    assert_peer(lr, [1, 2, 3, 4, 5, 4, 3, 2, 1, 1.5, 2.0, 2.5, 3.0, 2.5, 2.0, 1.5, 1, 1.25, 1.50, 1.75, 2.00, 1.75],
                atol=ATOL, what="CyclicLR triangular2 lr")
    assert_peer(mom, [5.0, 4.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 5.0, 4.5, 4.0, 3.5, 3.0, 3.5, 4.0, 4.5, 5.0, 4.75, 4.5,
                      4.25, 4.0, 4.25], atol=ATOL, what="CyclicLR triangular2 momentum")


def test_cycle_lr_exp_range_mode_one_lr():
    # test_cycle_lr_exp_range_mode_one_lr
    xs = [0, 0.25, 0.5, 0.75, 1, 0.75, 0.50, 0.25, 0, 0.25, 0.5, 0.75, 1]
    lr, mom = _cyclic_case("exp_range", 4, None, len(xs), gamma=0.9)
    assert_peer(lr, [1 + x * 4 * 0.9**i for i, x in enumerate(xs)], atol=ATOL, what="CyclicLR exp_range lr")
    assert_peer(mom, [5 - x * 4 * 0.9**i for i, x in enumerate(xs)], atol=ATOL, what="CyclicLR exp_range momentum")


def test_cycle_lr_triangular_mode_step_size_up_down():
    # test_cycle_lr_triangular_mode_step_size_up_down
    lr, mom = _cyclic_case("triangular", 4, 6, 11)
    assert_peer(lr, [1.0, 2.0, 3.0, 4.0, 5.0, 13 / 3, 11 / 3, 9 / 3, 7 / 3, 5 / 3, 1.0], atol=ATOL,
                what="CyclicLR triangular 4 up 6 down")
    assert_peer(mom, [5.0, 4.0, 3.0, 2.0, 1.0, 5 / 3, 7 / 3, 3.0, 11 / 3, 13 / 3, 5.0], atol=ATOL,
                what="CyclicLR triangular 4 up 6 down momentum")


def test_cycle_lr_triangular2_mode_step_size_up_down():
    # test_cycle_lr_triangular2_mode_step_size_up_down (the second group is the first + 2, so one group here)
    lr, mom = _cyclic_case("triangular2", 2, 6, 24)
    assert_peer(lr, [1.0, 3.0, 5.0, 13 / 3, 11 / 3, 9 / 3, 7 / 3, 5 / 3, 1.0, 2.0, 3.0, 8 / 3, 7 / 3, 6 / 3, 5 / 3,
                     4 / 3, 1.0, 3 / 2, 2.0, 11 / 6, 10 / 6, 9 / 6, 8 / 6, 7 / 6], atol=ATOL,
                what="CyclicLR triangular2 2 up 6 down")
    assert_peer(mom, [5.0, 3.0, 1.0, 5 / 3, 7 / 3, 3.0, 11 / 3, 13 / 3, 5.0, 4.0, 3.0, 10 / 3, 11 / 3, 4.0, 13 / 3,
                      14 / 3, 5.0, 4.5, 4.0, 25 / 6, 13 / 3, 4.5, 14 / 3, 29 / 6], atol=ATOL,
                what="CyclicLR triangular2 2 up 6 down momentum")


def test_cycle_lr_exp_range_mode_step_size_up_down():
    # test_cycle_lr_exp_range_mode_step_size_up_down
    xs = [0.0, 0.5, 1.0, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6, 0.0, 0.5, 1.0, 5 / 6, 4 / 6]
    lr, _ = _cyclic_case("exp_range", 2, 6, len(xs), gamma=0.9)
    assert_peer(lr, [1 + x * 4 * 0.9**i for i, x in enumerate(xs)], atol=ATOL, what="CyclicLR exp_range 2 up 6 down")


def test_cycle_lr_two_groups_and_installed_torch():
    # test_cycle_lr_triangular_mode / _triangular2_mode / _exp_range_mode: two groups with their own bounds, given
    # to rampup as one schedule per group (factors of each group's base LR), against the installed CyclicLR
    for mode, bounds, up, down in [("triangular", [(1, 5), (2, 6)], 4, None),
                                   ("triangular2", [(1, 5), (3, 7)], 4, None),
                                   ("exp_range", [(1, 5), (5, 12)], 4, None),
                                   ("triangular2", [(1, 5), (3, 7)], 2, 6)]:
        scheds = [cyclic(up, down, start=1.0, top=hi / lo, mode=mode, gamma=0.9) for lo, hi in bounds]
        bases = [float(lo) for lo, _ in bounds]
        got = torch_group_lrs(scheds, bases, 30)
        tops = [float(h) for _, h in bounds]

        def make(o, bases=bases, tops=tops, up=up, down=down, mode=mode):
            return ls.CyclicLR(o, base_lr=bases, max_lr=tops, step_size_up=up, step_size_down=down, mode=mode,
                               gamma=0.9, cycle_momentum=False)

        theirs = peer_lrs(make, bases, 30)
        assert_peer(got, theirs, rtol=1e-9, atol=1e-12, what=f"CyclicLR {mode} {bounds} vs installed torch")


def test_cosine_then_cyclic():
    # test_cosine_then_cyclic: after a cosine, a CyclicLR(0.1 .. 0.3) never goes above its max; rampup's cyclic
    # after a cosine phase (optimizer LR 0.5): the factor stays within [0.2, 0.6]
    s = cosine_decay(21, to=0.2) >> cyclic(1, 3, start=0.2, top=0.6)
    lrs = torch_group_lrs(s, [0.5], 40)[:, 0]
    assert lrs[21:].max() <= 0.3 + 1e-12 and lrs[21:].min() >= 0.1 - 1e-12 and lrs[-1] <= 0.3


# -- OneCycleLR ---------------------------------------------------------------------------------------------------

def test_onecycle_lr_linear_annealing():
    # test_onecycle_lr_linear_annealing, test_cycle_lr_with_adam: max_lr 25, final_div_factor 2, 10 steps
    ours = one_cycle(10, pct=0.3, div=25, final_div=2, shape="linear")
    lrs = torch_group_lrs(ours, [25.0], 10)[:, 0]
    assert_peer(lrs, [1, 13, 25, 21.5, 18, 14.5, 11, 7.5, 4, 0.5], atol=ATOL, what="OneCycleLR linear")
    # momentum 22 -> 1 -> 22 (base_momentum 1, max_momentum 22) as a factor of 22
    mom = linear_decay(2, to=1 / 22) >> linear_warmup(7, start=1 / 22)
    got = torch_group_lrs(ours, [25.0], 10, hparams={"momentum": mom}, momentum=22.0, read="momentum")[:, 0]
    assert_peer(got, [22, 11.5, 1, 4, 7, 10, 13, 16, 19, 22], atol=ATOL, what="OneCycleLR linear momentum")


def test_onecycle_lr_linear_annealing_three_phases():
    # test_onecycle_lr_linear_annealing_three_phases
    ours = one_cycle(10, pct=0.4, div=25, final_div=4, three_phase=True, shape="linear")
    assert_peer(torch_group_lrs(ours, [25.0], 10)[:, 0], [1, 9, 17, 25, 17, 9, 1, 0.75, 0.5, 0.25], atol=ATOL,
                what="OneCycleLR three phases")


def test_onecycle_lr_cosine_annealing():
    # test_onecycle_lr_cosine_annealing, test_onecycle_lr_legacy_state_dict
    def annealing_cos(start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    expected = [1, 13, 25] + [annealing_cos(25, 0.5, i / 7.0) for i in range(1, 7)] + [0.5]
    ours = one_cycle(10, pct=0.3, div=25, final_div=2)
    assert_peer(torch_group_lrs(ours, [25.0], 10)[:, 0], expected, atol=ATOL, what="OneCycleLR cos")
    theirs = peer_lrs(lambda o: ls.OneCycleLR(o, max_lr=25, final_div_factor=2, total_steps=10,
                                              cycle_momentum=False), [25.0], 10)[:, 0]
    assert_peer(torch_group_lrs(ours, [25.0], 10)[:, 0], theirs, rtol=1e-9, what="OneCycleLR vs installed torch")


# -- LambdaLR, MultiplicativeLR, CosineAnnealingWarmRestarts, SWALR -----------------------------------------------

def test_lambda_lr():
    # test_lambda_lr, test_multiplicative_lr: one schedule per group, 0.9**x and 0.8**x
    got = torch_group_lrs([exp_decay(0.9), exp_decay(0.8)], [0.05, 0.4], 10)
    expected = np.array([[0.05 * 0.9**x for x in range(10)], [0.4 * 0.8**x for x in range(10)]]).T
    assert_peer(got, expected, atol=ATOL, what="LambdaLR per group")


@pytest.mark.parametrize("T_mult", [1, 2, 4])
def test_CosineAnnealingWarmRestarts_lr1(T_mult):
    # test_CosineAnnealingWarmRestarts_lr1: T_0 10, eta_min 1e-10, 100 iterations
    eta_min, T_i, T_cur = 1e-10, 10, 0
    expected = [[0.05], [0.5]]
    for _ in range(1, 100):
        T_cur += 1
        if T_cur >= T_i:
            T_cur, T_i = T_cur - T_i, T_i * T_mult
        for row, b in zip(expected, BASES, strict=True):
            row.append(eta_min + (b - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2)
    got = torch_group_lrs([repeat(cosine_decay(10, to=eta_min / b), mult=T_mult) for b in BASES], BASES, 100)
    assert_peer(got, np.array(expected).T, atol=ATOL, what=f"CosineAnnealingWarmRestarts T_mult={T_mult}")


@pytest.mark.parametrize("T_mult", [1, 2, 4])
def test_CosineAnnealingWarmRestarts_lr2(T_mult):
    # test_CosineAnnealingWarmRestarts_lr2: fractional epochs 0.1 apart, step(epoch); rampup evaluates a schedule
    # at a fractional step directly (closed form), which is what step(epoch) is
    eta_min, T_i, T_cur = 1e-10, 10, 0.0
    expected = [0.05]
    epochs = [0.0]
    for k in range(1, 300):
        T_cur = round(T_cur + 0.1, 1)
        if T_cur >= T_i:
            T_cur, T_i = T_cur - T_i, T_i * T_mult
        expected.append(eta_min + (0.05 - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2)
        epochs.append(round(k * 0.1, 1))
    s = repeat(cosine_decay(10, to=eta_min / 0.05), mult=T_mult).scale(0.05)
    assert_peer([s(e) for e in epochs], expected, atol=ATOL, what=f"WarmRestarts fractional T_mult={T_mult}")


def test_CosineAnnealingWarmRestarts_lr3():
    # test_CosineAnnealingWarmRestarts_lr3: interleaved epochs, expected T_cur and T_i per epoch
    cases = [
        (1, [1, 2, 3, 4, 5, 12, 27, 3, 4, 5, 6, 13], [1, 2, 3, 4, 5, 2, 7, 3, 4, 5, 6, 3], [10] * 12),
        (2, [1, 2, 3, 4, 5, 25, 32, 33, 34, 80, 81, 3], [1, 2, 3, 4, 5, 15, 2, 3, 4, 10, 11, 3],
         [10, 10, 10, 10, 10, 20, 40, 40, 40, 80, 80, 10]),
        (3, [0.1, 0.2, 0.3, 1.3, 2.3, 17.5, 18.5, 19.5, 29.5, 30.5, 31.5, 50],
         [0.1, 0.2, 0.3, 1.3, 2.3, 7.5, 8.5, 9.5, 19.5, 20.5, 21.5, 10], [10, 10, 10, 10, 10, 30, 30, 30, 30, 30, 30,
                                                                         90]),
    ]
    eta_min = 1e-10
    for T_mult, epochs, T_curs, T_is in cases:
        s = repeat(cosine_decay(10, to=eta_min / 0.05), mult=T_mult).scale(0.05)
        expected = [eta_min + (0.05 - eta_min) * (1 + math.cos(math.pi * c / i)) / 2
                    for c, i in zip(T_curs, T_is, strict=True)]
        # the epochs come out of order (a jump back in time); torch and rampup's closed form read each afresh
        got = [s(e) for e in epochs]
        assert_peer(got, expected, atol=ATOL, what=f"WarmRestarts interleaved T_mult={T_mult}")


def test_swalr_no_anneal():
    # test_swalr_no_anneal: 10 epochs, swa_start 5, swa_lr 0.01, anneal_epochs 1
    swa = 0.01
    got = torch_group_lrs([constant(6, value=1.0) >> constant(value=swa / b) for b in BASES], BASES, 10)
    expected = np.array([[b] * 6 + [swa] * 4 for b in BASES]).T
    assert_peer(got, expected, atol=ATOL, what="SWALR no anneal")


@pytest.mark.parametrize("strategy,swa_lrs,anneal", [("cos", [0.01, 0.01], 5), ("linear", [0.01, 0.02], 4)])
def test_swalr_anneal_after_multiplicative(strategy, swa_lrs, anneal):
    # test_swalr_cosine_anneal_after_multiplicative, test_swalr_linear_anneal_after_multiplicative: the LR is
    # multiplied by 0.9 for swa_start + 1 = 6 epochs, then anneals from there to swa_lr with coefficient
    # c(t) = (1 + cos(pi (t + 1) / A)) / 2 (or 1 - (t + 1) / A), 0 from t + 1 = A on
    mult, epochs, swa_start = 0.9, 15, 5

    def coef(t):
        if t + 1 >= anneal:
            return 0.0
        return (1 + math.cos(math.pi * (t + 1) / anneal)) / 2 if strategy == "cos" else 1 - (t + 1) / anneal

    expected = []
    for b, swa in zip(BASES, swa_lrs, strict=True):
        before = [b * mult**i for i in range(swa_start + 1)]
        expected.append(before + [before[-1] * coef(t) + swa * (1 - coef(t)) for t in range(epochs - swa_start - 1)])
    fall = cosine_decay if strategy == "cos" else linear_decay
    ours = [exp_decay(mult, duration=swa_start + 1)
            >> fall(anneal, start=mult**swa_start, to=swa / b, offset=1)
            for b, swa in zip(BASES, swa_lrs, strict=True)]
    assert_peer(torch_group_lrs(ours, BASES, epochs), np.array(expected).T, atol=ATOL,
                what=f"SWALR {strategy} anneal after MultiplicativeLR")


# -- ReduceLROnPlateau: no schedule of the step; a warmup of 0 updates in front of it through WarmupThen -----------

PLATEAU = [
    ("test_reduce_lr_on_plateau1", [0.5] * 20, [10 - i * 0.0167 for i in range(20)], 10,
     {"threshold_mode": "abs", "mode": "min", "threshold": 0.01, "patience": 5, "cooldown": 5}),
    ("test_reduce_lr_on_plateau2", [0.5] * 6 + [0.05] * 7 + [0.005] * 7 + [0.0005] * 2,
     [10 - i * 0.0165 for i in range(22)], 22,
     {"patience": 5, "cooldown": 0, "threshold_mode": "abs", "mode": "min", "threshold": 0.1}),
    ("test_reduce_lr_on_plateau3", [0.5] * (2 + 6) + [0.05] * (5 + 6) + [0.005] * 4, [-0.8] * 2 + [-0.234] * 20, 22,
     {"mode": "max", "patience": 5, "cooldown": 5, "threshold_mode": "abs"}),
    ("test_reduce_lr_on_plateau4", [0.5] * 20, [1.5 * (1.025**i) for i in range(20)], 20,
     {"mode": "max", "patience": 3, "threshold_mode": "rel", "threshold": 0.1}),
    ("test_reduce_lr_on_plateau5", [0.5] * 6 + [0.05] * (5 + 6) + [0.005] * 4, [1.5 * (1.005**i) for i in range(20)],
     20, {"mode": "max", "threshold_mode": "rel", "threshold": 0.1, "patience": 5, "cooldown": 5}),
    ("test_reduce_lr_on_plateau6", [0.5] * 20, [1.5 * (0.85**i) for i in range(20)], 20,
     {"mode": "min", "threshold_mode": "rel", "threshold": 0.1}),
    ("test_reduce_lr_on_plateau7", [0.5] * 6 + [0.05] * (5 + 6) + [0.005] * 4, [1] * 7 + [0.6] + [0.5] * 12, 20,
     {"mode": "min", "threshold_mode": "rel", "threshold": 0.1, "patience": 5, "cooldown": 5}),
]


@pytest.mark.parametrize("name,expected,metrics,epochs,kwargs", PLATEAU, ids=[c[0] for c in PLATEAU])
def test_reduce_lr_on_plateau_behind_zero_warmup(name, expected, metrics, epochs, kwargs):
    """torch's test reads the LR after each ``step(metric)``; ``WarmupThen(optimizer, 0, plateau)`` must hand
    every step to the plateau scheduler unchanged."""
    import torch

    p = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=0.5)
    sched = rampup.torch.WarmupThen(opt, 0, ls.ReduceLROnPlateau(opt, **kwargs))
    got = []
    for epoch in range(epochs):
        opt.zero_grad()
        p.sum().backward()
        opt.step()
        sched.step(metrics[epoch])
        got.append(float(opt.param_groups[0]["lr"]))
    assert_peer(got, expected[:epochs], atol=ATOL, what=f"{name} behind WarmupThen(0)")


def test_reduce_lr_on_plateau8_two_groups_behind_zero_warmup():
    # test_reduce_lr_on_plateau8: two groups at 0.5 with min_lr [0.4, 0.3]
    import torch

    ps = [torch.nn.Parameter(torch.zeros((), dtype=torch.float64)) for _ in range(2)]
    opt = torch.optim.SGD([{"params": [p]} for p in ps], lr=0.5)
    plateau = ls.ReduceLROnPlateau(opt, mode="max", threshold_mode="rel", min_lr=[0.4, 0.3], threshold=0.1,
                                   patience=5, cooldown=5)
    sched = rampup.torch.WarmupThen(opt, 0, plateau)
    got = []
    for epoch in range(20):
        opt.zero_grad()
        sum(p.sum() for p in ps).backward()
        opt.step()
        sched.step(1.5 * (1.005**epoch))
        got.append([g["lr"] for g in opt.param_groups])
    expected = np.array([[0.5] * 6 + [0.4] * 14, [0.5] * 6 + [0.3] * 14]).T
    assert_peer(got, expected, atol=ATOL, what="ReduceLROnPlateau min_lr per group behind WarmupThen(0)")


def test_sequentiallr_no_warnings():
    # test_sequentiallr_no_warnings: LinearLR(0.5 -> 0.1, 5) then ExponentialLR(0.9); stepping warns nothing
    import warnings

    s = linear_decay(5, start=0.5, to=0.1) >> exp_decay(0.9, start=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lrs = torch_group_lrs(s, [0.05], 10)[:, 0]
    theirs = peer_lrs(lambda o: ls.SequentialLR(o, [ls.LinearLR(o, 0.5, 0.1, total_iters=5),
                                                    ls.ExponentialLR(o, gamma=0.9)], milestones=[5]), [0.05], 10)
    assert_peer(lrs, theirs[:, 0], rtol=1e-9, what="SequentialLR LinearLR >> ExponentialLR")
