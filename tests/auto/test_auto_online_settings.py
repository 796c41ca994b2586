"""OnlineWarmup's knobs grouped in OnlineSettings, and the state of the earlier format still loading."""

from __future__ import annotations

import dataclasses

import pytest

torch = pytest.importorskip("torch")

import rampup  # noqa: E402
from rampup.auto import OnlineSettings, OnlineWarmup  # noqa: E402


def test_the_settings_are_a_frozen_dataclass_with_the_documented_defaults():
    s = OnlineSettings()
    assert dataclasses.is_dataclass(s)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.every = 2  # type: ignore[misc]
    assert (s.backoff, s.every, s.spike_z, s.spike_margin, s.grad_spike, s.ema, s.fast_ema, s.min_history) == \
        (0.5, 1, 4.0, 0.05, 5.0, 0.95, 0.7, 5)
    assert (s.max_warmup, s.update_ratio_every, s.ratio_spike, s.grad_norm, s.grad_norm_every) == \
        (None, None, 5.0, True, 1)
    assert dataclasses.replace(s, every=4).every == 4


@pytest.mark.parametrize("field, value", [("backoff", 1.0), ("backoff", 0.0), ("every", 0), ("every", True),
                                          ("spike_z", 0.0), ("spike_margin", -1.0), ("grad_spike", 1.0),
                                          ("ema", 1.0), ("fast_ema", -0.1), ("min_history", -1),
                                          ("ratio_spike", float("nan")), ("grad_norm", 1), ("grad_norm_every", 0),
                                          ("update_ratio_every", 0), ("max_warmup", 0), ("max_warmup", "nonsense")])
def test_a_bad_setting_names_the_field_and_the_value(field, value):
    with pytest.raises(rampup.RampupError) as e:
        OnlineWarmup(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1),
                     settings=OnlineSettings(**{field: value}))
    assert str(e.value).startswith(f"OnlineSettings: {field}") and repr(value) in str(e.value)


def test_settings_must_be_an_online_settings():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(rampup.RampupError, match="OnlineWarmup: settings must be"):
        OnlineWarmup(opt, settings={"every": 2})  # type: ignore[arg-type]


def test_the_common_arguments_stay_direct_and_the_settings_are_kept():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    s = OnlineSettings(every=3, min_history=2)
    sched = OnlineWarmup(opt, "cosine_decay(to=0.1)", total_steps=100, start=0.2, growth=0.3, guard=4, settings=s)
    assert (sched.start, sched.growth, sched.guard, sched.settings) == (0.2, 0.3, 4, s)
    assert "OnlineWarmup" in repr(sched) and "step" in repr(sched)


# a state written by rampup 0.1 before OnlineSettings existed (the format has not changed since), for a run of 5
# updates of SGD on w^2 from w = 3: OnlineWarmup(opt, "cosine(to=0.1)", total_steps=40, start=0.1, growth=0.5,
# min_history=2, every=2), all keyword arguments of OnlineWarmup then
_STATE_1 = {
    'format': 'rampup.auto.OnlineWarmup/1', 'step': 5, 'count': 'updates', 'phase': 'warmup', 'start': 0.1,
    'growth': 0.5, 'factor': 0.50625, 'rate': 0.5, 'handover': None, 'guard': 0, 'peak_since': None,
    'handover_factor': 1.0, 'then': 'cosine(to=0.1)',
    'stats': {'n': 2.0, 'level': 8.556108117103577, 'var': 0.03921794437935947, 'g_n': 2.0,
              'g_mean': 1.7790535411803925, 'u_n': 0.0, 'u_mean': 0.0},
    'window': [6.904946804046631, 1.0, 0.0, 5.255453109741211, 1.0, 0.0, 0.0], 'window_updates': 1,
    'decisions': {'grow': 2, 'hold': 0, 'backoff': 0, 'skip': 0}}


