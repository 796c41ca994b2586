"""The schedule families added for the peers' own cases: closed-form values, the spec round trip, every array path,
the stated bounds and the errors. Expected values are the formulas in each docstring, written out here."""

import math
import pickle

import numpy as np
import pytest

import rampup
from rampup import (
    constant,
    cosine_decay,
    cyclic,
    exp_growth,
    inverse_time_decay,
    linear_decay,
    linear_growth,
    linear_warmup,
    noisy,
    poly_decay,
    repeat,
    tanh_decay,
)
from rampup.core.peak import peak_first

T = np.arange(60)

CASES = [
    (cyclic(4, 6, start=0.25, top=2.0, mode="triangular2"),
     lambda t: 0.25 + 1.75 * (t % 10 / 4 if t % 10 <= 4 else (10 - t % 10) / 6) * 0.5 ** (t // 10)),
    (cyclic(3, start=1.0, top=0.2, mode="exp_range", gamma=0.95),
     lambda t: 1.0 - 0.8 * (t % 6 / 3 if t % 6 <= 3 else (6 - t % 6) / 3) * 0.95**t),
    (linear_growth(0.5, every=4, duration=40), lambda t: 1 + 0.5 * min(t, 40) / 4),
    (linear_growth(1.0, every=7, staircase=True, max=4.0), lambda t: min(4.0, 1 + t // 7)),
    (exp_growth(1.1, every=2, max=5.0), lambda t: min(5.0, 1.1 ** (t / 2))),
    (inverse_time_decay(5, rate=0.7, to=0.2), lambda t: max(0.2, 1 / (1 + 0.7 * t / 5))),
    (inverse_time_decay(5, rate=0.7, staircase=True, duration=22), lambda t: 1 / (1 + 0.7 * (min(t, 22) // 5))),
    (tanh_decay(40, to=0.1, lb=-5, ub=2),
     lambda t: 0.1 + 0.9 * (1 - math.tanh(-5 * (1 - t / 40) + 2 * t / 40)) / 2 if t < 40 else 0.1),
    (cosine_decay(30, to=0.1, power=2.0), lambda t: 0.1 + 0.9 * ((1 + math.cos(math.pi * min(t, 30) / 30)) / 2) ** 2),
    (cosine_decay(30, waves=1.5), lambda t: (1 + math.cos(3 * math.pi * min(t, 30) / 30)) / 2),
    (cosine_decay(30, k=2.0), lambda t: (1 + math.cos(math.pi * (min(t, 30) / 30) ** 2)) / 2),
    (linear_warmup(5) >> cosine_decay(25, offset=5),
     lambda t: t / 5 if t < 5 else (1 + math.cos(math.pi * min(t, 25) / 25)) / 2),
    (poly_decay(10, to=0.1, power=2.0, stretch=True),
     lambda t: 0.1 + 0.9 * (1 - t / (10 * max(1, math.ceil(t / 10)))) ** 2),
    (repeat(cosine_decay(10, to=0.2), mult=2.0, decay=0.5),
     lambda t: 0.2 + 0.8 * 0.5 ** (n := int(math.log2(t / 10 + 1))) * (1 + math.cos(math.pi * (t - 10 * (2**n - 1))
                                                                                     / (10 * 2**n))) / 2),
    (repeat(linear_decay(10, to=0.2), times=3, decay=0.5, shrink="top"),
     lambda t: 0.2 + (0.5 ** min(t // 10, 2) - 0.2) * ((1 - (t % 10) / 10) if t < 30 else 0.0)),
]


@pytest.mark.parametrize("s,f", CASES, ids=[repr(c[0])[:60] for c in CASES])
def test_closed_form_every_path_and_round_trip(s, f):
    expected = np.array([f(int(t)) for t in T])
    scalar = np.array([s(int(t)) for t in T])
    np.testing.assert_allclose(scalar, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s(T.astype(np.float64)), scalar, rtol=1e-13, atol=1e-15)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(s(torch.arange(60, dtype=torch.float64)).numpy(), scalar, rtol=1e-13, atol=1e-15)
    assert rampup.parse(repr(s)) == s and rampup.from_dict(s.to_dict()) == s
    assert pickle.loads(pickle.dumps(s)) == s and hash(pickle.loads(pickle.dumps(s))) == hash(s)
    assert (scalar >= 0).all() and (scalar <= s._top + 1e-12).all()


def test_jit_float32():
    jax = pytest.importorskip("jax")
    for s, f in CASES:
        got = np.asarray(jax.jit(lambda t, s=s: s(t))(np.arange(60, dtype=np.int32)))
        np.testing.assert_allclose(got, [f(t) for t in range(60)], rtol=2e-5, atol=2e-6, err_msg=repr(s))


def test_noisy_is_a_pure_bounded_function_of_the_step():
    s = noisy(cosine_decay(100), pct=0.3, seed=7, begin=10, end=90)
    v = s(np.arange(120.0))
    base = cosine_decay(100)(np.arange(120.0))
    assert (v[:10] == base[:10]).all() and (v[90:] == base[90:]).all()
    r = v[10:90] / base[10:90]
    assert ((r >= 0.7) & (r < 1.3)).all() and r.std() > 0.1
    assert [s(float(t)) for t in range(120)] == v.tolist()  # scalar path, bit for bit
    assert noisy(cosine_decay(100), pct=0.3, seed=8, begin=10)(50) != s(50)
    assert s._top == pytest.approx(1.3)


def test_factors_above_one_are_bounded_and_said():
    assert cyclic(2, top=4.0)._top == 4.0
    assert linear_growth(0.5, every=2, duration=8)._top == 3.0
    assert exp_growth(2.0, max=8.0)._top == 8.0
    for plain in (cosine_decay(10), repeat(cosine_decay(10), decay=0.5), inverse_time_decay(2, rate=1.0)):
        assert plain._top == 1.0


@pytest.mark.parametrize("make,arg", [
    (lambda: cyclic(0), "up"), (lambda: cyclic(2, mode="sawtooth"), "mode"), (lambda: cyclic(2, gamma=1.5), "gamma"),
    (lambda: cyclic(2, top=-1.0), "top"), (lambda: linear_growth(0.5), "max"),
    (lambda: exp_growth(0.5, max=2.0), "gamma"), (lambda: exp_growth(2.0, max=0.5), "max"),
    (lambda: linear_growth(-1.0, duration=5), "rate"), (lambda: inverse_time_decay(0, rate=1.0), "every"),
    (lambda: inverse_time_decay(2, rate=1.0, staircase=1), "staircase"),
    (lambda: tanh_decay(10, lb=3.0, ub=-7.0), "lb"), (lambda: noisy(constant(), pct=2.0), "pct"),
    (lambda: noisy(constant(), begin=5, end=2), "end"), (lambda: repeat(cosine_decay(10), decay=1.5), "decay"),
    (lambda: repeat(cosine_decay(10), shrink="bottom"), "shrink"), (lambda: cosine_decay(10, waves=0), "waves"),
    (lambda: cosine_decay(10, k=-1.0), "k"), (lambda: cosine_decay(10, offset=11), "offset"),
    (lambda: cosine_decay(10, cycles=2, offset=1), "cycles"), (lambda: poly_decay(10, stretch="yes"), "stretch"),
])
def test_bad_arguments_name_themselves(make, arg):
    with pytest.raises(rampup.RampupError, match=arg):
        make()


def test_offset_and_stretch_lengths():
    assert cosine_decay(30, offset=5).length == 25
    assert (linear_warmup(5) >> cosine_decay(offset=5)).resolve(total_steps=30).phases[1] == cosine_decay(30, offset=5)
    assert poly_decay(10, stretch=True).length is None and poly_decay(10, stretch=True).end_value is None
    assert cosine_decay(10, waves=1.0).end_value == pytest.approx(1.0)


def test_peak_first_is_exact_for_constants_and_equals_scale():
    jax = pytest.importorskip("jax")
    s = constant(1, value=1 / 15) >> constant(6, value=1 / 3) >> constant(5, value=2 / 3) >> constant(value=1.0)
    f = jax.jit(peak_first(s, 45.0))
    assert [float(f(t)) for t in (0, 1, 7, 12)] == [3.0, 15.0, 30.0, 45.0]
    assert peak_first(s, 45.0) == s.scale(45.0) and hash(peak_first(s, 45.0)) == hash(s.scale(45.0))
    big = jax.jit(peak_first(linear_warmup(10**10) >> constant(), 2.0))
    assert float(big(10**9)) == pytest.approx(0.2, rel=1e-6)
