"""OnlineWarmup under hostile signals: a non-scalar loss is an error, a decision window of any length is computed
without overflow, an absurd growth rate is refused at construction, and under every fault pattern the LR stays a
finite number in [0, peak]."""

from __future__ import annotations

import math
import warnings

import pytest

torch = pytest.importorskip("torch")

import rampup  # noqa: E402
import rampup.torch  # noqa: E402
from rampup.auto import OnlineSettings, OnlineWarmup  # noqa: E402

PEAK = 0.05


def _model_and_opt(adam: bool = False):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    opt = (torch.optim.Adam if adam else torch.optim.SGD)(model.parameters(), lr=PEAK)
    x = torch.randn(32, 4)
    y = x.sum(1, keepdim=True)
    return model, opt, x, y


def test_a_per_sample_loss_vector_is_an_error_not_a_silent_stall():
    model, opt, x, y = _model_and_opt()
    sched = OnlineWarmup(opt)
    per_sample = ((model(x) - y) ** 2).squeeze(1)  # the loss before .mean(): 32 values
    per_sample.mean().backward()
    with pytest.raises(rampup.RampupError, match=r"OnlineWarmup: loss must be .*one-element"):
        sched.observe(per_sample)
    with pytest.raises(rampup.RampupError, match="OnlineWarmup: loss"):
        sched.observe(torch.ones(4))
    with pytest.raises(rampup.RampupError, match="OnlineWarmup: grad_norm"):
        sched.observe(torch.tensor(1.0), grad_norm=torch.ones(3))
    # a one-element tensor of any shape is a scalar
    sched.observe(torch.ones(1, 1))


@pytest.mark.parametrize("window", [7_450, 8_000, 30_000])
def test_one_decision_over_thousands_of_updates_does_not_overflow(window):
    # a step() per epoch (Lightning's interval="epoch") makes one window span an epoch of updates: the growth
    # (1 + r)^k is about 1.1^7450 = 1e308 there; the factor is min(1, start (1 + r)^k) = 1 in closed form
    w = torch.nn.Parameter(torch.tensor([1.0]))
    opt = torch.optim.SGD([w], lr=PEAK)
    sched = OnlineWarmup(opt, settings=OnlineSettings(every=window))
    loss = (w ** 2).sum()
    loss.backward()
    sched.observe(loss)
    opt.step()
    opt.zero_grad()  # the other updates of the epoch: real optimizer steps (no gradient: nothing moves)
    for _ in range(window - 1):
        opt.step()
    with pytest.warns(rampup.torch.StepWarning, match="step"):  # a step() per epoch is said, once
        sched.step()  # one call for the whole window: k = window updates
    assert sched.last_epoch == window
    assert sched.get_last_lr() == [PEAK]
    assert sched.phase == "decay"


def test_a_window_s_growth_is_the_closed_form_power():
    # below the cap the factor after one grown window of k updates is start * (1 + r)^k exactly (to rounding)
    w = torch.nn.Parameter(torch.tensor([1.0]))
    opt = torch.optim.SGD([w], lr=PEAK)
    sched = OnlineWarmup(opt, start=1e-6, growth=0.01, settings=OnlineSettings(every=500, min_history=1))
    for _ in range(500):
        opt.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        sched.observe(loss)
        opt.step()
        sched.step()
    assert sched.factor == pytest.approx(1e-6 * 1.01 ** 500, rel=1e-12)


@pytest.mark.parametrize("growth, every", [(1e200, 2), (1e200, 1), (2.0, 1), (float("inf"), 1), (0.0, 1), (-0.1, 1)])
def test_an_absurd_growth_rate_is_refused_at_construction(growth, every):
    w = torch.nn.Parameter(torch.tensor([1.0]))
    opt = torch.optim.SGD([w], lr=PEAK)
    with pytest.raises(rampup.RampupError, match=r"OnlineWarmup: growth must be"):
        OnlineWarmup(opt, growth=growth, settings=OnlineSettings(every=every))


