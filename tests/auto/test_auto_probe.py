"""rampup.auto.probe: the critical LR along the real update direction, against closed forms on a quadratic, and a
model with BatchNorm and dropout left exactly as it was (parameters, buffers, grads, optimizer state, training
flags, torch/numpy/python RNG)."""

from __future__ import annotations

import copy
import math
import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import rampup  # noqa: E402
import rampup.torch  # noqa: E402
from rampup.auto import critical_lr_probe, ladder_probe  # noqa: E402

PRECISION = 2 ** (1 / 16)  # 4 bisections of a factor-2 bracket in log scale


class Quadratic(torch.nn.Module):
    def __init__(self, w0: float):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([w0], dtype=torch.float64))


@pytest.mark.parametrize("h, lr, momentum", [(3.0, 0.1, 0.0), (40.0, 0.5, 0.9), (0.7, 0.5, 0.9)])
def test_sgd_on_a_quadratic_finds_2_over_h(h, lr, momentum):
    # loss = h w^2 / 2, one SGD step (fresh momentum buffer = the gradient): w (1 - eta h); no rise iff eta <= 2 / h
    m = Quadratic(1.3)
    opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=momentum)
    r = critical_lr_probe(m, opt, lambda model, b: 0.5 * h * (model.w ** 2).sum(), [None] * 5, n_batches=2)
    crit = r.critical_lrs[0]
    assert 2 / h / PRECISION < crit <= 2 / h * (1 + 1e-12)
    assert r.critical_scale == pytest.approx(crit / lr) and not r.bounded
    assert r.backward_passes == 2 and r.forward_passes >= 2 * 5


def test_adam_on_a_quadratic_finds_2_w():
    # Adam's first step is lr * g / (|g| + eps) = lr * sign(w): no rise iff lr <= 2 |w|
    m = Quadratic(-0.75)
    opt = torch.optim.Adam(m.parameters(), lr=0.1, eps=1e-12)
    r = critical_lr_probe(m, opt, lambda model, b: 0.5 * 5.0 * (model.w ** 2).sum(), [None], n_batches=1,
                          bisections=10)
    assert 1.5 / 2 ** (1 / 1024) < r.critical_lrs[0] <= 1.5 * (1 + 1e-9)


def test_the_warmup_rule():
    m = Quadratic(1.0)
    opt = torch.optim.SGD(m.parameters(), lr=1.0)
    r = critical_lr_probe(m, opt, lambda model, b: 0.5 * 16.0 * (model.w ** 2).sum(), [None], n_batches=1,
                          safety=0.5, doubling=10)
    # critical 2/16 = 0.125 exactly (a power of two from the peak 1.0); start = 0.5 * 0.125; 10 updates per doubling
    assert r.critical_scale == 0.125 and r.start == 0.0625
    assert r.warmup == rampup.geometric_warmup(40, start=0.0625)
    assert r.explanation.rule == "probe-critical-lr"
    safe = critical_lr_probe(m, torch.optim.SGD(m.parameters(), lr=0.01),
                             lambda model, b: 0.5 * 16.0 * (model.w ** 2).sum(), [None], n_batches=1)
    assert safe.start == 1.0 and safe.warmup(0) == 1.0  # the peak is well below critical: no warmup


def test_flat_direction_is_a_lower_bound():
    m = Quadratic(0.0)  # zero gradient: no step raises the loss
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    r = critical_lr_probe(m, opt, lambda model, b: 0.5 * (model.w ** 2).sum() + 1.0, [None], n_batches=1,
                          max_scale=8.0)
    assert r.bounded and r.critical_scale == 8.0 and r.start == 1.0


def net():
    return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
                               torch.nn.Dropout(0.5), torch.nn.Linear(16, 3))


def snapshot(model, opt):
    return {
        "state": {k: v.clone() for k, v in model.state_dict().items()},
        "grads": [None if p.grad is None else p.grad.clone() for p in model.parameters()],
        "grad_ids": [id(p.grad) for p in model.parameters()],
        "opt": copy.deepcopy(opt.state_dict()),
        "training": [m.training for m in model.modules()],
        "torch_rng": torch.get_rng_state(), "np_rng": np.random.get_state(), "py_rng": random.getstate(),
    }


