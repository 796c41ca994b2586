"""Every warmup shape and decay against its closed form, written here independently of rampup, and against the
reference values quoted in the papers (each cited where it is used) and in the peers' docs and test files."""

import math

import numpy as np
import pytest

import rampup as r


def lin(t, W, s=0.0, off=0):
    return 1.0 if W == 0 else s + (1 - s) * min(1.0, (t + off) / W)


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
    (r.linear_decay(10), lambda t: 1 - min(1, t / 10), range(14)),
    (r.linear_decay(10, to=0.2, start=0.8), lambda t: 0.8 - 0.6 * min(1, t / 10), range(14)),
    (r.cosine_decay(10), lambda t: (1 + math.cos(math.pi * min(1, t / 10))) / 2, range(14)),
    (r.cosine_decay(10, to=0.1), lambda t: 0.1 + 0.9 * (1 + math.cos(math.pi * min(1, t / 10))) / 2, range(14)),
    (r.cosine_decay(12, cycles=3),
     lambda t: 0.0 if t >= 12 else (1 + math.cos(math.pi * ((3 * t / 12) % 1))) / 2, range(16)),
    (r.poly_decay(10, power=2, to=0.1), lambda t: 0.1 + 0.9 * (1 - min(1, t / 10)) ** 2, range(14)),
    (r.sqrt_decay(10, to=0.05), lambda t: 0.05 + 0.95 * (1 - math.sqrt(min(1, t / 10))), range(14)),
    (r.geometric_decay(10, to=0.01), lambda t: 0.01 ** min(1, t / 10), range(14)),
    (r.constant(value=0.3), lambda t: 0.3, range(3)),
    (r.exp_decay(0.9), lambda t: 0.9**t, range(30)),
    (r.exp_decay(0.5, every=4, to=0.1), lambda t: max(0.1, 0.5 ** (t / 4)), range(30)),
    (r.step_decay(3, gamma=0.5), lambda t: 0.5 ** (t // 3), range(20)),
    (r.multistep([3, 7, 8], gamma=0.1), lambda t: 0.1 ** sum(t >= m for m in (3, 7, 8)), range(12)),
    (r.inverse_sqrt(timescale=4), lambda t: 1 / math.sqrt((t + 4) / 4), range(20)),
    (r.inverse_sqrt(), lambda t: math.sqrt(10_000 / (t + 10_000)), range(0, 50_000, 1000)),
    (r.noam(4000), lambda t: min((t + 1) / 4000, math.sqrt(4000 / (t + 1))), range(0, 20_000, 97)),
    # sequences: each phase counts from its own start; decays start where the warmup ended
    (r.linear_warmup(4) >> r.cosine_decay(6),
     lambda t: t / 4 if t < 4 else (1 + math.cos(math.pi * min(1, (t - 4) / 6))) / 2, range(12)),
    (r.linear_warmup(4) >> r.constant(3) >> r.linear_decay(5, to=0.2),
     lambda t: t / 4 if t < 4 else 1.0 if t < 7 else 1 - 0.8 * min(1, (t - 7) / 5), range(15)),
    (r.exp_warmup(5, duration=10) >> r.linear_decay(10),  # the decay starts from the value the warmup reached
     lambda t: 1 - math.exp(-t / 5) if t < 10 else (1 - math.exp(-2)) * (1 - min(1, (t - 10) / 10)), range(25)),
    # with an offset the warmup reaches the peak at W - offset, and the next phase starts there
    (r.linear_warmup(4, offset=1) >> r.linear_decay(3),
     lambda t: (t + 1) / 4 if t < 3 else 1 - min(1, (t - 3) / 3), range(9)),
    (r.linear_warmup(4) >> r.inverse_sqrt(),  # HF: timescale defaults to the warmup length
     lambda t: t / 4 if t < 4 else 1 / math.sqrt((t + 4 - 4) / 4), range(20)),
    (r.cosine_decay(20) * r.exp_warmup(5), lambda t: (1 + math.cos(math.pi * min(1, t / 20))) / 2
     * (1 - math.exp(-t / 5)), range(25)),
    (r.clip(r.linear_decay(10), min=0.25, max=0.9), lambda t: min(0.9, max(0.25, 1 - min(1, t / 10))), range(14)),
    (r.linear_warmup(10).scale(3e-4), lambda t: 3e-4 * min(1.0, t / 10), range(14)),
    (r.repeat(r.linear_decay(5), times=3), lambda t: 1 - (min(t, 15) - 5 * min(2, min(t, 15) // 5)) / 5, range(20)),
    (r.repeat(r.linear_warmup(2) >> r.cosine_decay(8)),
     lambda t: (t % 10) / 2 if t % 10 < 2 else (1 + math.cos(math.pi * ((t % 10) - 2) / 8)) / 2, range(35)),
]


def _restart_mult(t, L, m):
    """torch CosineAnnealingWarmRestarts' cycle bookkeeping, written as a loop."""
    start, length = 0, L
    while t >= start + length:
        start += length
        length *= m
    return (t - start) / length


TABLE.append((r.repeat(r.cosine_decay(5, to=0.1), mult=2),
              lambda t: 0.1 + 0.9 * (1 + math.cos(math.pi * _restart_mult(t, 5, 2))) / 2, range(80)))
TABLE.append((r.repeat(r.linear_decay(3), mult=3), lambda t: 1 - _restart_mult(t, 3, 3), range(130)))


@pytest.mark.parametrize("schedule,formula,steps", TABLE, ids=[repr(s) for s, _, _ in TABLE])
def test_closed_form(schedule, formula, steps):
    steps = list(steps)
    expected = np.array([formula(t) for t in steps])
    scalar = np.array([schedule(t) for t in steps])
    vector = schedule(np.array(steps))
    np.testing.assert_allclose(scalar, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(vector, expected, rtol=1e-12, atol=1e-15)


# Reference values quoted by the papers and the peers' documentation.
REFERENCE = [
    # HF transformers docs: linear and cosine with W = 4, T = 10
    (r.linear_warmup(4) >> r.linear_decay(6), [0, .25, .5, .75, 1, .833333, .666667, .5, .333333, .166667, 0]),
    (r.linear_warmup(4) >> r.cosine_decay(6), [0, .25, .5, .75, 1, .933013, .75, .5, .25, .066987, 0]),
    # DeepSpeed WarmupLR log warmup, W = 10
    (r.log_warmup(10), [0, .30103, .477121, .60206, .69897, .778151, .845098, .90309, .954243, 1]),
    # pytorch_warmup exponential warmup, tau = 10
    (r.exp_warmup(10, offset=1), [.095163, .181269, .259182, .329680, .393469]),
    # pytorch_warmup RAdamWarmup, beta2 = .999 (offset 5)
    (r.radam_warmup(0.999), [.017312, .025821, .032739, .038738]),
    # torch OneCycleLR docs: N = 100, pct = .3, div = 25
    (r.one_cycle(100, pct=0.3), [0.04]),
]


@pytest.mark.parametrize("schedule,values", REFERENCE, ids=[repr(s) for s, _ in REFERENCE])
def test_reference_values(schedule, values):
    got = schedule(np.arange(len(values)))
    np.testing.assert_allclose(got, values, atol=5e-7)


def test_reference_values_at_named_steps():
    assert r.one_cycle(100, pct=0.3)(29) == 1.0
    assert abs(r.sqrt_warmup(4)(1) - 0.133975) < 5e-7 and abs(r.sqrt_warmup(4)(2) - 0.292893) < 5e-7
    # Noam, d = 512, W = 4000: s = 1 -> 1.746928e-7, s = 4000 -> 6.987712e-4 (s = t + 1)
    n = r.noam(4000).scale(r.noam_peak(512, 4000))
    assert abs(n(0) - 1.746928e-7) < 5e-13 and abs(n(3999) - 6.987712e-4) < 5e-10


def test_radam_offset_is_the_first_step_with_rho_above_4():
    b2 = 0.999
    rho_inf = 2 / (1 - b2) - 1
    rho = lambda k: rho_inf - 2 * k * b2**k / (1 - b2**k)  # noqa: E731
    assert [k for k in range(1, 10) if rho(k) > 4][0] == r.radam_warmup(b2)._delta == 5
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


def test_one_cycle_matches_the_torch_phase_layout():
    total, pct, div, fdiv = 100, 0.3, 25.0, 1e4
    s = r.one_cycle(total, pct=pct, div=div, final_div=fdiv)
    lo, hi, end = 1 / div, 1.0, 1 / (div * fdiv)
    for t in range(total):
        if t <= 29:
            want = hi + (lo - hi) / 2 * (1 + math.cos(math.pi * t / 29))
        else:
            want = end + (hi - end) / 2 * (1 + math.cos(math.pi * (t - 29) / 70))
        assert s(t) == pytest.approx(want, rel=1e-12)
    three = r.one_cycle(total, pct=pct, three_phase=True, shape="linear")
    assert three(29) == 1.0 and three(58) == pytest.approx(lo) and three(99) == pytest.approx(end)
