"""rampup against pytorch_warmup (Tony-Y), driven by a real torch optimizer and its ``dampening()`` protocol.

Offset: none between the counters, one inside the formulas. pytorch_warmup dampens the LR for ``step = 0`` when
it is built and for ``last_step + 1`` in each ``with warmup.dampening():`` block after ``optimizer.step()``, so
the update rampup calls step t runs with pytorch_warmup's ``step = t``. Its formulas then use ``step + 1``
(``min(1, (t + 1) / tau)``, ``1 - exp(-(t + 1) / tau)``): rampup's ``offset=1``. RAdamWarmup evaluates
``rho(t + delta)`` with the smallest ``delta`` where ``rho > 4``, which is rampup's ``radam_warmup`` default.

The untuned warmups differ by design where ``2 / (1 - beta2)`` is not a whole number in floating point:
pytorch_warmup truncates with ``int()`` (beta2 = 0.999 gives 1999 and 999), rampup rounds (2000 and 1000).
``test_untuned_*_rounding`` asserts exactly that difference.
"""

from __future__ import annotations

import numpy as np
import pytest
import pytorch_warmup as pw
from torch.optim import lr_scheduler as ls

from rampup import cosine_decay, exp_warmup, linear_warmup, radam_warmup, untuned_warmup

from ._util import PAST_END, assert_close, rampup_values, run_torch, sgd

BASE = 0.1


def warmup_lrs(make_warmup, updates: int, *, base: float = BASE, adam_beta2: float | None = None,
               make_sched=None) -> np.ndarray:
    """LRs of ``updates`` real updates: ``optimizer.step()``, then ``with warmup.dampening(): sched.step()``
    (``pass`` without an LR scheduler), as pytorch_warmup documents."""
    opt = sgd(base, adam_beta2=adam_beta2)
    sched = make_sched(opt) if make_sched else None  # the LR scheduler is built before the warmup, as documented
    warmup = make_warmup(opt)

    def after_update():
        with warmup.dampening():
            if sched is not None:
                sched.step()

    return run_torch(opt, after_update, updates)


def check(lrs: np.ndarray, schedule, what: str, base: float = BASE) -> None:
    steps = np.arange(lrs.size)
    assert_close(base * rampup_values(schedule, steps), lrs, what=what, steps=steps)


@pytest.mark.parametrize("tau", [1, 5, 100])
def test_linear_warmup(tau):
    check(warmup_lrs(lambda o: pw.LinearWarmup(o, warmup_period=tau), tau + PAST_END),
          linear_warmup(tau, offset=1), f"LinearWarmup tau={tau}")


@pytest.mark.parametrize("tau", [1, 10, 50])
def test_exponential_warmup(tau):
    check(warmup_lrs(lambda o: pw.ExponentialWarmup(o, warmup_period=tau), 5 * tau + PAST_END),
          exp_warmup(tau, offset=1), f"ExponentialWarmup tau={tau}")


@pytest.mark.parametrize("tau", [4, 20])
def test_linear_warmup_with_constant_scheduler(tau):
    check(warmup_lrs(lambda o: pw.LinearWarmup(o, warmup_period=tau), tau + PAST_END,
                     make_sched=lambda o: ls.ConstantLR(o, factor=1.0, total_iters=0)),
          linear_warmup(tau, offset=1), f"LinearWarmup tau={tau} with ConstantLR")


@pytest.mark.parametrize("kind,tau,T", [("linear", 10, 50), ("exponential", 8, 40), ("linear", 1, 9)])
def test_warmup_dampens_a_decay(kind, tau, T):
    """Over a real CosineAnnealingLR the warmup multiplies the decay on the same clock: rampup's
    ``cosine_decay(T) * warmup`` (``with_warmup(..., overlap=True)``)."""
    make = pw.LinearWarmup if kind == "linear" else pw.ExponentialWarmup
    ours = linear_warmup(tau, offset=1) if kind == "linear" else exp_warmup(tau, offset=1)
    check(warmup_lrs(lambda o: make(o, warmup_period=tau), T + 1, make_sched=lambda o: ls.CosineAnnealingLR(o, T)),
          cosine_decay(T) * ours, f"{make.__name__} tau={tau} over CosineAnnealingLR T_max={T}")


@pytest.mark.parametrize("beta2", [0.9, 0.8, 0.75])
def test_untuned_agree(beta2):
    """beta2 where int() and round() of 2 / (1 - beta2) and 1 / (1 - beta2) give the same whole number."""
    assert int(2 / (1 - beta2)) == round(2 / (1 - beta2)) and int(1 / (1 - beta2)) == round(1 / (1 - beta2))
    n = 3 * round(2 / (1 - beta2)) + PAST_END
    check(warmup_lrs(pw.UntunedLinearWarmup, n, adam_beta2=beta2), untuned_warmup(beta2),
          f"UntunedLinearWarmup beta2={beta2}")
    check(warmup_lrs(pw.UntunedExponentialWarmup, n, adam_beta2=beta2), untuned_warmup(beta2, "exponential"),
          f"UntunedExponentialWarmup beta2={beta2}")


@pytest.mark.parametrize("beta2,peer_tau,our_tau", [(0.999, 1999, 2000), (0.98, 99, 100), (0.95, 39, 40)])
def test_untuned_linear_rounding(beta2, peer_tau, our_tau):
    """pytorch_warmup's UntunedLinearWarmup is ``linear_warmup(int(2 / (1 - beta2)), offset=1)``; rampup's
    ``untuned_warmup`` rounds instead, the length the paper means (2 / (1 - 0.999) = 2000)."""
    assert int(2 / (1 - beta2)) == peer_tau and round(2 / (1 - beta2)) == our_tau
    lrs = warmup_lrs(pw.UntunedLinearWarmup, our_tau + PAST_END, adam_beta2=beta2)
    check(lrs, linear_warmup(peer_tau, offset=1), f"UntunedLinearWarmup beta2={beta2} as int()")
    ours = untuned_warmup(beta2)
    assert ours == linear_warmup(our_tau, offset=1)
    assert ours(0) == 1 / our_tau and lrs[0] == pytest.approx(BASE / peer_tau, rel=1e-12)


@pytest.mark.parametrize("beta2,peer_tau,our_tau", [(0.999, 999, 1000), (0.99, 99, 100)])
def test_untuned_exponential_rounding(beta2, peer_tau, our_tau):
    """The same for the exponential one: ``1 / (1 - beta2)`` truncated by pytorch_warmup, rounded by rampup."""
    assert int(1 / (1 - beta2)) == peer_tau and round(1 / (1 - beta2)) == our_tau
    lrs = warmup_lrs(pw.UntunedExponentialWarmup, 2 * our_tau, adam_beta2=beta2)
    check(lrs, exp_warmup(peer_tau, offset=1), f"UntunedExponentialWarmup beta2={beta2} as int()")
    assert untuned_warmup(beta2, "exponential") == exp_warmup(float(our_tau), offset=1)


@pytest.mark.parametrize("beta2,n", [(0.999, 3000), (0.99, 400), (0.95, 100), (0.7, 30)])
def test_radam_warmup(beta2, n):
    lrs = warmup_lrs(pw.RAdamWarmup, n, adam_beta2=beta2)
    check(lrs, radam_warmup(beta2), f"RAdamWarmup beta2={beta2}")
    # rampup's default offset is pytorch_warmup's delta: naming it explicitly gives the same schedule
    peer_offset = pw.radam.get_offset(beta2, pw.radam.rho_inf_fn(beta2))
    check(lrs, radam_warmup(beta2, offset=peer_offset), f"RAdamWarmup beta2={beta2} offset={peer_offset}")