def assert_same(a, b):
    assert a["state"].keys() == b["state"].keys()
    for k in a["state"]:
        assert torch.equal(a["state"][k], b["state"][k]), k
    for x, y in zip(a["grads"], b["grads"], strict=True):
        assert (x is None and y is None) or torch.equal(x, y)
    assert a["grad_ids"] == b["grad_ids"]
    sa, sb = a["opt"], b["opt"]
    assert sa["param_groups"] == sb["param_groups"]
    for i in sa["state"]:
        for k, v in sa["state"][i].items():
            assert torch.equal(v, sb["state"][i][k]), (i, k)
    assert a["training"] == b["training"]
    assert torch.equal(a["torch_rng"], b["torch_rng"])
    na, nb = a["np_rng"], b["np_rng"]
    assert na[0] == nb[0] and (na[1] == nb[1]).all() and na[2:] == nb[2:]
    assert a["py_rng"] == b["py_rng"]


def _probe(model, opt, loss_fn, data, steps):
    """steps == 1: the one-update line search; more: the ladder with that many updates per rung."""
    if steps == 1:
        return critical_lr_probe(model, opt, loss_fn, data, n_batches=3)
    return ladder_probe(model, opt, loss_fn, data, n_batches=3, steps=steps)


@pytest.mark.parametrize("steps", [1, 4])
@pytest.mark.parametrize("optimizer", ["adamw", "sgd"])
def test_batchnorm_dropout_model_is_left_bit_identical(optimizer, steps):
    torch.manual_seed(0)
    model = net()
    opt = (torch.optim.AdamW(model.parameters(), lr=3e-3) if optimizer == "adamw"
           else torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    sched = rampup.torch.Scheduler(opt, "linear_warmup(10)")
    gen = torch.Generator().manual_seed(1)
    data = [(torch.randn(32, 6, generator=gen), torch.randint(0, 3, (32,), generator=gen)) for _ in range(4)]

    def loss_fn(m, batch):
        x, y = batch
        return torch.nn.functional.cross_entropy(m(x), y) + 0.01 * random.random() + 0.01 * np.random.rand()

    for batch in data[:2]:  # a little training: optimizer state, BN statistics and grads that are not zero
        opt.zero_grad()
        loss_fn(model, batch).backward()
        opt.step()
        sched.step()
    model.eval()
    model[3].train()  # mixed flags, which must come back as they were
    np.random.seed(5)
    random.seed(5)
    before = snapshot(model, opt)
    step_before, lr_before = sched.last_epoch, sched.get_last_lr()
    r = _probe(model, opt, loss_fn, data, steps)
    assert_same(before, snapshot(model, opt))
    assert sched.last_epoch == step_before and sched.get_last_lr() == lr_before  # no optimizer hook fired
    if steps == 1:
        assert r.backward_passes == 3 and r.forward_passes > 3 * 3
    else:  # per rung: `steps` forward+backward and 3 measuring forwards; 1 + 3 forwards before; >= 2 rungs
        rungs = len(r.trials)
        assert rungs >= 2 and r.backward_passes == steps * rungs and r.forward_passes == 4 + rungs * (steps + 3)
    assert r.critical_scale > 0 and math.isfinite(r.critical_scale) and 0 < r.start <= 1
    # the probe itself is deterministic: the same dropout masks from its seed, the same answer
    assert _probe(model, opt, loss_fn, data, steps) == r
    # and training goes on as if nothing happened
    opt.zero_grad()
    loss_fn(model, data[2]).backward()
    opt.step()
    sched.step()
    assert sched.last_epoch == step_before + 1


def test_what_the_test_above_would_catch():
    # a forward pass in training mode moves the BatchNorm statistics and draws from the RNG
    torch.manual_seed(0)
    model = net()
    mean = model[1].running_mean.clone()
    rng = torch.get_rng_state()
    model.train()
    model(torch.randn(8, 6))
    assert not torch.equal(mean, model[1].running_mean) and not torch.equal(rng, torch.get_rng_state())


@pytest.mark.parametrize("peak, start, rungs", [
    (3.0, 0.25, 3),   # factor per update 1 - 3 = -2: the loss grows; 0.75 -> 0.25; 0.1875 -> 0.8125: start 1/4
    (1.5, 1.0, 2),    # -0.5 at the peak beats 0.625 at 0.375: no warmup
    (1.9, 0.25, 3),   # -0.9 converges, but slower than 0.525 at 0.475: past the range test's edge, start 1/4
    (0.01, 1.0, 2),   # 0.99 vs 0.9975: a fall of 1 - 0.99^(2 * 6) = 11% > margin: no warmup
])
def test_multi_step_ladder_on_a_quadratic(peak, start, rungs):
    # 0.5 w^2 (h = 1), k SGD updates at eta: w_k = (1 - eta)^k w_0, loss (1 - eta)^(2k) L_0 (closed form)
    k = 6
    m = Quadratic(1.0)
    r = ladder_probe(m, torch.optim.SGD(m.parameters(), lr=peak), lambda model, b: 0.5 * (model.w ** 2).sum(),
                     [None], n_batches=1, steps=k)
    assert r.start == start and len(r.trials) == rungs and r.start_loss == 0.5
    for c, loss in r.trials:
        assert loss == pytest.approx(0.5 * (1 - c * peak) ** (2 * k), rel=1e-9)
    assert r.warmup == (rampup.linear_warmup(0) if start == 1 else
                        rampup.geometric_warmup(k * round(math.log(1 / start, 4)), start=start))
    assert r.bounded == (start == 1) and r.explanation.rule == "probe-ladder"
    assert r.backward_passes == k * rungs and r.forward_passes == 2 + rungs * (k + 1)
    assert torch.equal(m.w, torch.tensor([1.0], dtype=torch.float64))


def test_multi_step_no_healthy_rung_starts_at_the_lowest():
    m = Quadratic(1.0)  # a loss the gradient only raises: no rung lowers it
    r = ladder_probe(m, torch.optim.SGD(m.parameters(), lr=1.0, maximize=True),
                     lambda model, b: (model.w ** 2).sum(), [None], n_batches=1, steps=3, min_scale=1 / 16)
    assert [c for c, _ in r.trials] == [1.0, 0.25, 0.0625] and r.start == 0.0625
    assert r.warmup == rampup.geometric_warmup(6, start=0.0625) and "the lowest one" in r.explanation.sentence


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(10, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                                       torch.nn.ReLU(), torch.nn.Linear(64, 4))

    def forward(self, x):
        return self.net(x)


def test_multi_step_asks_for_a_warmup_only_where_the_peak_stalls():
    # a real MLP on a real classification problem (labels from a fixed random linear map); Adam at 1e-2 trains
    # well, Adam at 1 kills the ReLUs within a few updates and sits at or above chance (ln 4)
    gen = torch.Generator().manual_seed(0)
    proj = torch.randn(10, 4, generator=gen)
    data = []
    for _ in range(20):
        x = torch.randn(64, 10, generator=gen)
        data.append((x, (x @ proj).argmax(1)))

    def loss_fn(model, batch):
        return torch.nn.functional.cross_entropy(model(batch[0]), batch[1])

    def run(lr):
        torch.manual_seed(0)
        model = Mlp()
        return ladder_probe(model, torch.optim.Adam(model.parameters(), lr=lr), loss_fn, data, n_batches=3, steps=20)

    low, high = run(1e-2), run(1.0)
    assert low.start == 1.0 and low.warmup(0) == 1.0 and low.trials[0][1] < 0.99 * low.start_loss
    assert high.start < 1 and high.warmup.length > 0 and high.warmup(0) == pytest.approx(high.start)
    assert high.trials[0][1] > min(loss for _, loss in high.trials)  # the peak ends worse than a lower rung


@pytest.mark.parametrize("kwargs, match", [
    ({"n_batches": 0}, "critical_lr_probe: n_batches must be a whole number >= 1"),
    ({"safety": 0.0}, "critical_lr_probe: safety must be in"),
    ({"doubling": float("nan")}, "critical_lr_probe: doubling must be"),
    ({"max_scale": 0.5}, "critical_lr_probe: max_scale must be"),
    ({"bisections": -1}, "critical_lr_probe: bisections must be a whole number >= 0"),
])
def test_bad_arguments_of_the_line_search(kwargs, match):
    m = Quadratic(1.0)
    with pytest.raises(rampup.RampupError, match=match):
        critical_lr_probe(m, torch.optim.SGD(m.parameters(), lr=0.1), lambda model, b: (model.w ** 2).sum(), [None],
                          **kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 0}, "ladder_probe: steps must be a whole number >= 1"),
    ({"steps": True}, "ladder_probe: steps must be a whole number >= 1"),
    ({"ladder": 1.0}, r"ladder_probe: ladder must be in \(1, inf"),
    ({"margin": 1.0}, r"ladder_probe: margin must be in \[0, 1\)"),
    ({"n_batches": 0}, "ladder_probe: n_batches must be a whole number >= 1"),
    ({"min_scale": 0.0}, "ladder_probe: min_scale must be"),
])
def test_bad_arguments_of_the_ladder(kwargs, match):
    m = Quadratic(1.0)
    with pytest.raises(rampup.RampupError, match=match):
        ladder_probe(m, torch.optim.SGD(m.parameters(), lr=0.1), lambda model, b: (model.w ** 2).sum(), [None],
                     **kwargs)


