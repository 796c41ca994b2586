"""The automatic warmup's pace: the optimizer rule caps itself for short runs instead of failing, and auto_warmup's
ramp is a function of what the probe and the optimizer show, never of total_steps, never of an error path."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

import rampup  # noqa: E402
from rampup.auto import auto_warmup, warmup_from_optimizer  # noqa: E402


def _adam(beta2=0.999, lr=1e-3):
    return torch.optim.Adam([torch.zeros(2, requires_grad=True)], lr=lr, betas=(0.9, beta2))


@pytest.mark.parametrize("total", [600, 1000, 1999, 3])
def test_the_adam_rule_caps_itself_at_half_a_short_run(total):
    # Ma & Yarats: 2 / (1 - 0.999) = 2000 updates, more than the run: capped at half of it, said so
    choice = warmup_from_optimizer(_adam(0.999), total_steps=total)
    w = choice.schedule
    cap = max(1, total // 2)  # the untuned warmup min(1, (t + 1) / W) with W = 2000 capped to this
    assert [float(w(t)) for t in range(total)] == pytest.approx([min(1.0, (t + 1) / cap) for t in range(total)])
    assert "capped" in choice.explain() and str(total) in choice.explain()


def test_the_rule_is_unchanged_where_it_fits_half_the_run():
    # beta2 0.98: 100 updates (the first at 1/100 of the peak), within half of 200: the rule as published
    choice = warmup_from_optimizer(_adam(0.98), total_steps=200)
    assert choice.schedule == rampup.linear_warmup(100, offset=1).resolve(rampup.Budget(total_steps=200))
    assert "capped" not in choice.explain()


def test_the_sgd_rule_caps_itself_too():
    opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    # Goyal's 5 epochs of 100 updates = 500 updates, in a 300-update run: half of it
    choice = warmup_from_optimizer(opt, steps_per_epoch=100, total_steps=300)
    assert choice.schedule.length == 150 and "capped" in choice.explain()


def test_the_cap_follows_the_run_length_continuously():
    firsts = [float(warmup_from_optimizer(_adam(0.999), total_steps=t).schedule(0)) for t in range(3990, 4010)]
    # the first update at 1 / min(2000, t // 2) of the peak: no jump where the rule starts to fit
    assert firsts == pytest.approx([1 / min(2000, t // 2) for t in range(3990, 4010)])


# ---- auto_warmup's ramp on a small real model ----------------------------------------------------------------

def _task():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 8, generator=g)
    y = torch.tanh(x @ torch.randn(8, 1, generator=g))
    return x, y


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))


def _loss(m, batch):
    xb, yb = batch
    return ((m(xb) - yb) ** 2).mean()


def _batches(x, y, n, seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        i = torch.randint(0, len(x), (32,), generator=g)
        out.append((x[i], y[i]))
    return out


def _run(total_steps, updates, lr=0.3):
    x, y = _task()
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=lr)  # beta2 0.999: the rule's 2000 updates
    sched = auto_warmup(model, opt, _loss, _batches(x, y, 10, seed=1), total_steps=total_steps, steps=10,
                        n_batches=2)
    lrs = []
    for batch in _batches(x, y, updates, seed=2):
        opt.zero_grad()
        loss = _loss(model, batch)
        loss.backward()
        sched.observe(loss)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return sched, lrs


def test_told_600_or_2400_updates_the_same_model_warms_up_alike_over_its_first_600():
    short, lrs_short = _run(600, 600)
    long, lrs_long = _run(2400, 600)
    assert short.start < 1.0  # the probe asked for a warmup: there is a ramp to compare
    assert lrs_short[0] < 0.3 and max(lrs_short) == pytest.approx(0.3)
    assert short.growth == long.growth
    assert short.growth_rule == long.growth_rule
    assert lrs_short == lrs_long
    assert short.handover == long.handover is not None


def test_the_pace_is_explained_and_no_error_path_is_taken():
    sched, _ = _run(600, 0)
    why = sched.growth_rule
    assert "no rule" not in why and "error" not in why.lower()
    # Adam beta2 0.999 names its rule length; the probe's horizon (10 updates per rung) caps it
    assert "2000" in why or "1999" in why
    assert "probe" in why
    # the rate is the geometric ramp from the start over the chosen length: start (1 + r)^W = 1
    w = round(math.log(1.0 / sched.start) / math.log1p(sched.growth))
    assert w > 0 and sched.start * (1.0 + sched.growth) ** w == pytest.approx(1.0, rel=0.05)
