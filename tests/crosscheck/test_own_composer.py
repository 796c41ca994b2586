"""Composer's own scheduler tests, ported by formula: mosaicml/composer ``tests/optim/test_scheduler.py``,
``test_scheduler_init``.

Composer cannot be installed next to this torch. Its test evaluates a scheduler (a multiplier of the optimizer's
LR) at given times of a run of ``max_duration = 1000ep`` with 1000 batches per epoch, that duration multiplied by
the scale-schedule ratio ``ssr``, and compares with ``pytest.approx(abs=1e-3)``. Composer's batch count is rampup's
``step`` (no offset). Composer's durations map to rampup's as the README says (``"0.9dur"`` -> ``"90%"``,
``"500ep"`` -> ``"500ep"``, ``"100ba"`` -> ``100``); ``ssr`` has no rampup parameter: Composer multiplies every
duration that is not a fraction of the run by it (the warmup only with ``scale_warmup=True``), and so do the
rampup specs below. Each spec is parsed against the run's budget (``total_steps``, ``steps_per_epoch=1000``) and
evaluated at the test's times; ``test_through_scheduler`` runs scaled-down versions through
``rampup.torch.Scheduler``.
"""

from __future__ import annotations

import pytest

import rampup

from ._own import torch_group_lrs

EPOCHS, PER_EPOCH = 1000, 1000

