"""rampup.keras in a real ``model.fit`` (torch backend here, jax backend in a subprocess), saved and reloaded."""

import inspect
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import rampup  # noqa: E402
import rampup.keras  # noqa: E402

PEAK, SPE, EPOCHS = 0.01, 8, 3


def expected_lr(t):
    """linear warmup over one epoch (8 updates), then cosine down to 0.1 * peak over the other 16 updates."""
    t = np.asarray(t, dtype=np.float64)
    p = np.clip((t - SPE) / (SPE * (EPOCHS - 1)), 0.0, 1.0)
    return PEAK * np.where(t < SPE, t / SPE, 0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * p)))


def fit_and_record(save_to=None):
    """Train w (one weight, start 0) on |w - 10| with plain SGD: the gradient is -1 while w < 10, so each update
    moves w by exactly the LR it used. Returns the per-update moves and the LR Keras reports before each update."""
    import keras
    import numpy as np

    import rampup.keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    lr = rampup.keras.LRSchedule("linear(1ep) >> cosine(to=0.1)", peak=0.01, steps_per_epoch=8, epochs=3)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mean_absolute_error")
    weights, reported = [0.0], []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            reported.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

        def on_train_batch_end(self, batch, logs=None):
            weights.append(float(keras.ops.convert_to_numpy(self.model.layers[0].kernel)[0, 0]))

    x, y = np.ones((32, 1), "float32"), np.full((32, 1), 10.0, "float32")
    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0, callbacks=[Record()])
    if save_to:
        model.save(save_to)
    return {"moves": np.diff(weights).tolist(), "reported": reported,
            "iterations": int(keras.ops.convert_to_numpy(model.optimizer.iterations))}


def check(result):
    n = SPE * EPOCHS
    assert result["iterations"] == n
    assert len(result["moves"]) == n
    # the moves are differences of float32 weights near 0.1: about 1e-5 relative
    np.testing.assert_allclose(result["moves"], expected_lr(np.arange(n)), rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(result["reported"], expected_lr(np.arange(n)), rtol=1e-6, atol=1e-12)
    assert result["moves"][0] == 0.0  # the first update (iterations = 0) is the warmup's start


def test_fit_uses_the_schedule_every_update_torch_backend(tmp_path):
    assert keras.backend.backend() == "torch"
    path = str(tmp_path / "model.keras")
    check(fit_and_record(path))

    # the file stores the spec with its durations in steps, never a pickled object
    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))
    lr_config = config["compile_config"]["optimizer"]["config"]["learning_rate"]
    assert lr_config["config"] == {"schedule": "linear_warmup(8) >> cosine_decay(16, to=0.1)", "peak": 0.01}

    loaded = keras.models.load_model(path)
    assert int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)) == 24
    # training goes on from update 24, past the end of the cosine: the floor 0.1 * peak
    assert float(keras.ops.convert_to_numpy(loaded.optimizer.learning_rate)) == pytest.approx(1e-3, rel=1e-6)
    back = keras.optimizers.schedules.deserialize(lr_config)
    assert isinstance(back, rampup.keras.LRSchedule)
    assert back.schedule == rampup.parse("linear(8) >> cosine(16, to=0.1)") and back.peak == 0.01


def test_fit_uses_the_schedule_every_update_jax_backend(tmp_path):
    code = textwrap.dedent(inspect.getsource(fit_and_record)) + (
        "\nimport json, keras\nassert keras.backend.backend() == 'jax'\n"
        f"print('RESULT', json.dumps(fit_and_record({str(tmp_path / 'jax.keras')!r})))\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")][-1]
    check(json.loads(line[len("RESULT "):]))
    # a model saved under jax loads under torch with the same schedule
    loaded = keras.models.load_model(str(tmp_path / "jax.keras"))
    assert float(keras.ops.convert_to_numpy(loaded.optimizer.learning_rate)) == pytest.approx(1e-3, rel=1e-6)


