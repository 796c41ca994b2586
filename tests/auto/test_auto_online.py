"""rampup.auto.OnlineWarmup: closed-form growth on a healthy run, back-off on a planted spike, hold on NaN/inf,
hand-over to the decay, skipped updates, and exact resume through torch.save / torch.load(weights_only=True)."""

from __future__ import annotations

import dataclasses
import io
import math
import random

import pytest

torch = pytest.importorskip("torch")

import itertools  # noqa: E402

import rampup  # noqa: E402
from rampup.auto import OnlineSettings, OnlineWarmup  # noqa: E402

BASE = 0.2
SETTINGS = {f.name for f in dataclasses.fields(OnlineSettings)}


def make(opt, **kwargs):
    """``OnlineWarmup(opt, ...)`` with the keyword arguments that are settings grouped into ``OnlineSettings``."""
    settings = OnlineSettings(**{k: v for k, v in kwargs.items() if k in SETTINGS})
    return OnlineWarmup(opt, settings=settings, **{k: v for k, v in kwargs.items() if k not in SETTINGS})


def setup(**kwargs):
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = torch.optim.SGD([w], lr=BASE)
    return w, opt, make(opt, **kwargs)


def drive(w, opt, sched, losses, grads=None):
    """Feed ``losses`` (one per update) to the controller around real SGD updates; the LR each update used."""
    lrs = []
    for t, loss in enumerate(losses):
        opt.zero_grad()
        (w ** 2).sum().backward()
        if grads is not None and grads[t] is not None:
            w.grad.fill_(grads[t])
        sched.observe(loss)
        if grads is not None and grads[t] is not None:
            w.grad.zero_()  # the controller saw the bad norm; the parameters take no part in it
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def healthy(n, offset=0):
    return [1.0 + 1.0 / (t + offset + 1) for t in range(n)]


def test_healthy_run_grows_geometrically_then_holds_the_peak():
    w, opt, sched = setup(start=0.05, growth=0.1)
    lrs = drive(w, opt, sched, healthy(40))
    k = math.ceil(math.log(1 / 0.05) / math.log(1.1))  # the factor reaches 1 after k healthy updates
    for t in range(40):
        assert lrs[t] == pytest.approx(BASE * min(1.0, 0.05 * 1.1 ** t), rel=1e-12)
    assert all(a <= b for a, b in itertools.pairwise(lrs)) and lrs[-1] == BASE
    assert sched.phase == "decay" and sched.handover == k
    assert sched.decisions == {"grow": k, "hold": 0, "backoff": 0, "skip": 0}


def test_planted_spike_backs_off_and_slows_the_growth():
    losses = healthy(30)
    losses[12] = 3 * losses[11]  # a spike at update 12, far above the EMA and its deviation
    w, opt, sched = setup(start=0.05, growth=0.1, min_history=5)
    lrs = drive(w, opt, sched, losses)
    f12 = 0.05 * 1.1 ** 12
    assert lrs[12] == pytest.approx(BASE * f12)
    assert lrs[13] == pytest.approx(BASE * f12 * 0.5)  # backoff 0.5
    assert lrs[14] == pytest.approx(BASE * f12 * 0.5 * 1.05)  # growth halved
    assert sched.decisions["backoff"] == 1


def test_gradient_norm_outlier_backs_off():
    grads = [None] * 20
    grads = [None] * 30
    grads[24] = 1e3  # every entry 1e3: the norm jumps far above 5x its EMA; measured every 4th update (0, 4, ...)
    w, opt, sched = setup(start=0.02, growth=0.1, grad_norm_every=4)
    lrs = drive(w, opt, sched, healthy(30), grads)
    assert lrs[25] == pytest.approx(lrs[24] * 0.5) and sched.decisions["backoff"] == 1
    grads = [None] * 20
    grads[10] = 1e3  # between two measures of every 4th: unseen; seen by the default, every update
    w, opt, sched = setup(start=0.05, growth=0.1, grad_norm_every=4)
    drive(w, opt, sched, healthy(20), grads)
    assert sched.decisions["backoff"] == 0
    w, opt, sched = setup(start=0.05, growth=0.1)
    lrs = drive(w, opt, sched, healthy(20), grads)
    assert lrs[11] == pytest.approx(lrs[10] * 0.5) and sched.decisions["backoff"] == 1


