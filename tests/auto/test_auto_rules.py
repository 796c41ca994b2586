"""rampup.auto.warmup_from_optimizer on real torch optimizers: the untuned rule of Ma & Yarats from each group's
beta2, Goyal et al.'s 5 epochs for SGD, and a clear error (or the explicit default) for the others."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

import rampup  # noqa: E402
import rampup.torch  # noqa: E402
from rampup.auto import warmup_from_optimizer  # noqa: E402


def params(n=2):
    return [torch.nn.Parameter(torch.zeros(3)) for _ in range(n)]


@pytest.mark.parametrize("beta2", [0.999, 0.98, 0.95])
def test_adam_linear_is_min_1_t_plus_1_times_1_minus_beta2_over_2(beta2):
    c = warmup_from_optimizer(torch.optim.Adam(params(1), lr=1e-3, betas=(0.9, beta2)))
    s = c.schedule
    w = 2 / (1 - beta2)  # Ma & Yarats: warm up over 2 / (1 - beta2) updates
    assert s(round(w) - 1) == 1.0 and s(round(w) - 2) < 1.0  # offset=1: the peak is reached at update W - 1
    for t in [0, 1, 10, int(w) // 2, int(w) - 2, int(w) + 5]:
        assert s(t) == pytest.approx(min(1.0, (t + 1) * (1 - beta2) / 2), rel=1e-9)
    e = c.explanations[0]
    assert e.rule == "untuned-linear" and e.inputs["beta2"] == beta2 and "1910.04209" in e.source
    assert str(round(w)) in e.sentence


def test_adam_exponential_is_1_minus_exp():
    c = warmup_from_optimizer(torch.optim.Adam(params(1), lr=1e-3, betas=(0.9, 0.999)), kind="exponential")
    for t in [0, 5, 999, 5000]:
        assert c.schedule(t) == pytest.approx(1 - math.exp(-(t + 1) / 1000), rel=1e-12)
    assert c.explanations[0].rule == "untuned-exponential"


def test_adamw_groups_with_different_betas_get_their_own_warmup():
    a, b = params()
    opt = torch.optim.AdamW([{"params": [a], "betas": (0.9, 0.98)}, {"params": [b], "betas": (0.9, 0.999)}],
                            lr=1e-3)
    c = warmup_from_optimizer(opt, then="cosine_decay()", total_steps=4000)
    s0, s1 = c.schedule  # a list: the groups differ
    assert s0(99) == 1.0 and s0(49) == pytest.approx(0.5)
    assert s1(1999) == 1.0 and s1(999) == pytest.approx(0.5)
    # the untuned warmup (offset 1) reaches the peak at update 1999, where the cosine takes over for the 2001
    # updates left: u = t - 1999 of D = 2001
    assert s1(3999) == pytest.approx(0.5 * (1 + math.cos(math.pi * 2000 / 2001)), abs=1e-12)
    assert "group 0" in c.explain() and "group 1" in c.explain()
    sched = rampup.torch.Scheduler(opt, c.schedule)  # what the scheduler takes
    assert sched.get_last_lr() == pytest.approx([1e-3 / 100, 1e-3 / 2000])


def test_adam_subclass_and_nadam_follow_the_rule():
    class MyAdam(torch.optim.Adam):
        pass

    for opt in (MyAdam(params(1), betas=(0.9, 0.99)), torch.optim.NAdam(params(1), betas=(0.9, 0.99))):
        assert warmup_from_optimizer(opt).schedule(199) == 1.0
        assert warmup_from_optimizer(opt).schedule(98) == pytest.approx(0.495)


def test_sgd_goyal_five_epochs():
    opt = torch.optim.SGD(params(1), lr=0.4, momentum=0.9)
    c = warmup_from_optimizer(opt, steps_per_epoch=50)
    assert c.schedule(125) == pytest.approx(0.5) and c.schedule(250) == 1.0  # 5 x 50 updates, linear from 0
    e = c.explanations[0]
    assert e.rule == "goyal-sgd" and e.inputs == {"optimizer": "SGD", "momentum": 0.9, "steps_per_epoch": 50,
                                                   "warmup": 250}
    assert "1706.02677" in e.source


def test_sgd_without_steps_per_epoch_takes_goyals_share_of_the_run_or_stays_in_epochs():
    opt = torch.optim.SGD(params(1), lr=0.4, momentum=0.9)
    c = warmup_from_optimizer(opt, total_steps=900)
    assert c.schedule.length == 50  # 5 of 90 epochs of 900 updates
    assert "steps_per_epoch" in c.explain() and "900" in c.explain()
    c = warmup_from_optimizer(opt)
    assert c.schedule == rampup.linear_warmup("5ep")
    with pytest.raises(rampup.BudgetError, match="steps_per_epoch"):
        rampup.torch.Scheduler(opt, c.schedule)
    assert rampup.torch.Scheduler(opt, c.schedule, steps_per_epoch=10).values(25)["lr"] == [pytest.approx(0.2)]


def test_radam_needs_no_extra_warmup():
    c = warmup_from_optimizer(torch.optim.RAdam(params(1)))
    assert c.schedule(0) == 1.0 and c.explanations[0].rule == "radam-builtin"


@pytest.mark.parametrize("cls", [torch.optim.RMSprop, torch.optim.Adagrad, torch.optim.Adadelta])
def test_optimizers_without_a_rule_raise_unless_a_default_is_given(cls):
    opt = cls(params(1))
    with pytest.raises(rampup.RampupError, match=f"no warmup rule for {cls.__name__}.*default="):
        warmup_from_optimizer(opt)
    c = warmup_from_optimizer(opt, default="linear_warmup(10%)", total_steps=300)
    assert c.schedule(15) == pytest.approx(0.5)
    assert c.explanations[0].rule == "default" and cls.__name__ in c.explain()


@pytest.mark.parametrize("kwargs, match", [
    ({"kind": "cosine"}, "kind must be one of 'linear', 'exponential'"),
    ({"then": 3}, "then must be a rampup schedule"),
    ({"budget": rampup.Budget(total_steps=10), "total_steps": 10}, "not both"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(rampup.RampupError, match=match):
        warmup_from_optimizer(torch.optim.Adam(params(1)), **kwargs)


def test_not_an_optimizer():
    with pytest.raises(rampup.RampupError, match="optimizer must be a torch optimizer"):
        warmup_from_optimizer("adam")


def test_import_rampup_auto_does_not_import_torch():
    code = "import sys, rampup, rampup.auto; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
