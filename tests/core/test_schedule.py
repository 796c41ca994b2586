"""rampup.core.schedule: the operators (>>, *, scale) against closed forms, and HF's quoted W = 4, T = 10 values."""

import math

import pytest

import rampup as r

from ._closed_form import check_closed_form, check_reference

# (schedule, closed form f(t), steps to check)
TABLE = [
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
    (r.linear_warmup(10).scale(3e-4), lambda t: 3e-4 * min(1.0, t / 10), range(14)),
    (r.repeat(r.linear_warmup(2) >> r.cosine_decay(8)),
     lambda t: (t % 10) / 2 if t % 10 < 2 else (1 + math.cos(math.pi * ((t % 10) - 2) / 8)) / 2, range(35)),
]


@pytest.mark.parametrize("schedule,formula,steps", TABLE, ids=[repr(s) for s, _, _ in TABLE])
def test_closed_form(schedule, formula, steps):
    check_closed_form(schedule, formula, steps)


@pytest.mark.parametrize("schedule,values", [
    # HF transformers docs: linear and cosine with W = 4, T = 10
    (r.linear_warmup(4) >> r.linear_decay(6), [0, .25, .5, .75, 1, .833333, .666667, .5, .333333, .166667, 0]),
    (r.linear_warmup(4) >> r.cosine_decay(6), [0, .25, .5, .75, 1, .933013, .75, .5, .25, .066987, 0]),
], ids=["hf-linear", "hf-cosine"])
def test_reference_values(schedule, values):
    check_reference(schedule, values)