def test_guard_holds_the_peak_under_watch_before_the_hand_over():
    k = math.ceil(math.log(1 / 0.05) / math.log(1.1))  # the factor reaches 1 at update k
    w, opt, sched = setup(start=0.05, growth=0.1, guard=10)
    lrs = drive(w, opt, sched, healthy(k + 12))
    assert sched.peak_since == k and sched.handover == k + 10 and lrs[k:] == [BASE] * 12
    # a spike during the guard backs off and the ramp resumes; the guard starts again at the next peak
    losses = healthy(k + 40)
    losses[k + 3] = 3 * losses[k + 2]
    w, opt, sched = setup(start=0.05, growth=0.1, guard=10)
    lrs = drive(w, opt, sched, losses)
    assert lrs[k + 4] == pytest.approx(BASE * 0.5) and sched.decisions["backoff"] == 1
    again = k + 4 + math.ceil(math.log(2) / math.log(1.05))  # from 0.5 at the halved rate 5%
    assert sched.peak_since == again and sched.handover == again + 10
    # a guard in updates may outlast the run (it then never hands over); as a duration it is resolved
    w, opt, sched = setup(start=0.05, growth=0.1, guard=500, total_steps=50)
    drive(w, opt, sched, healthy(50))
    assert sched.guard == 500 and sched.phase == "warmup" and sched.peak_since == k
    assert setup(guard="10%", total_steps=50)[2].guard == 5


def test_rising_loss_holds():
    losses = healthy(10) + [1.2 + 0.05 * t for t in range(6)]  # a slow rise: no spike, a trend
    w, opt, sched = setup(start=0.05, growth=0.1, spike_margin=1.0, spike_z=100.0)
    lrs = drive(w, opt, sched, losses)
    assert sched.decisions["hold"] >= 3 and lrs[-1] == lrs[-2]


def test_nan_and_inf_never_reach_the_lr():
    rnd = random.Random(0)
    bad = [float("nan"), float("inf"), -float("inf"), 1e30, -5.0, 0.0]
    losses = [rnd.choice(bad) if rnd.random() < 0.4 else rnd.uniform(0.5, 3.0) for _ in range(300)]
    grads = [rnd.choice([float("inf"), float("nan"), 1e20]) if rnd.random() < 0.2 else None for _ in range(300)]
    w, opt, sched = setup(start=0.01, growth=0.2, max_warmup=10_000, grad_norm_every=1)
    lrs = drive(w, opt, sched, losses, grads)
    assert all(math.isfinite(x) and 0.0 <= x <= BASE for x in lrs)
    assert sched.decisions["skip"] > 0 and sched.decisions["backoff"] > 0
    assert all(math.isfinite(v) for v in sched.stats.values())
    # NaN and inf alone: hold where it is
    w, opt, sched = setup(start=0.3)
    lrs = drive(w, opt, sched, [float("nan")] * 5 + [float("inf")] * 5, [float("inf")] * 10)
    assert lrs == [BASE * 0.3] * 10 and sched.decisions["skip"] == 10


def test_hands_over_to_the_decay_with_the_remaining_budget():
    w, opt, sched = setup(start=0.5, growth=1.0, then="linear_decay(to=0.1)", total_steps=20)
    lrs = drive(w, opt, sched, healthy(20))
    assert sched.handover == 1
    # linear_decay over the 19 updates left: 1 - 0.9 * u / 19 at update 1 + u
    for t in range(1, 20):
        assert lrs[t] == pytest.approx(BASE * (1 - 0.9 * (t - 1) / 19), rel=1e-12)


def test_max_warmup_hands_over_below_the_peak():
    w, opt, sched = setup(start=0.1, growth=0.01, max_warmup="10%", total_steps=50, then="cosine_decay()")
    lrs = drive(w, opt, sched, healthy(8))
    f = 0.1 * 1.01 ** 5
    assert sched.handover == 5 and sched.handover_factor == pytest.approx(f)
    assert lrs[5] == pytest.approx(BASE * f) and lrs[7] < lrs[6]


def test_skipped_update_does_not_advance():
    w, opt, sched = setup(start=0.1)
    drive(w, opt, sched, healthy(3))
    lr, step = sched.get_last_lr(), sched.last_epoch
    sched.observe(float("inf"))
    sched.step()  # no optimizer.step(): a GradScaler skip
    assert sched.get_last_lr() == lr and sched.last_epoch == step


