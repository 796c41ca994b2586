"""rampup schedules for JAX / optax: a learning rate (or any hyperparameter) as a function of optax's step count.

A rampup schedule is already a pure function of the step written with ``where``/``clip`` arithmetic, so it runs on
``jax.numpy`` arrays inside ``jax.jit`` with no Python branching on traced values. This module resolves its
durations against the run's budget, checks it once, and scales it to absolute values::

    >>> import jax, jax.numpy as jnp, optax
    >>> import rampup.optax
    >>> lr = rampup.optax.schedule("linear(5%) >> cosine(to=0.1)", peak=3e-4, total_steps=1000)
    >>> opt = optax.adam(learning_rate=lr)
    >>> round(float(jax.jit(lr)(jnp.int32(25))), 10)   # optax counts updates already applied, as rampup does
    0.00015

Step convention: optax calls the schedule with its ``count`` = updates already applied (0 for the first update),
the same clock as rampup's ``step``, so ``rampup.optax.schedule(s, peak)(t) == peak * s(t)`` with no offset.

``jax`` and ``optax`` are imported only when a function here needs them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .core.errors import RampupError
from .core.peak import peak_first
from .core.schedule import Scaled, Schedule
from .core.spec import as_schedule
from .core.validate import check_number, show

__all__ = ["hyperparams", "inject_hyperparams", "schedule"]


def schedule(s: Schedule | str, peak: float | None = None, **budget: Any) -> Schedule:
    """An optax schedule (``count -> value``): ``peak * s(count)``, with ``s``'s durations resolved.

    ``lr(count) = peak * s(count)``, where ``count`` is optax's update counter (updates already applied). The
    result is itself a rampup :class:`~rampup.Schedule` (immutable, picklable, ``repr`` is its spec, equal to
    ``s.scale(peak)``) that accepts Python numbers, numpy arrays and jax arrays (traced or not); on a jax integer
    count it computes in jax's default float type (float32, or float64 with ``jax_enable_x64``). The peak is
    applied to each phase before the phases meet the float32 count, so a constant phase gives exactly
    ``peak * value`` rounded once (``3 / 45`` of a peak of 45 is 3.0, not 3.0000002), and durations beyond int32
    (``cosine_decay(10**10)``) work under ``jax.jit``.

    Args:
        s: a schedule or a spec string such as ``"linear(5%) >> cosine(to=0.1)"``.
        peak: required: the value at factor 1.0 (the peak learning rate), a finite number >= 0. A schedule gives
            factors of it; ``peak=1.0`` asks for the factors themselves.
        **budget: :class:`~rampup.Budget` fields (``total_steps=``, ``steps_per_epoch=`` ...) to resolve
            durations in ``%``, epochs, tokens or samples.

    Raises:
        RampupError: no ``peak``, or a bad one.
        BudgetError: ``s`` keeps a duration that the given budget cannot resolve (names the missing field).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> import rampup, rampup.optax
        >>> lr = rampup.optax.schedule(rampup.linear_warmup(10) >> rampup.cosine_decay(90), peak=0.1)
        >>> lr
        0.1 * (linear_warmup(10) >> cosine_decay(90))
        >>> [round(v, 6) for v in jax.jit(lr)(jnp.arange(0, 30, 10)).tolist()]  # float32 inside jit
        [0.0, 0.1, 0.096985]
    """
    return _ready("rampup.optax.schedule", s, peak, budget)


def inject_hyperparams(optimizer: Callable[..., Any], *, static_args: Any = (), budget: dict[str, Any] | None = None,
                       hyperparam_dtype: Any = None, **hyperparams: Any) -> Any:
    """``optax.inject_hyperparams(optimizer)(**hyperparams)`` where rampup schedules schedule any numeric
    hyperparameter (``learning_rate``, ``b1``, ``weight_decay`` ...).

    A pair ``(schedule_or_spec, peak)`` is ``peak * schedule``, resolved with ``budget``; a schedule that is
    already scaled (``s.scale(peak)``) is used as it is. A spec string or an unscaled schedule alone is refused:
    its factors would silently become the values. Numbers and other callables pass through unchanged. The current
    values are in ``state.hyperparams`` as optax keeps them (:func:`hyperparams` reads them for logging).

    ``hyperparam_dtype`` is optax's: the dtype the hyperparameters are kept in, rampup's schedules included. Without
    it optax casts plain numbers to the parameters' dtype (bf16 parameters: bf16 numbers), but a rampup schedule
    gives jax's default float (float32) whatever the parameters are, because optax leaves an array of a definite
    dtype as it is. For bf16 training pass ``hyperparam_dtype``: ``jnp.float32`` keeps every hyperparameter in
    float32 (a LR of 3e-4 in bf16 would be 3.0006e-4), ``jnp.bfloat16`` puts them all in bf16.

    Raises:
        RampupError: a spec or an unscaled schedule without its peak, or a bad peak.
        BudgetError: a schedule keeps a duration ``budget`` cannot resolve; the message names the hyperparameter.

    Example:
        >>> import jax.numpy as jnp, optax
        >>> import rampup, rampup.optax
        >>> opt = rampup.optax.inject_hyperparams(
        ...     optax.adamw,
        ...     learning_rate=("linear(10%) >> cosine()", 1e-3),
        ...     b1=(rampup.linear_warmup("10%", start=0.85 / 0.95), 0.95),  # b1: 0.85 up to 0.95 in the warmup
        ...     weight_decay=0.01,
        ...     budget={"total_steps": 100},
        ... )
        >>> params = {"w": jnp.ones(3)}
        >>> state = opt.init(params)
        >>> round(float(state.hyperparams["b1"]), 6)
        0.85
    """
    import optax

    if budget is not None and not isinstance(budget, dict):
        raise RampupError(f"rampup.optax.inject_hyperparams: budget must be a dict of Budget fields, got "
                          f"{show(budget)}")
    converted = {}
    for name, value in hyperparams.items():
        owner = f"rampup.optax.inject_hyperparams({name}=...)"
        ready: Schedule | None = None
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], (Schedule, str)):
            ready = _ready(owner, value[0], value[1], budget or {})
        elif isinstance(value, Scaled):
            ready = _ready(owner, value.schedule, value.peak, budget or {})
        if ready is not None:
            converted[name] = ready if hyperparam_dtype is None else functools.partial(_cast, ready, hyperparam_dtype)
        elif isinstance(value, (Schedule, str)):
            raise RampupError(f"{owner}: {show(value)} gives factors of a peak: pass ({show(value)}, peak) or "
                              "a scaled schedule (s.scale(peak))")
        else:
            converted[name] = value
    extra = {} if hyperparam_dtype is None else {"hyperparam_dtype": hyperparam_dtype}
    return optax.inject_hyperparams(optimizer, static_args=static_args, **extra)(**converted)


def hyperparams(state: Any) -> dict[str, float]:
    """The current values of the injected hyperparameters in an optax state, as Python floats, for logging:
    every ``hyperparams`` dict found in ``state`` (an ``inject_hyperparams`` state, alone or inside a chain).
    optax stores the values the last update used (the first update's before any).

    Example:
        >>> import jax.numpy as jnp, optax
        >>> import rampup.optax
        >>> sgd = rampup.optax.inject_hyperparams(optax.sgd, learning_rate=("linear(4) >> constant()", 0.1))
        >>> opt = optax.chain(optax.clip_by_global_norm(1.0), sgd)
        >>> state = opt.init(jnp.zeros(2))
        >>> for _ in range(3):
        ...     _, state = opt.update(jnp.ones(2), state)
        >>> rampup.optax.hyperparams(state)
        {'learning_rate': 0.05000000074505806}
    """
    import numpy as np

    found: dict[str, float] = {}
    stack = [state]
    while stack:
        node = stack.pop()
        values = getattr(node, "hyperparams", None)
        if isinstance(values, dict):
            for key, v in values.items():
                if key not in found and np.ndim(v) == 0:
                    found[key] = float(np.asarray(v))
        if isinstance(node, (tuple, list)):
            stack.extend(reversed(node))
    return found


def _cast(s: Schedule, dtype: Any, count: Any) -> Any:
    import jax.numpy as jnp

    return jnp.asarray(s(count), dtype=dtype)


def _ready(owner: str, s: Any, peak: Any, budget: dict[str, Any]) -> Schedule:
    """``s`` parsed, resolved with ``budget``, checked evaluable, and scaled by ``peak`` (applied to each phase
    before it meets a float32 step); errors name ``owner``."""
    if peak is None:
        raise RampupError(f"{owner}: peak is required: the value factor 1.0 stands for (the peak LR, e.g. "
                          "peak=3e-4; peak=1.0 for the factors themselves)")
    s = as_schedule(s, owner=owner, **budget)
    return peak_first(s, check_number(owner, "peak", peak, 0.0, None))
