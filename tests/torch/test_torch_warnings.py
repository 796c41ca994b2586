"""A learning rate that silently differs from the plan warns once, with the fix in the message; a run whose length
is unknown (-1) is an error that says where to get the number. Every loop here is a real torch training loop."""

from __future__ import annotations

import warnings

import pytest
import torch
from _torch_util import record, warmup_cosine

import rampup
from rampup.torch import Scheduler, StepWarning, WarmupThen


def tiny(lr=1e-3):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    return model, torch.optim.SGD(model.parameters(), lr=lr)


def train_epochs(model, opt, sched, epochs, batches, step_with=None):
    """``batches`` real updates per epoch, the scheduler stepped once per epoch (the timm / LightningCLI habit)."""
    for epoch in range(epochs):
        for _ in range(batches):
            opt.zero_grad()
            model(torch.randn(2, 3)).pow(2).mean().backward()
            opt.step()
        if step_with is None:
            sched.step()
        else:
            sched.step(step_with(epoch))


def caught(fn):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fn()
    return [w for w in seen if issubclass(w.category, StepWarning)]


# -- a step-counted schedule stepped once per epoch ---------------------------------------------------------------
def test_stepping_per_epoch_warns_once_and_says_how_to_fix_it():
    model, opt = tiny()
    sched = Scheduler(opt, "linear(5%) >> cosine(to=0.1)", total_steps=80)  # 4 warmup updates
    used = record(opt)
    seen = caught(lambda: train_epochs(model, opt, sched, epochs=4, batches=20))
    # the wrong LRs the warning is about: all 20 updates of epoch 0 at 0, the whole warmup wasted
    assert [u[0] for u in used[:20]] == [0.0] * 20
    assert used[20][0] == pytest.approx(1e-3 * warmup_cosine(20, 4, 80, 0.1), rel=1e-12)
    assert len(seen) == 1
    msg = str(seen[0].message)
    assert "20 optimizer updates" in msg and "after every optimizer.step()" in msg
    assert "interval='step'" in msg and "count='calls'" in msg


def test_timm_habit_step_with_the_epoch_number_warns():
    model, opt = tiny()
    sched = Scheduler(opt, "linear(2) >> cosine()", total_steps=40)
    seen = caught(lambda: train_epochs(model, opt, sched, epochs=3, batches=10, step_with=lambda e: e + 1))
    assert len(seen) == 1
    assert "step(1)" in str(seen[0].message) and "10 optimizer updates" in str(seen[0].message)


def test_calls_clock_stepped_per_epoch_with_a_budget_in_updates_warns():
    # steps_per_epoch says durations count updates; a calls clock stepped per epoch stretches them 10x
    model, opt = tiny()
    sched = Scheduler(opt, "linear(1ep) >> cosine()", total_steps=40, steps_per_epoch=10, count="calls")
    seen = caught(lambda: train_epochs(model, opt, sched, epochs=3, batches=10))
    assert len(seen) == 1 and "count='calls'" in str(seen[0].message)


def test_a_schedule_written_in_epochs_on_a_calls_clock_is_fine():
    # the documented use of count='calls': 2 warmup epochs, then cosine over 8 epochs, stepped per epoch
    model, opt = tiny()
    sched = Scheduler(opt, "linear(2) >> cosine()", total_steps=10, count="calls")
    used = record(opt)
    assert caught(lambda: train_epochs(model, opt, sched, epochs=4, batches=5)) == []
    assert [u[0] for u in used[::5]] == pytest.approx([1e-3 * warmup_cosine(e, 2, 10, 0.0) for e in range(4)])


def test_a_calls_clock_jumped_to_the_epoch_is_fine():
    # count='calls' with step(epoch): the schedule counts epochs, as the caller says
    model, opt = tiny()
    sched = Scheduler(opt, "linear(2) >> cosine()", total_steps=10, count="calls")
    assert caught(lambda: train_epochs(model, opt, sched, epochs=3, batches=5, step_with=lambda e: e + 1)) == []
    assert sched.last_epoch == 3


def test_stepping_after_every_update_and_accumulation_do_not_warn():
    model, opt = tiny()
    sched = Scheduler(opt, "linear(3) >> cosine()", total_steps=8)
    accum = 4

    def loop():
        for i in range(8 * accum):
            model(torch.randn(2, 3)).sum().backward()
            if (i + 1) % accum == 0:
                opt.step()
                opt.zero_grad()
            sched.step()

    assert caught(loop) == []
    assert sched.last_epoch == 8