# (Composer scheduler as written in its test, ssr, the rampup spec, its peak, test times, Composer's expected LRs)
CASES = [
    ("StepScheduler(step_size='10ba')", 1.0, "step_decay(10)", 1.0, ["5ba", "15ba", "35ba"], [1.0, 0.1, 0.001]),
    ("StepScheduler(step_size='0.002dur', gamma=0.8)", 1.0, "step_decay(0.2%, gamma=0.8)", 1.0,
     ["1000ba", "3000ba", "7000ba"], [1.0, 0.8, 0.512]),
    ("StepScheduler(step_size='1ep', gamma=0.5)", 1.0, "step_decay(1ep, gamma=0.5)", 1.0,
     ["500ba", "1500ba", "3500ba"], [1.0, 0.5, 0.125]),
    ("StepScheduler(step_size='10ba', gamma=0.5)", 0.5, "step_decay(5, gamma=0.5)", 1.0, ["3ba", "8ba", "18ba"],
     [1.0, 0.5, 0.125]),
    ("MultiStepScheduler(milestones=['10ba', '30ba', '70ba'])", 1.0, "multistep([10, 30, 70])", 1.0,
     ["5ba", "20ba", "50ba", "100ba"], [1.0, 0.1, 0.01, 0.001]),
    ("MultiStepScheduler(milestones=['100ba', '1ep', '0.01dur'], gamma=0.5)", 1.0,
     "multistep([100, 1ep, 1%], gamma=0.5)", 1.0, ["50ba", "500ba", "5000ba", "50000ba"], [1.0, 0.5, 0.25, 0.125]),
    ("MultiStepScheduler(milestones=['100ba', '1ep', '0.01dur'], gamma=0.5)", 4.0,
     "multistep([400, 4ep, 1%], gamma=0.5)", 1.0, ["200ba", "2000ba", "20000ba", "200000ba"],
     [1.0, 0.5, 0.25, 0.125]),
    ("LinearScheduler()", 1.0, "linear_decay()", 1.0, ["100000ba", "200000ba", "400000ba"], [0.9, 0.8, 0.6]),
    ("LinearScheduler(alpha_i=0.0, alpha_f=2.0)", 1.0, "linear_warmup(100%)", 2.0,
     ["100000ba", "200000ba", "400000ba"], [0.2, 0.4, 0.8]),
    ("LinearScheduler(alpha_i=0.0, alpha_f=1.0, t_max='0.25dur')", 1.0, "linear_warmup(25%) >> constant()", 1.0,
     ["100000ba", "200000ba", "400000ba"], [0.4, 0.8, 1.0]),
    ("LinearScheduler(alpha_i=0.0, alpha_f=1.0, t_max='0.25dur')", 2.0, "linear_warmup(25%) >> constant()", 1.0,
     ["100000ba", "200000ba", "400000ba"], [0.2, 0.4, 0.8]),
    ("ExponentialScheduler(gamma=0.5)", 1.0, "exp_decay(0.5, every=1ep)", 1.0, ["1ep", "2ep", "4ep"],
     [0.5, 0.25, 0.0625]),
    ("ExponentialScheduler(gamma=0.5)", 2.0, "exp_decay(0.5, every=2ep)", 1.0, ["2ep", "4ep", "8ep"],
     [0.5, 0.25, 0.0625]),
    ("CosineAnnealingScheduler()", 1.0, "cosine_decay()", 1.0, ["0ba", "333333ba", "500000ba", "666667ba",
                                                                "1000000ba"], [1.0, 0.75, 0.5, 0.25, 0.0]),
    ("CosineAnnealingScheduler(t_max='30ba', alpha_f=0.5)", 1.0, "cosine_decay(30, to=0.5)", 1.0,
     ["0ba", "10ba", "15ba", "20ba", "30ba", "50ba"], [1.0, 0.875, 0.75, 0.625, 0.5, 0.5]),
    ("CosineAnnealingScheduler(t_max='30ba', alpha_f=0.5)", 0.2, "cosine_decay(6, to=0.5)", 1.0,
     ["0ba", "2ba", "3ba", "4ba", "6ba", "10ba"], [1.0, 0.875, 0.75, 0.625, 0.5, 0.5]),
    ("CosineAnnealingWarmRestartsScheduler(t_0='30ba')", 1.0, "repeat(cosine_decay(30))", 1.0,
     ["0ba", "10ba", "15ba", "20ba", "30ba", "40ba"], [1.0, 0.75, 0.5, 0.25, 1.0, 0.75]),
    ("CosineAnnealingWarmRestartsScheduler(t_0='0.003dur', t_mult=1.5)", 1.0,
     "repeat(cosine_decay(0.3%), mult=1.5)", 1.0, ["0ba", "1000ba", "3000ba", "4500ba", "7500ba", "14250ba"],
     [1.0, 0.75, 1.0, 0.75, 1.0, 1.0]),
    ("CosineAnnealingWarmRestartsScheduler(t_0='30ep', t_mult=2.0, alpha_f=0.5)", 0.5,
     "repeat(cosine_decay(15ep, to=0.5), mult=2)", 1.0, ["0ba", "5000ba", "15000ba", "25000ba"],
     [1.0, 0.875, 1.0, 0.875]),
    ("PolynomialScheduler(power=2.0)", 1.0, "poly_decay(power=2)", 1.0, ["0ba", "100000ba", "200000ba", "500000ba"],
     [1.0, 0.81, 0.64, 0.25]),
    ("PolynomialScheduler(power=2.0, t_max='100ba', alpha_f=0.5)", 1.0, "poly_decay(100, to=0.5, power=2)", 1.0,
     ["0ba", "10ba", "20ba", "50ba"], [1.0, 0.905, 0.82, 0.625]),
    ("PolynomialScheduler(power=2.0, t_max='100ba', alpha_f=0.5)", 0.5, "poly_decay(50, to=0.5, power=2)", 1.0,
     ["0ba", "10ba", "20ba", "50ba"], [1.0, 0.82, 0.68, 0.5]),
    # Composer's milestones count from the start of the run; a rampup phase counts from its own start
    ("MultiStepWithWarmupScheduler(t_warmup='10ba', milestones=['20ba', '40ba'])", 1.0,
     "linear_warmup(10) >> multistep([10, 30])", 1.0, ["0ba", "5ba", "15ba", "25ba", "45ba"],
     [0.0, 0.5, 1.0, 0.1, 0.01]),
    ("MultiStepWithWarmupScheduler(t_warmup='10ba', milestones=['2ep', '4ep'], gamma=0.5)", 0.5,
     "linear_warmup(10) >> multistep([990, 1990], gamma=0.5)", 1.0, ["0ba", "5ba", "15ba", "1500ba", "2500ba"],
     [0.0, 0.5, 1.0, 0.5, 0.25]),
    ("MultiStepWithWarmupScheduler(t_warmup='10ba', milestones=['2ep', '4ep'], gamma=0.5, scale_warmup=True)", 0.5,
     "linear_warmup(5) >> multistep([995, 1995], gamma=0.5)", 1.0, ["0ba", "5ba", "15ba", "1500ba", "2500ba"],
     [0.0, 1.0, 1.0, 0.5, 0.25]),
    ("MultiStepWithWarmupScheduler(t_warmup='1000ep', milestones=[])", 1.0, "linear_warmup(1000ep) >> constant()",
     1.0, ["0ep", "100ep", "1000ep"], [0.0, 0.1, 1.0]),
    ("ConstantWithWarmupScheduler(t_warmup='500ep')", 1.0, "linear_warmup(500ep) >> constant()", 1.0,
     ["0ba", "250000ba", "500000ba", "750000ba", "1000000ba"], [0.0, 0.5, 1.0, 1.0, 1.0]),
    # alpha=3.0 multiplies the optimizer's LR: in rampup the peak is that LR, 3 times the optimizer's
    ("ConstantWithWarmupScheduler(t_warmup='500ep', alpha=3.0)", 1.0, "linear_warmup(500ep) >> constant()", 3.0,
     ["0ba", "250000ba", "500000ba", "500500ba", "501000ba", "502000ba"], [0.0, 1.5, 3.0, 3.0, 3.0, 3.0]),
    ("ConstantWithWarmupScheduler(t_warmup='0.0005dur')", 1.0, "linear_warmup(0.05%) >> constant()", 1.0,
     ["0ba", "250ba", "500ba", "499750ba"], [0.0, 0.5, 1.0, 1.0]),
    ("ConstantWithWarmupScheduler(t_warmup='500ep', alpha=3.0, t_max='501000ep')", 0.5,
     "linear_warmup(500ep) >> constant()", 3.0, ["0ba", "250000ba", "500000ba", "500500ba", "501000ba", "502000ba"],
     [0.0, 1.5, 3.0, 3.0, 3.0, 3.0]),
    ("ConstantWithWarmupScheduler(t_warmup='1000ep')", 1.0, "linear_warmup(1000ep) >> constant()", 1.0,
     ["0ep", "100ep", "1000ep"], [0.0, 0.1, 1.0]),
    ("LinearWithWarmupScheduler(t_warmup='500ep')", 1.0, "linear_warmup(500ep) >> linear_decay()", 1.0,
     ["0ba", "250000ba", "500000ba", "750000ba", "1000000ba"], [0.0, 0.5, 1.0, 0.5, 0.0]),
    ("LinearWithWarmupScheduler(t_warmup='500ep', alpha_i=3.0, alpha_f=2.0, t_max='1002ep')", 0.5,
     "linear_warmup(500000) >> linear_decay(1000, to=0.6666666666666666)", 3.0,
     ["0ba", "250000ba", "500000ba", "500500ba", "501000ba", "502000ba"], [0.0, 1.5, 3.0, 2.5, 2.0, 2.0]),
    ("LinearWithWarmupScheduler(t_warmup='0.0005dur')", 1.0, "linear_warmup(0.05%) >> linear_decay()", 1.0,
     ["0ba", "250ba", "500ba", "499750ba"], [0.0, 0.5, 1.0, 0.5]),
    ("LinearWithWarmupScheduler(t_warmup='500ba', scale_warmup=False)", 0.5, "linear_warmup(500) >> linear_decay()",
     1.0, ["0ba", "250ba", "500ba", "249875ba"], [0.0, 0.5, 1.0, 0.5]),
    ("LinearWithWarmupScheduler(t_warmup='500ba', scale_warmup=True)", 0.5, "linear_warmup(250) >> linear_decay()",
     1.0, ["0ba", "125ba", "250ba", "249875ba"], [0.0, 0.5, 1.0, 0.5]),
    # a warmup as long as the run: see test_decay_of_zero_length
    ("LinearWithWarmupScheduler(t_warmup='1000ep')", 1.0, "linear_warmup(1000ep) >> constant()", 1.0,
     ["0ep", "100ep", "1000ep"], [0.0, 0.1, 1.0]),
    ("CosineAnnealingWithWarmupScheduler(t_warmup='0.9dur')", 1.0, "linear(90%) >> cosine()", 1.0,
     ["0ba", "450000ba", "900000ba", "933333ba", "950000ba", "1000000ba"], [0.0, 0.5, 1.0, 0.75, 0.5, 0.0]),
    ("CosineAnnealingWithWarmupScheduler(t_warmup='0.9dur', alpha_f=0.5)", 0.01, "linear(90%) >> cosine(to=0.5)",
     1.0, ["0ba", "4500ba", "9000ba", "9333ba", "9500ba", "10000ba"], [0.0, 0.5, 1.0, 0.875, 0.75, 0.5]),
    ("CosineAnnealingWithWarmupScheduler(t_warmup='0.9dur', alpha_f=0.5, scale_warmup=True)", 0.01,
     "linear(90%) >> cosine(to=0.5)", 1.0, ["0ba", "4500ba", "9000ba", "9333ba", "9500ba", "10000ba"],
     [0.0, 0.5, 1.0, 0.875, 0.75, 0.5]),
    ("CosineAnnealingWithWarmupScheduler(t_warmup='1000ep')", 1.0, "linear(1000ep) >> constant()", 1.0,
     ["0ep", "100ep", "1000ep"], [0.0, 0.1, 1.0]),
    ("PolynomialWithWarmupScheduler(t_warmup='0.9dur')", 1.0, "linear(90%) >> poly(power=2)", 1.0,
     ["0ba", "450000ba", "900000ba", "913397ba", "929289ba", "1000000ba"], [0.0, 0.5, 1.0, 0.75, 0.5, 0.0]),
    ("PolynomialWithWarmupScheduler(t_warmup='0.9dur', alpha_f=0.5)", 0.01, "linear(90%) >> poly(to=0.5, power=2)",
     1.0, ["0ba", "4500ba", "9000ba", "9134ba", "9293ba", "10000ba"], [0.0, 0.5, 1.0, 0.875, 0.75, 0.5]),
    ("PolynomialWithWarmupScheduler(t_warmup='0.9dur', alpha_f=0.5, scale_warmup=True)", 0.01,
     "linear(90%) >> poly(to=0.5, power=2)", 1.0, ["0ba", "4500ba", "9000ba", "9134ba", "9293ba", "10000ba"],
     [0.0, 0.5, 1.0, 0.875, 0.75, 0.5]),
    ("PolynomialWithWarmupScheduler(t_warmup='1000ep')", 1.0, "linear(1000ep) >> constant()", 1.0,
     ["0ep", "100ep", "1000ep"], [0.0, 0.1, 1.0]),
]


