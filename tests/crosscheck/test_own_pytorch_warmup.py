"""pytorch_warmup's own tests, ported: Tony-Y/pytorch_warmup ``test/test_base.py``, ``test/test_untuned.py``,
``test/test_radam.py``.

pytorch_warmup's tests: SGD (Adam with ``betas=(0.9, 0.7)`` for the untuned and RAdam warmups) with two param
groups at LR 0.5 and 0.1, a ``LambdaLR(lambda step: 1.0)`` under the warmup's ``dampening()``, the LR read at
``step = 1 .. 10`` before each update and compared with ``assertAlmostEqual`` (7 places). Their ``step`` counts
from 1, so the update rampup calls step t is their ``step = t + 1``: the README's ``offset=1``. Here each case runs
through ``rampup.torch.Scheduler`` with the same groups, and through the installed pytorch_warmup.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import pytorch_warmup as pw
import torch
from torch.optim import lr_scheduler as ls

from rampup import exp_decay, exp_warmup, linear_warmup, radam_warmup, step_decay, untuned_warmup

from ._own import assert_peer, torch_group_lrs

BASES = [0.5, 0.1]
PLACES = 0.5e-7  # assertAlmostEqual's default: round(a - b, 7) == 0


def installed(make_warmup, n: int, *, adam_beta2: float | None = None, make_scheds=()) -> np.ndarray:
    """The installed pytorch_warmup on the peer test's optimizer: LRs before each of ``n`` updates."""
    ps = [torch.nn.Parameter(torch.arange(10, dtype=torch.float32)) for _ in BASES]
    groups = [{"params": [ps[0]]}, {"params": [ps[1]], "lr": BASES[1]}]
    if adam_beta2 is None:
        opt = torch.optim.SGD(groups, lr=BASES[0])
    else:
        opt = torch.optim.Adam(groups, lr=BASES[0], betas=(0.9, adam_beta2))
    scheds = [m(opt) for m in make_scheds] or [ls.LambdaLR(opt, lr_lambda=lambda step: 1.0)]
    warmup = make_warmup(opt)
    out = []
    for _ in range(n):
        out.append([g["lr"] for g in opt.param_groups])
        opt.zero_grad()
        opt.step()
        with warmup.dampening():
            for s in scheds:
                s.step()
    return np.array(out, dtype=np.float64)


def expected(fn) -> np.ndarray:
    """The peer's expected list: ``base * fn(step)`` for ``step = 1 .. 10``."""
    return np.array([[b * fn(step) for b in BASES] for step in range(1, 11)])


def test_linear():
    # test_base.py TestBase.test_linear and test_linear_wo_lr_scheduler: LinearWarmup(warmup_period=5)
    ref = expected(lambda step: step / 5 if step < 5 else 1.0)
    assert_peer(torch_group_lrs(linear_warmup(5, offset=1), BASES, 10), ref, atol=PLACES, what="LinearWarmup")
    assert_peer(installed(lambda o: pw.LinearWarmup(o, warmup_period=5), 10), ref, atol=PLACES,
                what="installed LinearWarmup vs its own test")


def test_exponential():
    # test_base.py TestBase.test_exponetial: ExponentialWarmup(warmup_period=5)
    ref = expected(lambda step: 1 - math.exp(-step / 5))
    assert_peer(torch_group_lrs(exp_warmup(5, offset=1), BASES, 10), ref, atol=PLACES, what="ExponentialWarmup")
    assert_peer(installed(lambda o: pw.ExponentialWarmup(o, warmup_period=5), 10), ref, atol=PLACES,
                what="installed ExponentialWarmup")


def test_linear_chaining():
    # test_base.py TestBase.test_linear_chaining: ExponentialLR(0.9) and StepLR(3, 0.1) dampened by a 5-step
    # linear warmup: the undampened LRs times step / 5 (rampup: the product of the three on one clock)
    undampened = np.array([[b * 0.9**i * 0.1 ** (i // 3) for b in BASES] for i in range(10)])
    ref = undampened * np.array([min(1.0, (i + 1) / 5) for i in range(10)])[:, None]
    ours = exp_decay(0.9) * step_decay(3, gamma=0.1) * linear_warmup(5, offset=1)
    assert_peer(torch_group_lrs(ours, BASES, 10), ref, atol=PLACES, what="LinearWarmup over two schedulers")
    theirs = installed(lambda o: pw.LinearWarmup(o, warmup_period=5), 10,
                       make_scheds=(lambda o: ls.ExponentialLR(o, gamma=0.9),
                                    lambda o: ls.StepLR(o, step_size=3, gamma=0.1)))
    assert_peer(theirs, ref, atol=1e-7, what="installed pytorch_warmup chaining vs its own test")


@pytest.mark.parametrize("ours", [linear_warmup(5, offset=1), exp_warmup(5, offset=1)])
def test_state_dict(ours):
    # test_base.py _test_state_dict (every test): a warmup restored from its state goes on the same way
    plain = torch_group_lrs(ours, BASES, 10)
    assert torch_group_lrs(ours, BASES, 10, save_at=3).tolist() == plain.tolist()


def test_untuned_linear():
    """test_untuned.py TestUntuned.test_untuned_linear: beta2 = 0.7, the warmup lasts ``int(2 / (1 - 0.7)) = 6``
    steps. rampup's ``untuned_warmup`` rounds 6.67 to 7 (the paper's ``2 / (1 - beta2)``), a documented
    difference (README pytorch_warmup row); ``linear_warmup(6, offset=1)`` is the exact equivalent."""
    ref = expected(lambda step: step / 6 if step < 6 else 1.0)
    assert_peer(torch_group_lrs(linear_warmup(6, offset=1), BASES, 10), ref, atol=PLACES,
                what="UntunedLinearWarmup as linear_warmup(6, offset=1)")
    assert untuned_warmup(0.7) == linear_warmup(7, offset=1)
    assert_peer(installed(pw.UntunedLinearWarmup, 10, adam_beta2=0.7), ref, atol=1e-7,
                what="installed UntunedLinearWarmup")


def test_untuned_exponential():
    # test_untuned.py TestUntuned.test_untuned_exponential: tau = int(1 / 0.3) = 3 = round(3.33)
    ref = expected(lambda step: 1 - math.exp(-step / 3))
    assert_peer(torch_group_lrs(untuned_warmup(0.7, "exponential"), BASES, 10), ref, atol=PLACES,
                what="UntunedExponentialWarmup")


def test_radam():
    # test_radam.py TestRAdam.test_radam: beta2 = 0.7, the LR stays below the base LR for the first 10 steps
    lrs = torch_group_lrs(radam_warmup(0.7), BASES, 10)
    assert (lrs < np.array(BASES)).all()
    theirs = installed(pw.RAdamWarmup, 10, adam_beta2=0.7)
    assert_peer(lrs, theirs, rtol=1e-6, what="RAdamWarmup vs installed (float32 params)")
