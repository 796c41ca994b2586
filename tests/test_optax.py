"""rampup.optax against optax itself and closed-form maths, inside jax.jit and a real jitted update loop."""

import math
import pickle

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import rampup  # noqa: E402
import rampup.optax  # noqa: E402

PEAK = 3e-3
W, T, FLOOR = 50, 1000, 0.1


def closed_form(t: np.ndarray) -> np.ndarray:
    """linear warmup over W updates, then cosine from 1 to FLOOR over the remaining T - W, in float64."""
    t = np.asarray(t, dtype=np.float64)
    p = np.clip((t - W) / (T - W), 0.0, 1.0)
    return PEAK * np.where(t < W, t / W, FLOOR + (1 - FLOOR) * 0.5 * (1 + np.cos(np.pi * p)))


def test_jitted_schedule_matches_closed_form_and_optax_peer():
    lr = rampup.optax.schedule("linear(5%) >> cosine(to=0.1)", peak=PEAK, total_steps=T)
    steps = jnp.arange(T + 5, dtype=jnp.int32)
    got = np.asarray(jax.jit(lr)(steps), dtype=np.float64)
    np.testing.assert_allclose(got, closed_form(np.arange(T + 5)), rtol=1e-6, atol=1e-12)
    # optax counts the warmup inside decay_steps; rampup's cosine phase is the remaining T - W updates
    peer = optax.warmup_cosine_decay_schedule(0.0, PEAK, warmup_steps=W, decay_steps=T, end_value=FLOOR * PEAK)
    np.testing.assert_allclose(got, np.asarray(jax.jit(jax.vmap(peer))(steps)), rtol=2e-6, atol=1e-12)


def test_traced_count_has_no_python_branching():
    lr = rampup.optax.schedule(rampup.parse("linear(5%) >> cosine(to=0.1)"), peak=PEAK, total_steps=T)
    # tracing once and reusing the compiled function for counts on both sides of the warmup boundary
    f = jax.jit(lr)
    lowered = f.lower(jnp.int32(0))
    compiled = lowered.compile()
    for t in (0, 10, W - 1, W, 600, T, 2**31 - 1):
        assert float(compiled(jnp.int32(t))) == pytest.approx(closed_form(min(t, T)), rel=1e-6, abs=1e-12)


def test_adam_update_loop_uses_the_schedule_every_step():
    # loss = sum(w): gradient 1 everywhere, so Adam's bias-corrected step is lr * 1 / (1 + eps)
    n = 120
    lr = rampup.optax.schedule("linear(5%) >> cosine(to=0.1)", peak=PEAK, total_steps=T)
    opt = optax.adam(learning_rate=lr, eps=1e-8)
    params = {"w": jnp.zeros(3, dtype=jnp.float32)}
    state = opt.init(params)

    @jax.jit
    def step(params, state):
        grads = jax.grad(lambda p: jnp.sum(p["w"]))(params)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), updates, state

    used = []
    for _ in range(n):
        params, updates, state = step(params, state)
        used.append(-float(updates["w"][0]))
    expected = closed_form(np.arange(n)) / (1 + 1e-8)
    # float32 bias corrections (1 - 0.999 ** 2 ...) round at about 1e-5 relative in the first updates
    np.testing.assert_allclose(used, expected, rtol=5e-5, atol=1e-12)
    assert used[0] == 0.0  # the first update (count 0) is at the warmup's start, as optax's own warmup


