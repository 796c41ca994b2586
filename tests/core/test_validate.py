"""Every constructor checks its arguments: a RampupError (a ValueError) that names the argument and the value."""

import math

import numpy as np
import pytest

import rampup as r
from rampup import RampupError

NAN, INF = float("nan"), float("inf")

BAD = [
    (lambda: r.linear_warmup(-1), "duration", "-1"),
    (lambda: r.linear_warmup(NAN), "duration", "nan"),
    (lambda: r.linear_warmup(INF), "duration", "inf"),
    (lambda: r.linear_warmup(None), "duration", "required"),
    (lambda: r.linear_warmup("5 parsecs"), "duration", "5 parsecs"),
    (lambda: r.linear_warmup(True), "duration", "True"),
    (lambda: r.linear_warmup(10, start=1.5), "start", "1.5"),
    (lambda: r.linear_warmup(10, start=-0.1), "start", "-0.1"),
    (lambda: r.linear_warmup(10, start=NAN), "start", "nan"),
    (lambda: r.linear_warmup(10, offset=-1), "offset", "-1"),
    (lambda: r.poly_warmup(10, power=0), "power", "0"),
    (lambda: r.geometric_warmup(10, start=0.0), "start", "0.0"),
    (lambda: r.constant_warmup(10, start=0), "start", "0"),
    (lambda: r.exp_warmup(0), "tau", "0"),
    (lambda: r.exp_warmup(-3.0), "tau", "-3.0"),
    (lambda: r.radam_warmup(0.5), "beta2", "0.5"),
    (lambda: r.radam_warmup(1.0), "beta2", "1.0"),
    (lambda: r.radam_warmup(0.999, offset=1), "offset", "1"),
    (lambda: r.untuned_warmup(1.0), "beta2", "1.0"),
    (lambda: r.untuned_warmup(0.999, kind="cubic"), "kind", "cubic"),
    (lambda: r.cosine_decay(10, to=1.5), "to", "1.5"),       # a floor above the peak
    (lambda: r.cosine_decay(10, to=-0.1), "to", "-0.1"),
    (lambda: r.cosine_decay(10, cycles=0), "cycles", "0"),
    (lambda: r.linear_decay(10, to=0.5, start=0.2), "to=0.5", "start=0.2"),
    (lambda: r.geometric_decay(10, to=0.0), "to", "0.0"),
    (lambda: r.poly_decay(10, power=-1), "power", "-1"),
    (lambda: r.exp_decay(0.0), "gamma", "0.0"),
    (lambda: r.exp_decay(1.5), "gamma", "1.5"),
    (lambda: r.exp_decay(0.9, every=0), "every", "0"),
    (lambda: r.step_decay(10, gamma=NAN), "gamma", "nan"),
    (lambda: r.multistep([]), "milestones", "empty"),
    (lambda: r.multistep([5, 5]), "milestones", "[5, 5]"),
    (lambda: r.multistep([10, 3]), "milestones", "[10, 3]"),
    (lambda: r.multistep("30,60"), "milestones", "'30,60'"),
    (lambda: r.inverse_sqrt(timescale=0), "timescale", "0"),
    (lambda: r.noam(0), "warmup", "0"),
    (lambda: r.constant(value=2.0), "start", "2.0"),
    (lambda: r.clip(r.linear_decay(5), min=0.5, max=0.2), "max=0.2", "min=0.5"),
    (lambda: r.clip("linear(5)"), "schedule", "linear(5)"),
    (lambda: r.repeat(r.linear_decay(5), times=0), "times", "0"),
    (lambda: r.repeat(r.linear_decay(5), mult=0.5), "mult", "0.5"),
    (lambda: r.linear_warmup(5).scale(-1.0), "peak", "-1.0"),
    (lambda: r.linear_warmup(5).scale(NAN), "peak", "nan"),
    (lambda: r.sequence([]), "at least one", ""),
    (lambda: r.sequence([r.linear_warmup(5), 3]), "phases[1]", "3"),
    (lambda: r.wsd(5, 5, shape="exp"), "shape", "exp"),
    (lambda: r.one_cycle(100, pct=1.2), "pct", "1.2"),
    (lambda: r.one_cycle(2), "total", "2"),
    (lambda: r.one_cycle(10, pct=0.05), "pct", "0.05"),
    (lambda: r.with_warmup(r.cosine_decay(10), r.radam_warmup()), "overlap=True", "never ends"),
]


@pytest.mark.parametrize("make,arg,value", BAD, ids=[f"{a}={v}" for _, a, v in BAD])
def test_bad_arguments_raise_a_named_value_error(make, arg, value):
    with pytest.raises(RampupError) as e:
        make()
    assert isinstance(e.value, ValueError)
    assert arg in str(e.value) and value in str(e.value), str(e.value)


@pytest.mark.parametrize("step", [-1, -0.5, NAN, INF, np.array([0, -3]), np.array([0.0, np.nan]), "3", [1, "a"],
                                  True])
def test_bad_steps(step):
    s = r.linear_warmup(10)
    with pytest.raises(RampupError, match="step"):
        s(step)


def test_no_nan_or_negative_factor_anywhere():
    specs = ["linear(0) >> cosine(0)", "radam_warmup(0.6001)", "geometric(10, start=1e-300) >> geometric(5, to=1e-300)",
             "exp_decay(1e-300)", "poly_warmup(10, power=1e-3)", "noam(1)", "inverse_sqrt(1)"]
    for spec in specs:
        v = r.parse(spec)(np.arange(0, 100))
        assert np.all(np.isfinite(v)) and np.all(v >= 0), spec


def test_schedules_are_immutable_values():
    s = r.linear_warmup(10) >> r.cosine_decay(90)
    with pytest.raises(AttributeError):
        s.phases = ()  # type: ignore[misc]
    assert s == r.linear_warmup(10) >> r.cosine_decay(90)
    assert s != r.linear_warmup(10) >> r.cosine_decay(91)
    assert len({s, r.parse(repr(s))}) == 1
    assert math.isclose(3e-4 * s(50), (3e-4 * s)(50))
