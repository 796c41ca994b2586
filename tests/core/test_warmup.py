"""rampup.core.warmup: every warmup shape against its closed form, and the values the papers and peers quote."""

import math

import pytest

import rampup as r

from ._closed_form import check_closed_form, check_reference

# (schedule, closed form f(t), steps to check)
TABLE = [
    (r.linear_warmup(10), lambda t: min(1.0, t / 10), range(15)),
    (r.linear_warmup(10, start=0.1), lambda t: 0.1 + 0.9 * min(1.0, t / 10), range(15)),
    (r.linear_warmup(10, offset=1), lambda t: min(1.0, (t + 1) / 10), range(15)),
    (r.linear_warmup(0), lambda t: 1.0, range(3)),
    (r.cosine_warmup(8), lambda t: (1 - math.cos(math.pi * min(1, t / 8))) / 2, range(12)),
    (r.cosine_warmup(8, start=0.2), lambda t: 0.2 + 0.8 * (1 - math.cos(math.pi * min(1, t / 8))) / 2, range(12)),
    (r.poly_warmup(8, power=3), lambda t: min(1, t / 8) ** 3, range(12)),
    (r.poly_warmup(8, power=0.5, start=0.1), lambda t: 0.1 + 0.9 * min(1, t / 8) ** 0.5, range(12)),
    (r.sqrt_warmup(8), lambda t: 1 - math.sqrt(1 - min(1, t / 8)), range(12)),
    (r.log_warmup(10), lambda t: math.log(t + 1) / math.log(10) if t < 10 else 1.0, range(14)),
    (r.log_warmup(1), lambda t: 0.0 if t < 1 else 1.0, range(3)),
    (r.log_warmup(10, start=0.1), lambda t: 0.1 + 0.9 * (math.log(t + 1) / math.log(10) if t < 10 else 1), range(14)),
    (r.geometric_warmup(10, start=1e-3), lambda t: 1e-3 * 1000 ** min(1, t / 10), range(14)),
    (r.constant_warmup(5, start=0.1), lambda t: 0.1 if t < 5 else 1.0, range(8)),
    (r.exp_warmup(10), lambda t: 1 - math.exp(-t / 10), range(50)),
    (r.exp_warmup(10, offset=1, start=0.1), lambda t: 0.1 + 0.9 * (1 - math.exp(-(t + 1) / 10)), range(50)),
    (r.exp_warmup(10, duration=20), lambda t: 1 - math.exp(-min(t, 20) / 10), range(30)),
]


@pytest.mark.parametrize("schedule,formula,steps", TABLE, ids=[repr(s) for s, _, _ in TABLE])
def test_closed_form(schedule, formula, steps):
    check_closed_form(schedule, formula, steps)


@pytest.mark.parametrize("schedule,values", [
    # DeepSpeed WarmupLR log warmup, W = 10
    (r.log_warmup(10), [0, .30103, .477121, .60206, .69897, .778151, .845098, .90309, .954243, 1]),
    # pytorch_warmup exponential warmup, tau = 10
    (r.exp_warmup(10, offset=1), [.095163, .181269, .259182, .329680, .393469]),
    # pytorch_warmup RAdamWarmup, beta2 = .999 (offset 5)
    (r.radam_warmup(0.999), [.017312, .025821, .032739, .038738]),
], ids=["deepspeed-log", "pytorch_warmup-exp", "pytorch_warmup-radam"])
def test_reference_values(schedule, values):
    check_reference(schedule, values)


def test_sqrt_warmup_quoted_values():
    assert abs(r.sqrt_warmup(4)(1) - 0.133975) < 5e-7 and abs(r.sqrt_warmup(4)(2) - 0.292893) < 5e-7

def test_radam_offset_is_the_first_step_with_rho_above_4():
    b2 = 0.999
    rho_inf = 2 / (1 - b2) - 1
    rho = lambda k: rho_inf - 2 * k * b2**k / (1 - b2**k)  # noqa: E731
    assert next(k for k in range(1, 10) if rho(k) > 4) == r.radam_warmup(b2)._delta == 5
    for t in range(100):
        k = t + 5
        want = math.sqrt((rho(k) - 4) * (rho(k) - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho(k)))
        assert r.radam_warmup(b2)(t) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("beta2,length,tau", [(0.999, 2000, 1000.0), (0.98, 100, 50.0), (0.99, 200, 100.0),
                                              (0.9995, 4000, 2000.0)])
def test_untuned_rounds_rather_than_truncates(beta2, length, tau):
    lin_ = r.untuned_warmup(beta2)
    assert lin_ == r.linear_warmup(length, offset=1)
    assert r.untuned_warmup(beta2, "exponential") == r.exp_warmup(tau, offset=1)
    # Ma & Yarats: omega_t = min(1, (1 - beta2) t / 2) with t counted from 1
    for t in (0, 1, length // 2, length - 1, length, 3 * length):
        assert lin_(t) == pytest.approx(min(1.0, (1 - beta2) * (t + 1) / 2), rel=1e-9)
