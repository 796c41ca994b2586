"""rampup.torch.WarmupThen: after the warmup, the wrapped torch scheduler gives its own sequence exactly."""

from __future__ import annotations

import pytest
import torch
from _torch_util import make_opt, record, save_load, update
from torch.optim import lr_scheduler as lrs

import rampup
from rampup.torch import WarmupThen

BASES = (0.1, 0.03)
AFTER = {
    "StepLR": lambda o: lrs.StepLR(o, step_size=3, gamma=0.5),
    "CosineAnnealingLR": lambda o: lrs.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda o: lrs.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.001),
    "ExponentialLR": lambda o: lrs.ExponentialLR(o, gamma=0.8),
    "OneCycleLR": lambda o: lrs.OneCycleLR(o, max_lr=[0.2, 0.05], total_steps=20),
    "MultiStepLR": lambda o: lrs.MultiStepLR(o, milestones=[2, 5], gamma=0.3),
    "PolynomialLR": lambda o: lrs.PolynomialLR(o, total_iters=8, power=2.0),
}
LOSSES = [1.0, 0.9, 0.95, 0.97, 0.96, 0.99, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9]


def alone(make, n):
    opt = make_opt(BASES)
    sched = make(opt)
    used = record(opt)
    for _ in range(n):
        update(opt)
        sched.step()
    return used


@pytest.mark.parametrize("name", sorted(AFTER))
def test_after_the_warmup_the_wrapped_scheduler_runs_as_alone(name):
    W, n = 5, 15
    opt = make_opt(BASES)
    sched = WarmupThen(opt, rampup.cosine_warmup(W), AFTER[name](opt))
    used = record(opt)
    for _ in range(W + n):
        update(opt)
        sched.step()
    ref = alone(AFTER[name], n)
    start = ref[0]  # what the wrapped scheduler starts from
    for t in range(W):
        w = 0.5 * (1 - torch.cos(torch.tensor(torch.pi * t / W, dtype=torch.float64))).item()
        assert used[t] == pytest.approx([s * w for s in start], rel=1e-12, abs=1e-15)
    assert used[W:] == ref


@pytest.mark.parametrize("at", [2, 5, 9])
@pytest.mark.parametrize("name", ["CosineAnnealingWarmRestarts", "StepLR", "OneCycleLR"])
def test_state_round_trips_inside_and_after_the_warmup(name, at):
    W, n = 5, 16
    opt = make_opt(BASES)
    first = WarmupThen(opt, W, AFTER[name](opt))
    used = record(opt)
    for _ in range(n):
        update(opt)
        first.step()
    opt = make_opt(BASES)
    part = WarmupThen(opt, W, AFTER[name](opt))
    head = record(opt)
    for _ in range(at):
        update(opt)
        part.step()
    ckpt = save_load({"opt": opt.state_dict(), "sched": part.state_dict()})
    opt2 = make_opt(BASES)
    second = WarmupThen(opt2, W, AFTER[name](opt2))
    opt2.load_state_dict(ckpt["opt"])
    second.load_state_dict(ckpt["sched"])
    tail = record(opt2)
    for _ in range(n - at):
        update(opt2)
        second.step()
    assert head + tail == used


def test_reduce_lr_on_plateau_gets_the_metrics_after_the_warmup():
    W = 4
    opt = make_opt(BASES)
    sched = WarmupThen(opt, W, lrs.ReduceLROnPlateau(opt, factor=0.5, patience=1))
    used = record(opt)
    for i in range(W + len(LOSSES)):
        update(opt)
        sched.step()  # the warmup's clock, every update
        if i % 2 == 1:
            sched.step(1.0)  # a metric during the warmup is ignored; no update since, so the clock stays
    assert [u[0] for u in used[:W + 1]] == pytest.approx([0.0, 0.025, 0.05, 0.075, 0.1])
    # the wrapped scheduler alone, fed the same metrics, one per update
    ref_opt = make_opt(BASES)
    ref = lrs.ReduceLROnPlateau(ref_opt, factor=0.5, patience=1)
    ref_used = []
    opt2 = make_opt(BASES)
    wrapped = WarmupThen(opt2, W, lrs.ReduceLROnPlateau(opt2, factor=0.5, patience=1))
    got = record(opt2)
    for _ in range(W):
        update(opt2)
        wrapped.step()
    for loss in LOSSES:
        ref_used.append([g["lr"] for g in ref_opt.param_groups])
        ref.step(loss)
        update(opt2)
        wrapped.step(loss)
    assert got[W:] == ref_used
    assert ref_used[-1] != ref_used[0]  # the plateau did reduce the LR
    state = save_load(wrapped.state_dict())
    assert state["after"]["num_bad_epochs"] == ref.num_bad_epochs


def test_bad_input():
    opt = make_opt(BASES)
    after = lrs.StepLR(opt, 2)
    with pytest.raises(rampup.RampupError, match="after must be a torch LR scheduler"):
        WarmupThen(opt, 5, "cosine")
    with pytest.raises(rampup.RampupError, match="another optimizer"):
        WarmupThen(make_opt(BASES), 5, after)
    with pytest.raises(rampup.RampupError, match="whole number of updates >= 0"):
        WarmupThen(opt, "exp_warmup(3.0)", after)
    with pytest.raises(rampup.BudgetError, match="total_steps"):
        WarmupThen(opt, "linear_warmup(5%)", after)
    with pytest.raises(rampup.RampupError, match="metrics are for ReduceLROnPlateau"):
        WarmupThen(opt, 2, after).step(0.5)


def test_a_state_saved_by_rampup_0_1_resumes():
    # WarmupThen(opt, 3, StepLR(opt, 2, gamma=0.5)) after 6 updates, as rampup 0.1 saved it (no "count" key)
    state = {"format": "rampup.torch.WarmupThen/1", "step": 6, "warmup": "linear_warmup(3)", "base_lrs": [0.1, 0.01],
             "after": {"step_size": 2, "gamma": 0.5, "base_lrs": [0.1, 0.01], "last_epoch": 3, "_step_count": 4,
                       "_is_initial": False, "_get_lr_called_within_step": False, "_last_lr": [0.05, 0.005]}}
    opt = make_opt((0.1, 0.01))
    sched = WarmupThen.from_state_dict(opt, state, after=torch.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5))
    assert sched.last_epoch == 6 and sched.count == "updates"
    lrs = []
    for _ in range(3):
        lrs += sched.get_last_lr()
        update(opt)
        sched.step()
    # StepLR's steps 3, 4, 5 (updates 6, 7, 8): 0.1 * 0.5 ** (k // 2)
    assert lrs == pytest.approx([0.05, 0.005, 0.025, 0.0025, 0.025, 0.0025], rel=1e-12)