def batches(t: str) -> int:
    return int(t[:-2]) * PER_EPOCH if t.endswith("ep") else int(t[:-2])


@pytest.mark.parametrize("name,ssr,spec,peak,times,expected", CASES, ids=[f"{c[0]}@ssr={c[1]}" for c in CASES])
def test_scheduler_init(name, ssr, spec, peak, times, expected):
    # tests/optim/test_scheduler.py test_scheduler_init: pytest.approx(expected, abs=1e-3) at each time
    total = int(EPOCHS * ssr) * PER_EPOCH
    # a t_max beyond the run (1002ep of a 500ep run) is a schedule longer than total_steps, which rampup refuses
    # when it is given total_steps: such a spec is written in steps and parsed without it
    outlasts = "t_max='1002ep'" in name
    s = rampup.parse(spec, steps_per_epoch=PER_EPOCH, **({} if outlasts else {"total_steps": total}))
    got = [peak * s(batches(t)) for t in times]
    assert got == pytest.approx(expected, abs=1e-3), f"{name} as {s!r}"


@pytest.mark.parametrize("spec,total,times,expected", [
    ("linear(90%) >> cosine(to=0.5)", 3000, [0, 1350, 2700, 2800, 2850, 3000], [0.0, 0.5, 1.0, 0.875, 0.75, 0.5]),
    ("linear_warmup(10) >> multistep([10, 30])", 60, [0, 5, 15, 25, 45], [0.0, 0.5, 1.0, 0.1, 0.01]),
    ("repeat(cosine_decay(30))", 50, [0, 10, 15, 20, 30, 40], [1.0, 0.75, 0.5, 0.25, 1.0, 0.75]),
])
def test_through_scheduler(spec, total, times, expected):
    # the same shapes at a run length a real torch loop covers, through rampup.torch.Scheduler
    s = rampup.parse(spec, total_steps=total)
    lrs = torch_group_lrs(s, [1.0], total + 1)[:, 0]
    assert [lrs[t] for t in times] == pytest.approx(expected, abs=1e-3)