def test_each_probe_takes_only_its_own_arguments():
    # the two algorithms are two functions: an argument of the other one is not silently ignored
    m = Quadratic(1.0)
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="steps"):
        critical_lr_probe(m, opt, lambda model, b: (model.w ** 2).sum(), [None], steps=5)
    with pytest.raises(TypeError, match="safety"):
        ladder_probe(m, opt, lambda model, b: (model.w ** 2).sum(), [None], safety=0.5)


def test_bounded_means_no_limit_was_found_in_both_probes():
    # 0.5 w^2 with SGD: the critical LR is 2 (h = 1); from the peak 0.01 the line search doubles up to its cap
    m = Quadratic(1.0)
    line = critical_lr_probe(m, torch.optim.SGD(m.parameters(), lr=0.01), lambda model, b: 0.5 * (model.w ** 2).sum(),
                             [None], n_batches=1, max_scale=64.0)
    assert line.bounded and line.critical_scale == 64.0  # 64 x 0.01 = 0.64 < 2: the limit lies beyond the cap
    found = critical_lr_probe(m, torch.optim.SGD(m.parameters(), lr=1.0), lambda model, b: 0.5 * (model.w ** 2).sum(),
                              [None], n_batches=1)
    assert not found.bounded and found.critical_scale == pytest.approx(2.0, rel=0.05)
    # the ladder: the peak trains well at the top rung, it cannot look higher
    top = ladder_probe(m, torch.optim.SGD(m.parameters(), lr=0.5), lambda model, b: 0.5 * (model.w ** 2).sum(),
                       [None], n_batches=1, steps=3)
    assert top.bounded and top.start == 1.0 and top.critical_scale == 1.0
    low = ladder_probe(m, torch.optim.SGD(m.parameters(), lr=3.0), lambda model, b: 0.5 * (model.w ** 2).sum(),
                       [None], n_batches=1, steps=3)
    assert not low.bounded and low.start == 0.25


def test_bad_inputs():
    m = Quadratic(1.0)
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    for probe in (critical_lr_probe, ladder_probe):
        with pytest.raises(rampup.RampupError, match="the loss at the current parameters is nan"):
            probe(m, opt, lambda model, b: (model.w ** 2).sum() * float("nan"), [None])
        with pytest.raises(rampup.RampupError, match="batches gave no batch"):
            probe(m, opt, lambda model, b: (model.w ** 2).sum(), [])
        with pytest.raises(rampup.RampupError, match=r"model must be a torch\.nn\.Module"):
            probe("model", opt, lambda model, b: 0, [None])
        assert torch.equal(m.w, torch.tensor([1.0], dtype=torch.float64))  # a failing probe restores too