def test_a_state_written_before_the_settings_still_loads_and_goes_on():
    w = torch.nn.Parameter(torch.tensor([3.0]))
    opt = torch.optim.SGD([w], lr=0.1)
    sched = OnlineWarmup(opt, "cosine_decay(to=0.1)", total_steps=40, settings=OnlineSettings(min_history=2, every=2))
    sched.load_state_dict(dict(_STATE_1))
    # two grown windows of 2 updates at rate 0.5 from 0.1: 0.1 * 1.5^4 = 0.50625 of the peak
    assert sched.last_epoch == 5 and sched.factor == pytest.approx(0.1 * 1.5 ** 4)
    assert sched.get_last_lr() == [pytest.approx(0.1 * 0.1 * 1.5 ** 4)]
    assert (sched.start, sched.growth, sched.window_updates) == (0.1, 0.5, 1)
    # it goes on: the next update (loss 9 at w = 3) closes the open window of 2, whose mean (6.905 + 9) / 2 is
    # below the level 8.556: it grows by 1.5^2, to min(1, 0.1 * 1.5^6) = 1, the peak, and hands over (guard 0)
    opt.zero_grad()
    loss = (w ** 2).sum()
    loss.backward()
    sched.observe(loss)
    opt.step()
    sched.step()
    assert sched.factor == 1.0 and sched.decisions["grow"] == 3
    assert sched.phase == "decay" and sched.handover == 6 and sched.get_last_lr() == [pytest.approx(0.1)]
    # and its state, in the same plain types, loads back into an identical controller
    state = sched.state_dict()
    assert state["format"] == _STATE_1["format"] and set(state) == set(_STATE_1)
    again = OnlineWarmup(torch.optim.SGD([torch.nn.Parameter(torch.tensor([3.0]))], lr=0.1), "cosine_decay(to=0.1)",
                         total_steps=40, settings=OnlineSettings(min_history=2, every=2))
    again.load_state_dict(state)
    assert again.state_dict() == state


def test_a_foreign_state_is_refused_with_its_format():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = OnlineWarmup(opt)
    with pytest.raises(rampup.RampupError, match="OnlineWarmup"):
        sched.load_state_dict({"format": "rampup.torch.Scheduler/1", "step": 0})


def test_from_state_dict_rebuilds_the_controller_at_its_step():
    w = torch.nn.Parameter(torch.tensor([3.0]))
    opt = torch.optim.SGD([w], lr=0.1)
    # the stored then, a bare cosine(...), is no longer read on its own (a rise or a fall?): it is given again
    sched = OnlineWarmup.from_state_dict(opt, dict(_STATE_1), then="cosine_decay(to=0.1)", total_steps=40,
                                         settings=OnlineSettings(min_history=2, every=2))
    assert sched.last_epoch == 5 and sched.get_last_lr() == [pytest.approx(0.1 * 0.1 * 1.5 ** 4)]
    assert repr(sched).startswith("rampup.auto.OnlineWarmup('cosine_decay(to=0.1)', phase='warmup'")
    again = OnlineWarmup.from_state_dict(torch.optim.SGD([torch.nn.Parameter(torch.tensor([3.0]))], lr=0.1),
                                         sched.state_dict(), total_steps=40)
    assert again.state_dict() == sched.state_dict()


def test_a_real_accelerate_optimizer_is_unwrapped_by_the_controller_and_the_probes():
    accelerate = pytest.importorskip("accelerate")
    from rampup.auto import auto_warmup, ladder_probe

    acc = accelerate.Accelerator(cpu=True)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    model, wrapped = acc.prepare(model, opt)
    assert type(wrapped).__name__ == "AcceleratedOptimizer" and wrapped is not opt
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    y = x.sum(1, keepdim=True)

    def loss_fn(m, _):
        return ((m(x) - y) ** 2).mean()

    assert OnlineWarmup(wrapped).optimizer is opt
    assert ladder_probe(model, wrapped, loss_fn, [None], n_batches=1, steps=3) == \
        ladder_probe(model, opt, loss_fn, [None], n_batches=1, steps=3)
    assert auto_warmup(model, wrapped, loss_fn, [None], n_batches=1, steps=3).optimizer is opt