def test_warmup_longer_than_the_run_fails_fast():
    # test_warmup_schedulers_fail_fast: a warmup longer than the scheduler's t_max raises at once; rampup raises
    # when the budget is resolved (a fixed phase longer than total_steps)
    with pytest.raises(rampup.RampupError):
        rampup.parse("linear_warmup(150) >> cosine_decay()", total_steps=100)


@pytest.mark.parametrize("tail", ["linear_decay()", "cosine()", "poly(power=2)"])
def test_decay_of_zero_length(tail):
    """``*WithWarmupScheduler(t_warmup='1000ep')`` over a 1000ep run: Composer is 1.0 at t = t_warmup = t_max (its
    decay of zero length holds the warmup's peak). rampup's zero-length decay is at its floor at once, as HF's
    (``num_warmup_steps = num_training_steps``) and torch's are: a documented difference, and
    ``linear(1000ep) >> constant()`` is Composer's schedule exactly (test_scheduler_init)."""
    s = rampup.parse(f"linear(1000ep) >> {tail}", total_steps=EPOCHS * PER_EPOCH, steps_per_epoch=PER_EPOCH)
    assert s(EPOCHS * PER_EPOCH - 1) == pytest.approx(1.0, abs=1e-5) and s(EPOCHS * PER_EPOCH) == 0.0
