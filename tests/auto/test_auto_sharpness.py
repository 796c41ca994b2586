"""rampup.auto.sharpness_probe: the top Hessian eigenvalue by power iteration on quadratics (closed form), each
optimizer's edge of stability checked against the real torch optimizer, Adam's preconditioner, bit-identical
restore of a BatchNorm + dropout model, and bad input."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from rampup import RampupError  # noqa: E402
from rampup.auto import sharpness_probe  # noqa: E402


class Diag(torch.nn.Module):
    """0.5 sum h_i w_i^2: Hessian diag(h)."""

    def __init__(self, h, w0):
        super().__init__()
        self.h = torch.tensor(h, dtype=torch.float64)
        self.w = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))


def quad(model, batch):
    return 0.5 * (model.h * model.w ** 2).sum()


@pytest.mark.parametrize("make, k", [
    (lambda p, lr: torch.optim.SGD(p, lr=lr), 2.0),
    (lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9), 3.8),
    (lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, dampening=0.5), 7.6),
    (lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True), 3.8 / 2.8),
])
def test_sgd_edge_is_the_real_optimizers(make, k):
    # top eigenvalue 50: the critical LR is k / 50; the real torch optimizer converges just below it and diverges
    # just above it (the threshold is derived, not fitted: this is the check)
    h = [1.0, 7.0, 50.0]
    m = Diag(h, [1.0, 1.0, 1.0])
    r = sharpness_probe(m, make(m.parameters(), 0.01), quad, [None], iters=200, tol=1e-12)
    assert r.sharpness == pytest.approx(0.01 * 50, rel=1e-9)
    crit = r.critical_lrs[0]
    assert crit == pytest.approx(k / 50, rel=1e-9) and r.explanation.rule == "probe-sharpness"
    for factor, grows in ((0.97, False), (1.03, True)):
        w = Diag(h, [1.0, 1.0, 1.0])
        opt = make(w.parameters(), factor * crit)
        for _ in range(600):
            opt.zero_grad()
            quad(w, None).backward()
            opt.step()
        assert (abs(float(w.w[2].detach())) > 1.0) == grows


def test_warmup_rule_and_cost():
    m = Diag([2.0, 40.0], [1.0, -1.0])
    r = sharpness_probe(m, torch.optim.SGD(m.parameters(), lr=0.2), quad, [None, None], n_batches=2, iters=50,
                        tol=1e-12)
    # eta * lambda = 8, GD's edge 2: the critical scale 1/4, start 1/8, 16 * log2(8) = 48 updates to the peak
    assert r.critical_scale == pytest.approx(0.25) and r.start == pytest.approx(0.125)
    assert r.warmup.length == 48 and r.per_batch == pytest.approx((0.25, 0.25))
    assert r.forward_passes == 2 and r.backward_passes <= 2 * 51
    low = sharpness_probe(m, torch.optim.SGD(m.parameters(), lr=0.01), quad, [None])
    assert low.start == 1.0 and low.warmup.length == 0  # 0.01 * 40 = 0.4 < 0.5 * 2: no warmup


def test_adam_preconditioned_sharpness():
    # the first Adam update: v_hat = g^2, P = |g| + eps = h|w| (eps tiny): P^-1/2 H P^-1/2 = diag(1 / |w|)
    m = Diag([3.0, 100.0, 0.5], [2.0, 0.5, 0.25])
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-12)
    r = sharpness_probe(m, opt, quad, [None], iters=100, tol=1e-12)
    assert r.sharpness == pytest.approx(1e-3 * 4.0, rel=1e-6)  # eta * max(1 / |w|)
    assert r.critical_lrs[0] == pytest.approx((2 + 2 * 0.9) / (1 - 0.9) / 4.0, rel=1e-6)
    assert not opt.state  # nothing was stepped


def test_adam_preconditioner_after_training_uses_the_state():
    m = Diag([3.0, 100.0], [2.0, 0.5])
    opt = torch.optim.AdamW(m.parameters(), lr=1e-2, betas=(0.9, 0.99), eps=1e-12, weight_decay=0.0)
    for _ in range(5):
        opt.zero_grad()
        quad(m, None).backward()
        opt.step()
    st = opt.state[m.w]
    g = m.h * m.w.detach()
    v = 0.99 * st["exp_avg_sq"] + 0.01 * g * g
    p = (v / (1 - 0.99 ** 6)).sqrt() + 1e-12
    want = float((m.h / p).max())  # diagonal: the eigenvalues of P^-1/2 H P^-1/2 are h / P
    r = sharpness_probe(m, opt, quad, [None], iters=200, tol=1e-12)
    assert r.sharpness == pytest.approx(1e-2 * want, rel=1e-6)


def test_batchnorm_dropout_model_is_left_bit_identical():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.BatchNorm1d(16), torch.nn.Tanh(),
                                torch.nn.Dropout(0.2), torch.nn.Linear(16, 3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    data = [(torch.randn(8, 6), torch.randint(0, 3, (8,))) for _ in range(3)]

    def loss_fn(m, b):
        return torch.nn.functional.cross_entropy(m(b[0]), b[1])

    for b in data[:2]:  # some optimizer state and BatchNorm statistics to keep
        opt.zero_grad()
        loss_fn(model, b).backward()
        opt.step()
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt_before = {k: v.clone() for k, v in opt.state[next(model.parameters())].items()}
    grads = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    rng = torch.get_rng_state()
    r = sharpness_probe(model, opt, loss_fn, data, n_batches=3, iters=10)
    assert r.sharpness > 0 and r.forward_passes == 3
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert all(torch.equal(v, opt.state[next(model.parameters())][k]) for k, v in opt_before.items())
    assert all((a is None and p.grad is None) or torch.equal(a, p.grad)
               for a, p in zip(grads, model.parameters(), strict=True))
    assert torch.equal(rng, torch.get_rng_state()) and not model.training
    assert sharpness_probe(model, opt, loss_fn, data, n_batches=3, iters=10) == r


@pytest.mark.parametrize("kwargs, match", [
    ({"iters": 0}, "iters must be a whole number >= 1"),
    ({"n_batches": 0}, "n_batches must be"),
    ({"tol": 0.0}, r"sharpness_probe: tol must be in \(0, 1\]"),
    ({"safety": float("nan")}, "safety must be a finite number"),
])
def test_bad_arguments(kwargs, match):
    m = Diag([1.0], [1.0])
    with pytest.raises(RampupError, match=match):
        sharpness_probe(m, torch.optim.SGD(m.parameters(), lr=0.1), quad, [None], **kwargs)


def test_optimizer_without_a_threshold_and_bad_losses():
    m = Diag([1.0], [1.0])
    with pytest.raises(RampupError, match="no edge-of-stability threshold for RMSprop"):
        sharpness_probe(m, torch.optim.RMSprop(m.parameters(), lr=0.1), quad, [None])
    with pytest.raises(RampupError, match="loss at the current parameters is nan"):
        sharpness_probe(m, torch.optim.SGD(m.parameters(), lr=0.1), lambda mm, b: quad(mm, b) * math.nan, [None])
    with pytest.raises(RampupError, match="batches gave no batch"):
        sharpness_probe(m, torch.optim.SGD(m.parameters(), lr=0.1), quad, [])


def test_attention_model_twice_differentiable():
    # the fused CPU attention kernel has no second derivative; the probe runs the forward with the math kernel
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, dropout=0.0, batch_first=True)
    head = torch.nn.Linear(16, 1)
    model = torch.nn.Sequential(layer, head)
    x = torch.randn(4, 12, 16)

    def loss_fn(m, b):
        return m(b).pow(2).mean()

    before = {k: v.clone() for k, v in model.state_dict().items()}
    r = sharpness_probe(model, torch.optim.Adam(model.parameters(), lr=1e-3), loss_fn, [x], iters=5)
    assert math.isfinite(r.sharpness) and r.sharpness > 0 and r.backward_passes >= 2
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())


def test_negative_dominant_eigenvalue_gives_the_top_positive_one():
    # eigenvalues 3 and -50: plain power iteration converges to -50; the shifted one finds 3
    m = Diag([3.0, -50.0, 1.0], [1.0, 1.0, 1.0])
    r = sharpness_probe(m, torch.optim.SGD(m.parameters(), lr=0.1), quad, [None], iters=300, tol=1e-12)
    assert r.sharpness == pytest.approx(0.1 * 3.0, rel=1e-6) and r.critical_lrs[0] == pytest.approx(2 / 3.0)
    flat = Diag([-2.0, -50.0], [1.0, 1.0])  # no positive curvature: nothing bounds the LR
    r = sharpness_probe(flat, torch.optim.SGD(flat.parameters(), lr=0.1), quad, [None], iters=300, tol=1e-12)
    assert r.bounded and r.start == 1.0 and r.warmup.length == 0 and r.sharpness <= 0


def test_linear_loss_has_no_curvature_and_no_bound():
    m = torch.nn.Linear(2, 1)
    r = sharpness_probe(m, torch.optim.SGD(m.parameters(), lr=10.0), lambda mm, b: mm(torch.ones(1, 2)).sum(), [None])
    assert r.sharpness == 0.0 and r.bounded and r.start == 1.0 and r.warmup.length == 0
    with pytest.raises(RampupError, match="does not depend on the optimizer's parameters"):
        sharpness_probe(m, torch.optim.SGD(m.parameters(), lr=1.0), lambda mm, b: torch.ones((), requires_grad=True),
                        [None])