def test_state_dict_round_trip_mid_warmup_continues_the_same_warmup():
    rnd = random.Random(3)
    losses = [2.0 / (1 + 0.05 * t) + rnd.uniform(-0.05, 0.05) for t in range(80)]
    losses[30] = 9.0
    losses[45] = float("nan")
    kwargs = {"every": 3, "start": 0.02, "growth": 0.08, "then": "cosine_decay()", "total_steps": 80}
    w, opt, a = setup(**kwargs)
    full = drive(w, opt, a, losses)
    assert a.decisions["backoff"] >= 1 and a.decisions["skip"] == 1

    w, opt, b = setup(**kwargs)
    head = drive(w, opt, b, losses[:29])  # 29: inside a window of 3, before the spike, mid-warmup
    assert b.phase == "warmup" and b.window_updates == 2
    buf = io.BytesIO()
    torch.save({"sched": b.state_dict(), "opt": opt.state_dict(), "w": w.detach().clone()}, buf)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=True)

    w2 = torch.nn.Parameter(ckpt["w"])
    opt2 = torch.optim.SGD([w2], lr=BASE)
    opt2.load_state_dict(ckpt["opt"])
    c = make(opt2, **kwargs)
    c.load_state_dict(ckpt["sched"])
    tail = drive(w2, opt2, c, losses[29:])
    assert head + tail == full  # bit for bit
    assert c.state_dict() == a.state_dict()


@pytest.mark.parametrize("kwargs, match", [
    ({"start": 0.0}, "OnlineWarmup: start must be in \\(0, 1\\]"),
    ({"growth": float("nan")}, "OnlineWarmup: growth must be"),
    ({"growth": "fast"}, "OnlineWarmup: growth must be"),
    ({"growth": 1.5}, "OnlineWarmup: growth must be in \\(0, 1\\]"),
    ({"backoff": 1.0}, "OnlineSettings: backoff must be"),
    ({"every": 0}, "OnlineSettings: every must be a whole number >= 1"),
    ({"then": "cosine_decay()"}, "total_steps"),
    ({"max_warmup": "10%"}, "total_steps"),
    ({"grad_norm": "yes"}, "OnlineSettings: grad_norm must be True or False"),
    ({"guard": -1}, "OnlineWarmup: guard must be a whole number of updates >= 0"),
    ({"guard": "abc"}, "OnlineWarmup: guard must be .* or a duration .*got 'abc'"),
])
def test_bad_arguments(kwargs, match):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(rampup.RampupError, match=match):
        make(opt, **kwargs)


def test_bad_state_and_signal():
    _, _, sched = setup()
    with pytest.raises(rampup.RampupError, match=r"not a rampup\.auto\.OnlineWarmup state"):
        sched.load_state_dict({"format": "rampup.torch.Scheduler/1"})
    with pytest.raises(rampup.RampupError, match="OnlineWarmup: loss must be a number or a one-element tensor"):
        sched.observe("high")


def test_nominal_ramp_takes_the_optimizer_rules_length():
    # Adam beta2 0.98: Ma & Yarats' warmup reaches the peak at update 2/(1-0.98) - 1 = 99 (linear, offset 1);
    # the controller's healthy ramp is geometric from 0.05 to 1 over those 99 updates: base * 0.05^(1 - t/99)
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = torch.optim.Adam([w], lr=BASE, betas=(0.9, 0.98))
    sched = OnlineWarmup(opt, total_steps=1000, growth="rule")
    assert sched.growth == pytest.approx(20 ** (1 / 99) - 1) and "99 updates" in sched.growth_rule
    lrs = drive(w, opt, sched, healthy(110))
    for t in (0, 1, 50, 98):
        assert lrs[t] == pytest.approx(BASE * 0.05 ** (1 - t / 99), rel=1e-9)
    assert lrs[100] == BASE and sched.handover in (99, 100)


