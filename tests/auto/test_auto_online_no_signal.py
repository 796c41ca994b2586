"""A controller that is never told the loss holds the LR at its start for the whole run: it says so, once."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

from rampup.auto import OnlineWarmup, auto_warmup  # noqa: E402


def _setup(lr=0.05):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x = torch.randn(32, 4)
    y = x.sum(1, keepdim=True)
    return model, opt, x, y


def _train(model, opt, sched, x, y, updates, observe):
    for _ in range(updates):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        if observe:
            sched.observe(loss)
        opt.step()
        sched.step()


def test_a_loop_that_never_calls_observe_is_warned_once_with_the_fix():
    model, opt, x, y = _setup()
    sched = OnlineWarmup(opt, total_steps=200)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _train(model, opt, sched, x, y, 200, observe=False)
    mine = [w for w in caught if "observe(loss)" in str(w.message)]
    assert len(mine) == 1, [str(w.message) for w in caught]
    assert issubclass(mine[0].category, UserWarning)
    assert "OnlineWarmup" in str(mine[0].message)
    # and what it warns about is real: the LR never left its start (0.05 of the peak)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05 * 0.05)


def test_the_warning_comes_after_a_few_updates_not_at_the_first():
    model, opt, x, y = _setup()
    sched = OnlineWarmup(opt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _train(model, opt, sched, x, y, 3, observe=False)  # a few updates may pass before the first observe
    with pytest.warns(UserWarning, match=r"observe\(loss\)"):
        _train(model, opt, sched, x, y, 30, observe=False)


def test_auto_warmup_without_observe_is_warned_too():
    model, opt, x, y = _setup(lr=0.5)
    sched = auto_warmup(model, opt, lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(), [(x, y)] * 6, steps=3,
                        n_batches=1, total_steps=100)
    with pytest.warns(UserWarning, match=r"OnlineWarmup.*observe\(loss\)"):
        _train(model, opt, sched, x, y, 50, observe=False)


def test_a_loop_that_observes_is_never_warned():
    # the suite turns warnings into errors: this loop must run clean
    model, opt, x, y = _setup()
    sched = OnlineWarmup(opt, total_steps=200)
    _train(model, opt, sched, x, y, 200, observe=True)
    assert sched.decisions["skip"] == 0


def test_step_with_the_loss_counts_as_observing():
    model, opt, x, y = _setup()
    sched = OnlineWarmup(opt, total_steps=100)
    for _ in range(100):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step(loss)
    assert sched.decisions["skip"] == 0