def test_plateau_warmup_stepped_only_with_the_metric_warns():
    model, opt = tiny()
    sched = WarmupThen(opt, 5, torch.optim.lr_scheduler.ReduceLROnPlateau(opt))

    def loop():
        for _epoch in range(3):
            for _ in range(10):
                opt.zero_grad()
                model(torch.randn(2, 3)).pow(2).mean().backward()
                opt.step()
            sched.step(1.0)  # the ReduceLROnPlateau habit: only the metric, once per epoch

    seen = caught(loop)
    assert len(seen) == 1 and "WarmupThen" in str(seen[0].message)


# -- step() called again and again with no optimizer update -------------------------------------------------------
def test_preview_loop_without_updates_warns_and_points_to_values():
    _, opt = tiny()
    sched = Scheduler(opt, "linear(3) >> cosine()", total_steps=10)
    lrs = []

    def preview():
        for _ in range(6):
            lrs.append(sched.get_last_lr()[0])
            sched.step()

    seen = caught(preview)
    assert lrs == [0.0] * 6  # the clock counts updates and there were none
    assert len(seen) == 1
    msg = str(seen[0].message)
    assert "no optimizer update" in msg and ".values(" in msg and "rampup show" in msg and "count='calls'" in msg


def test_preview_with_a_calls_clock_gives_the_schedule_and_does_not_warn():
    _, opt = tiny()
    sched = Scheduler(opt, "linear(3) >> cosine()", total_steps=10, count="calls")
    lrs = []

    def preview():
        for _ in range(6):
            lrs.append(sched.get_last_lr()[0])
            sched.step()

    assert caught(preview) == []
    assert lrs == pytest.approx([1e-3 * warmup_cosine(t, 3, 10, 0.0) for t in range(6)], rel=1e-12)


def test_warmup_then_preview_warns_too():
    _, opt = tiny()
    sched = WarmupThen(opt, 3, torch.optim.lr_scheduler.StepLR(opt, 2))
    seen = caught(lambda: [sched.step() for _ in range(4)])
    assert len(seen) == 1 and "WarmupThen" in str(seen[0].message)


def test_grad_scaler_skips_do_not_count_as_a_preview():
    # a GradScaler that skips the first updates leaves the gradients in place: a training run, not a preview
    model, opt = tiny()
    sched = Scheduler(opt, "linear_warmup(4)")
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**8)

    def loop():
        for i in range(5):
            opt.zero_grad()
            scaler.scale(model(torch.randn(4, 3)).pow(2).mean()).backward()
            if i < 3:
                model.weight.grad[0, 0] = float("inf")
            scaler.step(opt)
            scaler.update()
            sched.step()

    assert caught(loop) == []
    assert sched.last_epoch == 2


# -- a run length of -1 -------------------------------------------------------------------------------------------
HINT = r"estimated_stepping_batches.*num_training_steps.*len\(loader\) \* epochs // grad_accum"


@pytest.mark.parametrize("make", [
    lambda o, n: Scheduler(o, "linear(5%) >> cosine()", total_steps=n),
    lambda o, n: WarmupThen(o, "linear(5%)", torch.optim.lr_scheduler.StepLR(o, 2), total_steps=n),
])
def test_hf_max_steps_of_an_epoch_based_run_is_an_error_with_the_hint(tmp_path, make):
    transformers = pytest.importorskip("transformers")
    args = transformers.TrainingArguments(output_dir=str(tmp_path), num_train_epochs=3, report_to=[], use_cpu=True)
    _, opt = tiny()
    with pytest.raises(rampup.RampupError, match="total_steps must be .*got -1.*" + HINT):
        make(opt, args.max_steps)


def test_lightning_max_steps_of_an_epoch_based_run_is_an_error_with_the_hint():
    L = pytest.importorskip("lightning.pytorch")
    trainer = L.Trainer(max_epochs=3, accelerator="cpu", logger=False, enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False)
    assert trainer.max_steps == -1
    _, opt = tiny()
    with pytest.raises(rampup.RampupError, match="Scheduler: total_steps .*got -1.*" + HINT):
        Scheduler(opt, "linear(5%) >> cosine()", total_steps=trainer.max_steps)


# -- repr -----------------------------------------------------------------------------------------------------------
def test_repr_shows_the_schedule_and_the_step():
    model, opt = tiny(0.1)
    sched = Scheduler(opt, "linear(2) >> cosine()", total_steps=6)
    for _ in range(3):
        opt.zero_grad()
        model(torch.randn(2, 3)).sum().backward()
        opt.step()
        sched.step()
    assert repr(sched) == ("rampup.torch.Scheduler('linear_warmup(2) >> cosine_decay(4)', step=3, "
                           "count='updates')")
    after = torch.optim.lr_scheduler.StepLR(opt, 2)
    w = WarmupThen(opt, 2, after)
    assert repr(w) == "rampup.torch.WarmupThen('linear_warmup(2)', after=StepLR, step=0, count='updates')"
