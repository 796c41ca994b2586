"""rampup.core.compose: clip, repeat (torch's warm restarts) and one_cycle (torch's OneCycleLR) against closed forms."""

import math

import pytest

import rampup as r

from ._closed_form import check_closed_form, check_reference

# (schedule, closed form f(t), steps to check)
TABLE = [
    (r.clip(r.linear_decay(10), min=0.25, max=0.9), lambda t: min(0.9, max(0.25, 1 - min(1, t / 10))), range(14)),
    (r.repeat(r.linear_decay(5), times=3), lambda t: 1 - (min(t, 15) - 5 * min(2, min(t, 15) // 5)) / 5, range(20)),
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
    check_closed_form(schedule, formula, steps)


def test_one_cycle_quoted_values():
    # torch OneCycleLR docs: N = 100, pct = .3, div = 25
    check_reference(r.one_cycle(100, pct=0.3), [0.04])
    assert r.one_cycle(100, pct=0.3)(29) == 1.0


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