def test_the_largest_growth_rate_accepted_runs():
    w = torch.nn.Parameter(torch.tensor([1.0]))
    opt = torch.optim.SGD([w], lr=PEAK)
    sched = OnlineWarmup(opt, start=0.1, growth=1.0, settings=OnlineSettings(every=2, min_history=2))
    for _ in range(4):
        opt.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        sched.observe(loss)
        opt.step()
        sched.step()
    # two windows of 2 updates at doubling per update: 0.1 * 2^2 = 0.4, then min(1, 0.4 * 4) = 1
    assert sched.get_last_lr() == [pytest.approx(PEAK)]


# ---- the fault patterns of the campaign: the LR stays finite and in [0, peak] ----------------------------------

def _feed(pattern: str, t: int, loss: torch.Tensor) -> list[tuple[object, object]]:
    """What the loop passes to observe() at update t: a list of (loss, grad_norm) calls (None: measure it)."""
    value = float(loss)
    if pattern == "healthy":
        return [(loss, None)]
    if pattern == "nan-losses":
        return [(float("nan") if t % 3 == 0 else loss, None)]
    if pattern == "inf-losses":
        return [(float("inf") if t % 4 == 0 else -math.inf if t % 4 == 1 else loss, None)]
    if pattern == "all-nan":
        return [(torch.tensor(float("nan")), None)]
    if pattern == "spikes":
        return [(value * 1000 if t % 7 == 3 else value, None)]
    if pattern == "constant-loss":
        return [(2.5, None)]
    if pattern == "zero-loss":
        return [(0.0, None)]
    if pattern == "negative-losses":
        return [(-value - t, None)]
    if pattern == "huge-losses":
        return [(1e308 if t % 2 else -1e308, None)]
    if pattern == "huge-grad-norms":
        return [(loss, 1e300 if t % 5 == 0 else None)]
    if pattern == "inf-grad-norms":
        return [(loss, math.inf if t % 5 == 0 else None)]
    if pattern == "observe-twice":
        return [(loss, None), (loss, None)]
    if pattern == "alternating":
        return [(value if t % 2 else value * 50, None)]
    return [(loss, None)]  # step-per-epoch, count-calls: healthy signals, unusual clocks


PATTERNS = ["healthy", "nan-losses", "inf-losses", "all-nan", "spikes", "constant-loss", "zero-loss",
            "negative-losses", "huge-losses", "huge-grad-norms", "inf-grad-norms", "observe-twice", "alternating",
            "no-observe", "step-per-epoch", "count-calls"]


@pytest.mark.parametrize("then", ["constant()", "cosine_decay(to=0.1)"])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_lr_stays_finite_and_within_the_peak_under_every_fault_pattern(pattern, then):
    model, opt, x, y = _model_and_opt(adam=pattern in ("spikes", "huge-grad-norms"))
    updates = 120
    per_epoch = 10
    sched = OnlineWarmup(opt, then, total_steps=updates, count="calls" if pattern == "count-calls" else "updates",
                         settings=OnlineSettings(min_history=2, every=2 if pattern == "alternating" else 1))
    lrs = []
    with warnings.catch_warnings():
        if pattern in ("no-observe", "step-per-epoch"):  # their warnings are tested on their own
            warnings.simplefilter("ignore")
        for t in range(updates):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            if pattern != "no-observe":
                for value, gn in _feed(pattern, t, loss.detach()):
                    sched.observe(value, gn)
            opt.step()
            if pattern != "step-per-epoch" or (t + 1) % per_epoch == 0:
                sched.step()
            lrs.append(opt.param_groups[0]["lr"])
    assert len(lrs) == updates
    for lr in lrs + sched.get_last_lr():
        assert isinstance(lr, float) and math.isfinite(lr) and 0.0 <= lr <= PEAK, (pattern, lr)
    assert 0.0 < sched.factor <= 1.0
