"""One schedule, every framework: numpy (float64, the reference), Python scalars, torch tensors, optax under
jax.jit (float32, and float64 with x64 in a subprocess), Keras (torch backend here, jax backend in a subprocess)
and Stable-Baselines3 give the same learning rate at every step of a 10k-update run.

Tolerances: 1e-12 relative in float64, 1e-6 relative in float32. The three specs keep a floor above 0 (0.1 of the
peak): near a floor of 0, float32 itself cannot give 1e-6 relative, since ``1 - sqrt(x)`` or ``1 + cos(pi x)``
cancel as x nears 1; ``test_float32_near_a_zero_floor_is_bounded_in_absolute_terms`` checks that case.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
gym = pytest.importorskip("gymnasium")
sb3 = pytest.importorskip("stable_baselines3")
import jax.numpy as jnp  # noqa: E402

import rampup  # noqa: E402
import rampup.keras  # noqa: E402
import rampup.optax  # noqa: E402
import rampup.sb3  # noqa: E402

TOTAL, PEAK = 10_000, 3e-4
SPECS = [
    "linear(5%) >> cosine(to=0.1)",
    "wsd(5%, 20%, to=0.1)",  # warmup, stable, 1-sqrt cooldown
    "linear(2%) >> repeat(cosine(1000, to=0.1), mult=2)",  # restarts, each cycle twice as long
]
STEPS = np.arange(TOTAL + 1)
F64 = dict(rtol=1e-12, atol=0)
F32 = dict(rtol=1e-6, atol=0)


def reference(spec):
    return rampup.parse(spec, total_steps=TOTAL).scale(PEAK)(STEPS.astype(np.float64))


@pytest.fixture(scope="module")
def subprocess_results(tmp_path_factory):
    """Run the jax-x64 optax and the Keras-on-jax evaluations in two subprocesses, side by side."""
    out = tmp_path_factory.mktemp("cross")
    common = f"import numpy as np, rampup\nSPECS = {SPECS!r}\nTOTAL, PEAK = {TOTAL}, {PEAK!r}\n"
    optax64 = common + textwrap.dedent(f"""
        import jax, jax.numpy as jnp, rampup.optax
        assert jax.config.jax_enable_x64
        for i, spec in enumerate(SPECS):
            lr = jax.jit(rampup.optax.schedule(spec, peak=PEAK, total_steps=TOTAL))
            v = lr(jnp.arange(TOTAL + 1))
            assert v.dtype == jnp.float64, v.dtype
            np.save({str(out)!r} + f"/optax64_{{i}}.npy", np.asarray(v))
    """)
    keras_jax = common + textwrap.dedent(f"""
        import keras, rampup.keras
        assert keras.backend.backend() == "jax"
        for i, spec in enumerate(SPECS):
            lr = rampup.keras.LRSchedule(spec, peak=PEAK, total_steps=TOTAL)
            v = lr(keras.ops.arange(TOTAL + 1))
            assert str(v.dtype) == "float32", v.dtype
            np.save({str(out)!r} + f"/kerasjax_{{i}}.npy", keras.ops.convert_to_numpy(v))
    """)
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env={**os.environ, **env}, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for code, env in ((optax64, {"JAX_ENABLE_X64": "1"}), (keras_jax, {"KERAS_BACKEND": "jax"}))
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    return out


@pytest.mark.parametrize("i", range(len(SPECS)))
def test_float64_paths_agree_to_1e12(i, subprocess_results):
    spec = SPECS[i]
    ref = reference(spec)
    s = rampup.parse(spec, total_steps=TOTAL).scale(PEAK)
    # Python scalars: the pure-math path a torch scheduler step or SB3 takes
    np.testing.assert_allclose([s(int(t)) for t in STEPS], ref, **F64)
    np.testing.assert_allclose(s(torch.arange(TOTAL + 1, dtype=torch.float64)).numpy(), ref, **F64)
    np.testing.assert_allclose(s(torch.arange(TOTAL + 1)).numpy(), ref, **F64)  # int64 steps compute in float64
    np.testing.assert_allclose(np.load(subprocess_results / f"optax64_{i}.npy"), ref, **F64)

    keras.config.set_floatx("float64")
    try:
        k = rampup.keras.LRSchedule(spec, peak=PEAK, total_steps=TOTAL)
        got = keras.ops.convert_to_numpy(k(keras.ops.arange(TOTAL + 1)))
    finally:
        keras.config.set_floatx("float32")
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, ref, **F64)


@pytest.mark.parametrize("i", range(len(SPECS)))
def test_float32_paths_agree_to_1e6(i, subprocess_results):
    spec = SPECS[i]
    ref = reference(spec)
    lr = jax.jit(rampup.optax.schedule(spec, peak=PEAK, total_steps=TOTAL))
    got = lr(jnp.arange(TOTAL + 1, dtype=jnp.int32))
    assert got.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), ref, **F32)

    s = rampup.parse(spec, total_steps=TOTAL).scale(PEAK)
    np.testing.assert_allclose(s(torch.arange(TOTAL + 1, dtype=torch.float32)).double().numpy(), ref, **F32)

    k = rampup.keras.LRSchedule(spec, peak=PEAK, total_steps=TOTAL)
    got = keras.ops.convert_to_numpy(k(keras.ops.arange(TOTAL + 1)))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.astype(np.float64), ref, **F32)
    np.testing.assert_allclose(np.load(subprocess_results / f"kerasjax_{i}.npy").astype(np.float64), ref, **F32)


@pytest.mark.parametrize("i", range(len(SPECS)))
def test_sb3_schedules_give_the_same_lr_at_every_env_step(i):
    spec = SPECS[i]
    ref = reference(spec)
    lr = rampup.sb3.LRSchedule(spec, peak=PEAK, total_steps=TOTAL)
    model = sb3.PPO("MlpPolicy", gym.make("CartPole-v1"), learning_rate=lr, n_steps=16, batch_size=16,
                    device="cpu", policy_kwargs={"net_arch": [4]})
    lr.bind(model)
    progress = rampup.sb3.progress_schedule(spec, peak=PEAK, total_timesteps=TOTAL)
    bound, native = [], []
    for t in STEPS:
        # the counters SB3's learn() advances; SB3 reads the LR through model.lr_schedule(progress_remaining)
        model.num_timesteps = int(t)
        model._update_current_progress_remaining(int(t), TOTAL)
        bound.append(model.lr_schedule(model._current_progress_remaining))
        native.append(progress(model._current_progress_remaining))
    np.testing.assert_allclose(bound, ref, **F64)
    np.testing.assert_allclose(native, ref, **F64)


def test_float32_keeps_its_relative_precision_down_to_a_zero_floor():
    spec = "wsd(5%, 20%)"  # 1-sqrt cooldown to exactly 0
    ref = reference(spec)
    got = np.asarray(jax.jit(rampup.optax.schedule(spec, peak=PEAK, total_steps=TOTAL))(jnp.arange(TOTAL + 1)),
                     dtype=np.float64)
    # the curves are written without cancellation, so the last updates before 0 keep float32's relative precision
    np.testing.assert_allclose(got, ref, **F32)
    assert got[-1] == 0.0 and got[TOTAL // 2] == np.float32(PEAK)