@pytest.mark.parametrize("make_opt, kwargs, growth", [
    # SGD, Goyal's 5 epochs: 5 x 40 = 200 updates from 0.05
    (lambda p: torch.optim.SGD(p, lr=BASE, momentum=0.9), {"steps_per_epoch": 40}, 20 ** (1 / 200) - 1),
    # 5 x 4 = 20 updates from 0.05 would be 16% per update: never faster than the default 0.1
    (lambda p: torch.optim.SGD(p, lr=BASE, momentum=0.9), {"steps_per_epoch": 4}, 0.1),
    # SGD with only the run's length: 5/90 of 900 = 50 updates, from 0.2
    (lambda p: torch.optim.SGD(p, lr=BASE), {"total_steps": 900, "start": 0.2}, 5 ** (1 / 50) - 1),
    (lambda p: torch.optim.SGD(p, lr=BASE), {}, 0.1),          # 5 epochs, but no budget: the fixed default
    (lambda p: torch.optim.RMSprop(p, lr=BASE), {}, 0.1),      # no rule for RMSprop
    (lambda p: torch.optim.RAdam(p, lr=BASE), {}, 0.1),        # RAdam: no warmup to take a length from
    (lambda p: torch.optim.Adam(p, lr=BASE), {"start": 1.0}, 0.1),  # nothing to ramp
    # Adam beta2 0.999 in a 600-update run: the rule's 2000 capped at half the run, linear_warmup(300, offset=1)
    # reaching the peak at update 299; from 0.05 over 299 updates (no fallback to 0.1)
    (lambda p: torch.optim.Adam(p, lr=BASE), {"total_steps": 600}, 20 ** (1 / 299) - 1),
])
def test_growth_from_the_rule_or_the_fallback(make_opt, kwargs, growth):
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    sched = OnlineWarmup(make_opt([w]), growth="rule", **kwargs)
    assert sched.growth == pytest.approx(growth, rel=1e-12) and sched.growth_rule != "given"
    assert OnlineWarmup(make_opt([w]), **kwargs).growth == 0.1  # the default: a fixed rate
    assert OnlineWarmup(make_opt([w]), growth=0.3, **kwargs).growth_rule == "given"


@pytest.mark.parametrize("dtypes", [(torch.float32, torch.float32), (torch.float32, torch.float64)])
def test_measured_grad_norm_is_the_norm_of_all_gradients(dtypes):
    """One dtype takes the fused path, mixed dtypes torch's regrouping one; both give the norm of the concatenation."""
    gen = torch.Generator().manual_seed(3)
    a = torch.nn.Parameter(torch.randn(7, 5, generator=gen, dtype=dtypes[0]))
    b = torch.nn.Parameter(torch.randn(11, generator=gen, dtype=dtypes[1]))
    c = torch.nn.Parameter(torch.randn(3, dtype=dtypes[0]))  # no gradient: left out
    opt = torch.optim.SGD([{"params": [a, c]}, {"params": [b], "lr": 0.5}], lr=0.1)
    sched = OnlineWarmup(opt, settings=OnlineSettings(grad_norm_every=1))
    (a.sin().sum() + (b ** 3).sum()).backward()
    want = math.sqrt(sum(float((g.double() ** 2).sum()) for g in (a.grad, b.grad)))
    assert sched._grad_norm() == pytest.approx(want, rel=1e-6)
    sched.observe(2.0)  # observe records that norm in the open window (its sum and count)
    assert sched.window[3:5] == [pytest.approx(want, rel=1e-6), 1.0]


def test_update_ratio_outlier_backs_off():
    # SGD on (w^2).sum(): the update is lr * 2w, so |dw| / |w| = 2 lr exactly; the controller's own LR changes it
    # by at most 10% per update, far below ratio_spike = 5. A planted gradient of 1e4 makes the ratio jump.
    w, opt, sched = setup(start=0.02, growth=0.1, update_ratio_every=1, grad_norm=False)
    grads = [None] * 30
    grads[20] = 1e4
    lrs = []
    for t in range(30):
        opt.zero_grad()
        (w ** 2).sum().backward()
        if grads[t] is not None:
            w.grad.fill_(grads[t])
        sched.observe(1.0 + 1.0 / (t + 1))
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        if t == 0:  # the first window's ratio, measured by the controller: 2 lr (float32 weights)
            assert math.exp(sched.stats["u_mean"]) == pytest.approx(2 * lrs[0], rel=1e-5)
    assert sched.decisions["backoff"] == 1 and lrs[21] == pytest.approx(lrs[20] * 0.5)
    assert sched.stats["u_n"] == 30 and sched.stats["g_n"] == 0  # the ratio was measured, the norm was not
    # the same run without the ratio does not see it (no loss spike, no grad norm)
    w, opt, sched = setup(start=0.02, growth=0.1, grad_norm=False)
    drive(w, opt, sched, [1.0 + 1.0 / (t + 1) for t in range(30)], grads)
    assert sched.decisions["backoff"] == 0


def test_state_without_the_ratio_fields_still_loads():
    w, opt, sched = setup(start=0.05, update_ratio_every=2)
    drive(w, opt, sched, healthy(7))
    state = sched.state_dict()
    old = dict(state, window=state["window"][:5], stats={k: v for k, v in state["stats"].items() if k[0] != "u"})
    _, _, fresh = setup(start=0.05, update_ratio_every=2)
    fresh.load_state_dict(old)
    assert fresh.window == [*state["window"][:5], 0.0, 0.0] and fresh.stats["u_n"] == 0.0
