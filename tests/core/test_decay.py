"""rampup.core.decay: every decay against its closed form, and the Noam values of Vaswani et al."""

import math

import pytest

import rampup as r

from ._closed_form import check_closed_form

# (schedule, closed form f(t), steps to check)
TABLE = [
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
]


@pytest.mark.parametrize("schedule,formula,steps", TABLE, ids=[repr(s) for s, _, _ in TABLE])
def test_closed_form(schedule, formula, steps):
    check_closed_form(schedule, formula, steps)


def test_noam_quoted_values():
    # Noam, d = 512, W = 4000: s = 1 -> 1.746928e-7, s = 4000 -> 6.987712e-4 (s = t + 1)
    n = r.noam(4000).scale(r.noam_peak(512, 4000))
    assert abs(n(0) - 1.746928e-7) < 5e-13 and abs(n(3999) - 6.987712e-4) < 5e-10
