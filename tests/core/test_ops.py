"""The same schedule on Python numbers, numpy, torch and jax arrays (the adapters reuse these paths)."""

import numpy as np
import pytest

import rampup as r

SPECS = ["linear(5%) >> cosine(to=0.1)", "wsd(10%, 20%)", "repeat(linear(10) >> cosine(90, to=0.1), mult=2)",
         "one_cycle(1000)", "multistep([100, 300], gamma=0.5) * exp_warmup(20.0)", "noam(50)", "radam_warmup(0.99)",
         "log_warmup(50) >> step_decay(100, gamma=0.5)"]


@pytest.mark.parametrize("spec", SPECS)
def test_numpy_shapes_and_dtypes(spec):
    s = r.parse(spec, total_steps=1000)
    steps = np.arange(1000)
    v = s(steps)
    assert v.shape == (1000,) and v.dtype == np.float64
    assert s(steps.reshape(10, 100)).shape == (10, 100)
    assert s(np.float32(7)).dtype == np.float32
    assert s(np.int64(7)) == s(7)
    assert s(np.array(7)).shape == ()


@pytest.mark.parametrize("spec", SPECS)
def test_torch_tensors(spec):
    torch = pytest.importorskip("torch")
    s = r.parse(spec, total_steps=1000)
    ref = s(np.arange(1000))
    t64 = s(torch.arange(1000))
    assert t64.dtype == torch.float64
    np.testing.assert_allclose(t64.numpy(), ref, rtol=1e-12, atol=0)
    t32 = s(torch.arange(1000, dtype=torch.float32))
    assert t32.dtype == torch.float32
    np.testing.assert_allclose(t32.numpy(), ref, rtol=6e-8, atol=1e-38)
    with pytest.raises(r.RampupError, match="step"):
        s(torch.tensor([-1.0]))


@pytest.mark.parametrize("spec", SPECS)
def test_jax_arrays_inside_jit(spec):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    s = r.parse(spec, total_steps=1000)
    ref = s(np.arange(1000))
    got = np.asarray(jax.jit(s)(jnp.arange(1000)))
    assert got.dtype == np.float32  # jax's default float type
    # RAdam's rho_t - 4 cancels in float32 (documented); everything else is within a few float32 ulps
    np.testing.assert_allclose(got, ref, rtol=5e-5 if "radam" in spec else 2e-6, atol=1e-7)
    one = jax.jit(lambda c: s(c))(jnp.int32(500))
    assert abs(float(one) - s(500)) <= 2e-6 * max(s(500), 1e-6)


def test_sorted_shuffled_and_2d_steps_give_the_scalar_values():
    """Non-decreasing 1-D steps are evaluated a phase per contiguous slice; any other array by masks: the same
    values as the scalar path either way, for numpy and torch."""
    import torch

    s = r.parse("linear(7) >> constant(5) >> cosine(20, to=0.1) >> linear_decay(9)")
    steps = np.arange(0, 45, 0.5)
    want = np.array([s(float(t)) for t in steps])
    shuffled = np.random.default_rng(0).permutation(len(steps))
    np.testing.assert_array_equal(s(steps), want)
    np.testing.assert_array_equal(s(steps[shuffled]), want[shuffled])
    np.testing.assert_array_equal(s(steps.reshape(9, 10)), want.reshape(9, 10))
    np.testing.assert_array_equal(s(np.repeat(steps, 2)), np.repeat(want, 2))  # ties: still non-decreasing
    np.testing.assert_array_equal(s(torch.tensor(steps)).numpy(), want)
    np.testing.assert_array_equal(s(torch.tensor(steps[shuffled])).numpy(), want[shuffled])