def test_inject_hyperparams_schedules_b1_and_weight_decay():
    total = 40
    opt = rampup.optax.inject_hyperparams(
        optax.adamw,
        learning_rate=("linear(25%) >> cosine()", 1e-3),
        b1=(rampup.linear_warmup("25%", start=0.85 / 0.95), 0.95),
        weight_decay=rampup.parse("constant(50%) >> linear(to=0.5)").scale(0.1),
        budget={"total_steps": total},
    )
    params = {"w": jnp.ones(4)}
    state = opt.init(params)
    update = jax.jit(opt.update)
    seen = {"learning_rate": [], "b1": [], "weight_decay": []}
    for _ in range(total):
        _, state = update({"w": jnp.full(4, 0.5)}, state, params)
        for k in seen:  # after an update, state.hyperparams holds the values that update used
            seen[k].append(float(state.hyperparams[k]))
    t = np.arange(total, dtype=np.float64)
    w = 10
    lr = 1e-3 * np.where(t < w, t / w, 0.5 * (1 + np.cos(np.pi * (t - w) / (total - w))))
    b1 = np.where(t < w, 0.85 + (0.95 - 0.85) * t / w, 0.95)
    wd = 0.1 * np.where(t < 20, 1.0, 1.0 - 0.5 * (t - 20) / 20)
    # update i (0-based) evaluates the schedules at count i, the updates already applied
    np.testing.assert_allclose(seen["learning_rate"], lr, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(seen["b1"], b1, rtol=1e-6)
    np.testing.assert_allclose(seen["weight_decay"], wd, rtol=1e-6)


def test_schedule_is_a_picklable_value_with_a_spec():
    lr = rampup.optax.schedule("linear(5%) >> cosine(to=0.1)", peak=PEAK, total_steps=T)
    assert pickle.loads(pickle.dumps(lr)) == lr
    assert rampup.parse(repr(lr)) == lr
    assert lr(W) == pytest.approx(PEAK)


def test_unresolved_duration_without_budget_is_refused_at_construction():
    with pytest.raises(rampup.BudgetError, match=r"5%.*total_steps"):
        rampup.optax.schedule("linear(5%) >> cosine(to=0.1)", peak=PEAK)
    with pytest.raises(rampup.BudgetError, match=r"2ep.*steps_per_epoch"):
        rampup.optax.schedule("linear(2ep) >> cosine()", peak=PEAK, total_steps=T)
    with pytest.raises(rampup.BudgetError, match=r"weight_decay.*total_steps"):
        rampup.optax.inject_hyperparams(optax.adamw, learning_rate=1e-3, weight_decay=("cosine_decay(10%)", 0.1))


@pytest.mark.parametrize("peak", [math.nan, -1e-3, "3e-4", math.inf])
def test_bad_peak_names_the_value(peak):
    with pytest.raises(rampup.RampupError, match=r"peak"):
        rampup.optax.schedule("linear(10) >> cosine(90)", peak=peak)


def test_bad_budget_and_schedule_arguments():
    with pytest.raises(rampup.RampupError, match="total_step"):
        rampup.optax.schedule("linear(5%) >> cosine()", peak=1.0, total_step=100)
    with pytest.raises(rampup.RampupError, match="42"):
        rampup.optax.schedule(42, peak=1.0)
    with pytest.raises(rampup.SpecError, match="unknown schedule 'cosin'"):
        rampup.optax.schedule("linear(10) >> cosin()", peak=1.0)


def test_peak_is_required():
    # no silent factors-as-LR: a schedule without its peak is refused, in schedule() and inject_hyperparams()
    with pytest.raises(rampup.RampupError, match="peak is required"):
        rampup.optax.schedule("linear(10) >> cosine(90)")
    for bare in ("linear(10) >> cosine(90)", rampup.linear_warmup(10)):
        with pytest.raises(rampup.RampupError, match=r"learning_rate.*peak"):
            rampup.optax.inject_hyperparams(optax.sgd, learning_rate=bare)
    # a scaled schedule says its peak
    opt = rampup.optax.inject_hyperparams(optax.sgd, learning_rate=rampup.linear_warmup(4).scale(0.1))
    state = opt.init(jnp.zeros(2))
    _, state = opt.update(jnp.ones(2), state)
    _, state = opt.update(jnp.ones(2), state)
    assert rampup.optax.hyperparams(state)["learning_rate"] == pytest.approx(0.025)


def test_peak_is_applied_before_the_float32_cast():
    """A constant phase at 3/45 of a peak of 45 is exactly 3.0 under jit (45 * float32(1/15) is 3.0000002), and
    a duration beyond int32 meets the traced count: optax's own giant-step case."""
    s = rampup.constant(1, value=3 / 45) >> rampup.constant(6, value=15 / 45) >> rampup.constant(value=1.0)
    f = jax.jit(rampup.optax.schedule(s, peak=45.0))
    assert [float(f(t)) for t in (0, 1, 7)] == [3.0, 15.0, 45.0]
    big = jax.jit(rampup.optax.schedule(rampup.cosine_decay(10**10), peak=1000.0))
    np.testing.assert_allclose(big(10**9), 1000.0 * (1 + np.cos(np.pi * 0.1)) / 2, rtol=1e-6)
    assert rampup.optax.schedule(s, peak=45.0) == s.scale(45.0)


def test_hyperparams_reads_every_injected_value_for_logging():
    opt = optax.chain(
        optax.clip_by_global_norm(1.0),
        rampup.optax.inject_hyperparams(optax.adamw, learning_rate=("linear(4) >> constant()", 1e-3),
                                        weight_decay=0.01),
    )
    state = opt.init({"w": jnp.zeros(3)})
    seen = []
    for _ in range(6):
        _, state = jax.jit(opt.update)({"w": jnp.ones(3)}, state, {"w": jnp.zeros(3)})
        seen.append(rampup.optax.hyperparams(state))
    # optax stores the values the last update used: counts 0 .. 5
    np.testing.assert_allclose([h["learning_rate"] for h in seen], [0.0, 2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3],
                               rtol=1e-6)
    assert all(h["weight_decay"] == pytest.approx(0.01) for h in seen)
    assert rampup.optax.hyperparams(optax.sgd(0.1).init(jnp.zeros(2))) == {}


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16])
def test_hyperparam_dtype_for_bf16_training(dtype):
    """bf16 parameters: without hyperparam_dtype a rampup schedule stays float32 (optax leaves a definite dtype);
    hyperparam_dtype puts it in the dtype asked for."""
    params = {"w": jnp.ones(3, dtype=jnp.bfloat16)}
    opt = rampup.optax.inject_hyperparams(optax.adam, hyperparam_dtype=dtype, learning_rate=("constant()", 3e-4))
    state = jax.jit(opt.init)(params)
    assert state.hyperparams["learning_rate"].dtype == dtype
    _, state = jax.jit(opt.update)(jax.tree.map(jnp.ones_like, params), state, params)
    assert state.hyperparams["learning_rate"].dtype == dtype
    plain = rampup.optax.inject_hyperparams(optax.adam, learning_rate=("constant()", 3e-4))
    assert jax.jit(plain.init)(params).hyperparams["learning_rate"].dtype == jnp.float32
