"""rampup.core.scalar.scalar_function: the hot path's evaluation is s(t) itself, the same float bit for bit, for
every kind of schedule (the compiled nodes and the ones evaluated by their own scalar formula)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import schedules

import rampup as r
from rampup.core.scalar import scalar_function

SPECS = [
    "linear(10) >> cosine(to=0.1)", "cosine_warmup(8, start=0.1) >> linear_decay(to=0.0)",
    "poly_warmup(6, power=3) >> poly_decay(power=2, to=0.05)", "sqrt_warmup(5) >> sqrt_decay()",
    "linear_warmup(6, offset=1) >> cosine_decay(cycles=3, to=0.1)", "log_warmup(7) >> geometric_decay(to=0.01)",
    "geometric_warmup(6, start=0.01) >> constant()", "constant_warmup(4, start=0.1) >> exp_decay(0.9)",
    "exp_warmup(3.0) * cosine_decay(40)", "untuned_warmup(0.9) >> multistep([5, 12], gamma=0.3)",
    "linear(5) >> inverse_sqrt()", "noam(6)", "wsd(5, 10, shape='cosine')", "one_cycle(40, pct=0.25)",
    "tri_stage(5, 10, 15)", "repeat(linear(4) >> cosine(8), mult=2)", "clip(linear(5) >> linear_decay(), min=0.2)",
    "0.5 * (linear(5) >> cosine())", "linear(0) >> cosine()", "constant(3) >> constant(4, value=0.5) >> cosine()",
    "linear_warmup(5) >> constant(0) >> cosine_decay(0, to=0.5) >> linear_decay(to=0.1)",
]
STEPS = [*range(60), 0.5, 4.25, 39.999, 1e6]


@pytest.mark.parametrize("spec", SPECS)
def test_equal_to_the_schedule_bit_for_bit(spec):
    s = r.parse(spec, total_steps=40)
    f = scalar_function(s)
    for t in STEPS:
        got, want = f(t), s(t)
        assert type(got) is float and (got == want or (math.isnan(got) and math.isnan(want))), (spec, t, got, want)


@settings(max_examples=300, deadline=None)
@given(schedules(), st.integers(0, 2000))
def test_equal_on_arbitrary_schedules(s, t):
    s = s.resolve(total_steps=500) if s._missing is not None else s
    f = scalar_function(s)
    assert f(t) == s(t)
    assert f(t + 0.5) == s(t + 0.5)


def test_a_schedule_that_needs_a_budget_raises_what_s_t_raises():
    s = r.parse("linear(5%) >> cosine()")
    with pytest.raises(r.BudgetError) as want:
        s(3)
    with pytest.raises(r.BudgetError) as got:
        scalar_function(s)
    assert str(got.value) == str(want.value)
