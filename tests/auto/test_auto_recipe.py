"""rampup.auto.auto_warmup: the multi-step probe's start, the controller's ramp at the optimizer rule's pace, the
model left as it was, and a resume that needs no second probe."""

from __future__ import annotations

import io
import math

import pytest

torch = pytest.importorskip("torch")

import rampup.auto  # noqa: E402
from rampup import RampupError  # noqa: E402
from rampup.auto import OnlineSettings, OnlineWarmup, auto_pace, auto_warmup, ladder_probe  # noqa: E402


class Quadratic(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([1.0], dtype=torch.float64))


def loss_fn(model, batch):
    return 0.5 * (model.w ** 2).sum()


@pytest.mark.parametrize("peak, start", [(3.0, 0.25), (1.5, 1.0)])
def test_start_from_the_probe_and_ramp_at_the_probe_s_pace(peak, start):
    # 0.5 w^2 with SGD: k updates at eta give (1 - eta)^(2k) L0, so the ladder's start is known in closed form
    # (tests/auto/test_auto_probe.py); SGD without steps_per_epoch has no length of its own (its 5 epochs), so the
    # pace is the probe's: one rung (x4) in 5 horizons of 6 updates, W = 30
    m = Quadratic()
    opt = torch.optim.SGD(m.parameters(), lr=peak)
    sched = auto_warmup(m, opt, loss_fn, [None], n_batches=1, steps=6, total_steps=900)
    assert isinstance(sched, OnlineWarmup) and sched.start == start
    assert sched.probe_result == ladder_probe(m, torch.optim.SGD(m.parameters(), lr=peak), loss_fn, [None],
                                              n_batches=1, steps=6)
    assert torch.equal(m.w, torch.tensor([1.0], dtype=torch.float64))  # the probe left the model as it was
    assert opt.param_groups[0]["lr"] == pytest.approx(peak * start, rel=1e-12)
    if start < 1:
        assert sched.growth == pytest.approx(start ** (-1 / 30) - 1, rel=1e-12) and sched.phase == "warmup"
        # growth="rule" instead: the SGD rule with total_steps 900 is 5/90 of it, W = 50 updates
        rule = auto_warmup(m, torch.optim.SGD(m.parameters(), lr=peak), loss_fn, [None], n_batches=1, steps=6,
                           total_steps=900, growth="rule")
        assert rule.growth == pytest.approx(start ** (-1 / 50) - 1, rel=1e-12)
    else:
        for t in range(1, 8):  # at the peak from the start; the guard (steps = 6 updates) watches it, then hands over
            opt.zero_grad()
            loss = loss_fn(m, None)
            loss.backward()
            opt.step()
            sched.step(loss)  # the loss falls 4x per update (w -> -0.5 w): healthy
            assert opt.param_groups[0]["lr"] == peak and sched.phase == ("decay" if t == 7 else "warmup")
        assert sched.peak_since == 1 and sched.handover == 7 and sched.guard == 6


def test_resume_without_a_second_probe():
    def build():
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
        return model, torch.optim.Adam(model.parameters(), lr=0.3, betas=(0.9, 0.98))

    gen = torch.Generator().manual_seed(1)
    data = [(x, x.sum(1, keepdim=True)) for x in torch.randn(30, 8, 4, generator=gen)]

    def mse(model, batch):
        return torch.nn.functional.mse_loss(model(batch[0]), batch[1])

    def train(model, opt, sched, batches, lrs):
        for b in batches:
            loss = mse(model, b)
            opt.zero_grad()
            loss.backward()
            sched.observe(loss)
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()

    model, opt = build()
    sched = auto_warmup(model, opt, mse, data, steps=5, total_steps=30)
    assert sched.start < 1  # lr 0.3 is too high at first: the probe asks for a warmup
    full: list = []
    train(model, opt, sched, data, full)

    model, opt = build()
    sched = auto_warmup(model, opt, mse, data, steps=5, total_steps=30)
    part: list = []
    train(model, opt, sched, data[:12], part)
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)
    model, opt = build()
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    resumed = OnlineWarmup(opt, total_steps=30, growth="rule")  # default start: the state carries the probe's
    resumed.load_state_dict(state["sched"])
    assert resumed.start == sched.start and resumed.growth == sched.growth and resumed.guard == 5  # steps
    train(model, opt, resumed, data[12:], part)
    assert part == full and all(math.isfinite(x) for x in full)


def test_start_is_the_probes_to_choose():
    m = Quadratic()
    with pytest.raises(TypeError, match="start"):
        auto_warmup(m, torch.optim.SGD(m.parameters(), lr=1.0), loss_fn, [None], start=0.5)
    with pytest.raises(RampupError, match="auto_warmup: growth must be"):
        auto_warmup(m, torch.optim.SGD(m.parameters(), lr=1.0), loss_fn, [None], growth="fast")


@pytest.mark.parametrize("beta2, rule_w", [(0.98, 99), (0.999, 1999)])  # 2 / (1 - beta2), the first at 1/W
@pytest.mark.parametrize("steps", [6, 10, 20])
def test_the_pace_is_the_rule_capped_by_five_probe_horizons_per_rung(beta2, rule_w, steps):
    # Adam on 0.5 w^2 from w = 1 at lr 3: its first updates move w by about 3 each (sign descent) and overshoot;
    # the probe starts some rungs down, s = 4^-i, and the ramp takes W = min(rule, 5 * steps * i) updates
    m = Quadratic()
    opt = torch.optim.Adam(m.parameters(), lr=3.0, betas=(0.9, beta2))
    r = ladder_probe(m, opt, loss_fn, [None], n_batches=1, steps=steps)
    assert r.start < 1
    rungs = round(math.log(1 / r.start, 4))
    want_w = min(rule_w, 5 * steps * rungs)
    rate, why = auto_pace(opt, r)
    assert rate == pytest.approx(min(0.1, r.start ** (-1 / want_w) - 1), rel=1e-12)
    assert f"W = {want_w} updates" in why and "total_steps plays no part" in why


def test_the_pace_without_an_optimizer_rule_is_the_probe_s_and_never_an_error():
    m = Quadratic()
    opt = torch.optim.RMSprop(m.parameters(), lr=0.3)
    sched = auto_warmup(m, opt, loss_fn, [None], n_batches=1, steps=4, total_steps=100)
    assert sched.start == 0.25  # the rung below the peak (one rung: i = 1)
    assert sched.growth == pytest.approx(0.25 ** (-1 / (5 * 4)) - 1, rel=1e-12)
    assert "RMSprop has no warmup rule" in sched.growth_rule


def test_settings_pass_through():
    m = Quadratic()
    sched = auto_warmup(m, torch.optim.SGD(m.parameters(), lr=1.5), loss_fn, [None], n_batches=1, steps=3,
                        settings=OnlineSettings(every=4))
    assert sched.every == 4 and sched.settings.every == 4


def test_exported_lazily():
    assert rampup.auto.auto_warmup is auto_warmup and "auto_warmup" in dir(rampup.auto)
