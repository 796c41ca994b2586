"""Properties every schedule must have, over schedules hypothesis builds at random."""

import json
import math
import pickle

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rampup as r
from tests.strategies import decays, schedules, sequences, warmups

SETTINGS = settings(max_examples=150, deadline=None)


def _steps(s, extra=20):
    n = (s.length or 300) + extra
    return np.arange(n, dtype=np.float64)


@SETTINGS
@given(warmups())
def test_warmup_is_monotone_from_start_to_one(w):
    v = w(_steps(w))
    assert np.all(np.diff(v) >= -1e-15)
    assert np.all(v >= w.start - 1e-15) and np.all(v <= 1 + 1e-15)
    assert v[-1] == 1.0  # the peak is reached by the end of the warmup and held
    assert w(w.length) == 1.0


@SETTINGS
@given(decays())
def test_phase_values_stay_between_the_ends(d):
    v = d(_steps(d))
    a = 1.0 if d.start is None else d.start
    b = d.end_value if d.end_value is not None else 0.0
    lo, hi = min(a, b, getattr(d, "to", 0.0)), max(a, b)
    assert np.all(v >= lo - 1e-12) and np.all(v <= hi + 1e-12)


@SETTINGS
@given(sequences())
def test_no_jump_at_joins_unless_asked(s):
    """A phase with no explicit start begins at the value the phase before it reached."""
    assume(isinstance(s, r.Sequence))
    at = 0
    for i in range(1, len(s.phases)):
        prev, nxt = s._bound[i - 1], s.phases[i]
        at += prev.length
        if isinstance(nxt, r.Warmup) or getattr(nxt, "start", None) is not None:
            continue  # an explicit start: a jump that was asked for
        reached = prev.end_value
        assert s._bound[i].start == reached
        asked_drop = isinstance(nxt, r.MultiStep) and nxt.milestones[0] == 0
        if nxt.length != 0 and not asked_drop:
            assert math.isclose(s(at), reached, rel_tol=1e-12, abs_tol=1e-15)


@SETTINGS
@given(schedules())
def test_vectorised_equals_scalar_and_values_are_finite(s):
    steps = _steps(s)
    vec = s(steps)
    scal = np.array([s(int(t)) for t in steps])
    np.testing.assert_allclose(vec, scal, rtol=1e-11, atol=1e-300)  # pow() rounds differently in math and numpy
    assert np.all(np.isfinite(vec)) and np.all(vec >= 0)


@SETTINGS
@given(schedules())
def test_float32_agrees_with_float64(s):
    steps = _steps(s)
    v64 = s(steps)
    v32 = s(steps.astype(np.float32))
    assert v32.dtype == np.float32
    # float32 results are the float64 values rounded once: within half an ulp of float32
    np.testing.assert_allclose(v32, v64, rtol=6e-8, atol=1e-38)


@SETTINGS
@given(schedules(), st.sampled_from([2**31, 2**31 + 7, 2**40, 10**15]))
def test_huge_steps(s, big):
    v = s(big)
    assert math.isfinite(v) and v >= 0
    arr = s(np.array([big, big + 1], dtype=np.int64))
    assert np.all(np.isfinite(arr))
    np.testing.assert_allclose(arr[0], v, rtol=1e-12)
    if s.length is not None:  # a finite schedule holds its last value for ever
        assert math.isclose(v, s(s.length), rel_tol=1e-12, abs_tol=1e-300)


@SETTINGS
@given(schedules())
def test_round_trips(s):
    assert r.parse(repr(s)) == s
    assert pickle.loads(pickle.dumps(s)) == s
    d = json.loads(json.dumps(s.to_dict()))
    assert r.from_dict(d) == s
    assert hash(r.parse(repr(s))) == hash(s)
