"""What counts as a step: optimizer updates, not scheduler calls (gradient accumulation, GradScaler skips)."""

from __future__ import annotations

import warnings

import pytest
import torch
from _torch_util import record, warmup_cosine

import rampup
from rampup.torch import Scheduler, WarmupThen


def tiny():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    return model, torch.optim.SGD(model.parameters(), lr=0.5)


def test_gradient_accumulation_advances_once_per_update():
    model, opt = tiny()
    sched = Scheduler(opt, "linear(3) >> cosine(to=0.1)", total_steps=8)
    used = record(opt)
    accum = 4
    for i in range(8 * accum):
        model(torch.randn(2, 3)).sum().backward()
        if (i + 1) % accum == 0:
            opt.step()
            opt.zero_grad()
        sched.step()  # called on every micro-batch, as a naive loop does: only real updates count
    assert len(used) == 8
    assert [u[0] for u in used] == pytest.approx([0.5 * warmup_cosine(t, 3, 8, 0.1) for t in range(8)], rel=1e-12)


def scaler_loop(sched_factory, inf_at):
    """A real torch.amp.GradScaler on CPU; the gradient of update ``inf_at`` is made infinite, so the scaler
    skips that optimizer.step()."""
    model, opt = tiny()
    sched = sched_factory(opt)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**8)
    used = record(opt)
    tried = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(6):
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = model(torch.randn(4, 3)).float().pow(2).mean()
            scaler.scale(loss).backward()
            if i in inf_at:
                model.weight.grad[0, 0] = float("inf")
            tried.append(opt.param_groups[0]["lr"])
            scaler.step(opt)
            scaler.update()
            sched.step()
    return used, tried, [str(w.message) for w in caught], scaler


def test_grad_scaler_skip_keeps_the_lr_and_raises_no_warning():
    used, tried, caught, scaler = scaler_loop(lambda o: Scheduler(o, "linear_warmup(4)"), inf_at={0, 3})
    assert caught == []
    assert scaler.get_scale() == 2.0**6  # halved twice: both skips really happened
    assert len(used) == 4  # 6 tries, 2 skipped
    # a skipped update does not count: the LR it would have used is tried again at the next update
    assert tried == [0.0, 0.0, 0.125, 0.25, 0.25, 0.375]
    assert [u[0] for u in used] == [0.0, 0.125, 0.25, 0.375]


def test_torch_lambdalr_in_the_same_loop_warns_and_counts_the_skip():
    # the control: the same loop with torch's own scheduler shows the two problems the test above rules out
    used, _tried, caught, _ = scaler_loop(
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: min(1.0, t / 4)), inf_at={0, 3})
    assert any("lr_scheduler.step()` before `optimizer.step()`" in m for m in caught)
    assert [u[0] for u in used] == [0.125, 0.25, 0.5, 0.5]


def test_warmup_then_does_not_advance_on_a_skip_either():
    def make(o):
        return WarmupThen(o, 2, torch.optim.lr_scheduler.StepLR(o, 1, gamma=0.5))

    used, _tried, caught, _ = scaler_loop(make, inf_at={1})
    assert caught == []
    assert [u[0] for u in used] == [0.0, 0.25, 0.5, 0.25, 0.125]


def test_step_jump_and_budget_errors_name_the_value():
    _, opt = tiny()
    sched = Scheduler(opt, "linear_warmup(4)")
    with pytest.raises(rampup.RampupError, match="got -1"):
        sched.step(-1)
    sched.step(2)
    assert sched.get_last_lr() == [0.25]