def test_config_round_trip_keeps_the_schedule_exactly():
    s = rampup.parse("linear(5%) >> cosine(to=0.1)", total_steps=10_000)
    lr = rampup.keras.LRSchedule(s, peak=3e-4)
    again = rampup.keras.LRSchedule.from_config(lr.get_config())
    assert again.schedule == s and again.peak == 3e-4
    assert json.loads(json.dumps(lr.get_config())) == lr.get_config()


def test_config_with_an_unknown_shape_is_a_spec_error_naming_it():
    with pytest.raises(rampup.SpecError, match="unknown schedule 'wobble'"):
        rampup.keras.LRSchedule.from_config({"schedule": "linear(8) >> wobble(16)", "peak": 0.01})
    with pytest.raises(rampup.SpecError, match="'decay'"):
        rampup.keras.LRSchedule.from_config({"schedule": "linear(8)", "peak": 0.01, "decay": 0.5})
    with pytest.raises(rampup.SpecError, match="spec string"):
        rampup.keras.LRSchedule.from_config({"schedule": {"type": "linear_warmup"}, "peak": 0.01})


def test_unresolved_durations_need_a_budget_at_construction():
    with pytest.raises(rampup.BudgetError, match=r"5%.*total_steps"):
        rampup.keras.LRSchedule("linear(5%) >> cosine(to=0.1)", peak=1e-3)
    with pytest.raises(rampup.BudgetError, match=r"1ep.*steps_per_epoch"):
        rampup.keras.LRSchedule("linear(1ep) >> cosine(100)", peak=1e-3)


@pytest.mark.parametrize("peak", [float("nan"), -0.1, None])
def test_bad_peak_is_named(peak):
    with pytest.raises(rampup.RampupError, match="peak"):
        rampup.keras.LRSchedule("linear(10) >> cosine(90)", peak=peak)


def test_lr_logger_writes_the_lr_into_history():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    lr = rampup.keras.LRSchedule("linear(4) >> cosine_decay(8, to=0.1)", peak=0.1)
    model.compile(keras.optimizers.SGD(learning_rate=lr), "mse")
    seen = []

    class After(keras.callbacks.Callback):  # a later callback (TensorBoard's place) sees the value in the logs
        def on_epoch_end(self, epoch, logs=None):
            seen.append(logs["learning_rate"])

    h = model.fit(np.ones((8, 2)), np.ones(8), batch_size=4, epochs=5, verbose=0,
                  callbacks=[rampup.keras.LRLogger(), After()])
    # after epoch e, 2 (e + 1) updates were applied: the LR of the next one
    expected = [0.1 * rampup.parse("linear(4) >> cosine_decay(8, to=0.1)")(2 * (e + 1)) for e in range(5)]
    np.testing.assert_allclose(h.history["learning_rate"], expected, rtol=1e-6)
    assert seen == h.history["learning_rate"]
    per_batch = []

    class Batches(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            per_batch.append(logs["lr"])

    model.fit(np.ones((8, 2)), np.ones(8), batch_size=4, epochs=1, verbose=0,
              callbacks=[rampup.keras.LRLogger("lr", every_batch=True), Batches()])
    assert len(per_batch) == 2
    with pytest.raises(rampup.RampupError, match="key"):
        rampup.keras.LRLogger("")


def test_peak_is_required_and_configs_carry_it():
    with pytest.raises(rampup.RampupError, match="peak is required"):
        rampup.keras.LRSchedule("linear(10) >> cosine(90)")
    with pytest.raises(rampup.SpecError, match="peak"):
        rampup.keras.LRSchedule.from_config({"schedule": "linear(8)"})


def test_constant_phases_are_exact_in_float32():
    # the peak is applied before the float32 step meets the phases: 3/45 of 45 is exactly 3
    lr = rampup.keras.LRSchedule(rampup.constant(1, value=3 / 45) >> rampup.constant(value=1.0), peak=45.0)
    assert float(keras.ops.convert_to_numpy(lr(0))) == 3.0
