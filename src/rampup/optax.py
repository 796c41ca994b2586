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

from collections.abc import Callable
from typing import Any

from .core.errors import RampupError
from .core.schedule import Schedule
from .core.spec import as_schedule
from .core.validate import check_number

__all__ = ["inject_hyperparams", "schedule"]


def schedule(s: Schedule | str, peak: float = 1.0, **budget: Any) -> Schedule:
    """An optax schedule (``count -> value``): ``peak * s(count)``, with ``s``'s durations resolved.

    ``lr(count) = peak * s(count)``, where ``count`` is optax's update counter (updates already applied). The
    result is itself a rampup :class:`~rampup.Schedule` (immutable, picklable, ``repr`` is its spec) that accepts
    Python numbers, numpy arrays and jax arrays (traced or not); on a jax integer count it computes in jax's
    default float type (float32, or float64 with ``jax_enable_x64``).

    Args:
        s: a schedule or a spec string such as ``"linear(5%) >> cosine(to=0.1)"``.
        peak: the value at factor 1.0 (the peak learning rate), a finite number >= 0.
        **budget: :class:`~rampup.Budget` fields (``total_steps=``, ``steps_per_epoch=`` ...) to resolve
            durations in ``%``, epochs, tokens or samples.

    Raises:
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
                       **hyperparams: Any) -> Any:
    """``optax.inject_hyperparams(optimizer)(**hyperparams)`` where rampup schedules and spec strings schedule any
    numeric hyperparameter (``learning_rate``, ``b1``, ``weight_decay`` ...).

    A value that is a :class:`~rampup.Schedule` is used as the hyperparameter's value at each step (it must give
    absolute values: ``s.scale(peak)``); a spec string is parsed first; both are resolved with ``budget``. A pair
    ``(schedule_or_spec, peak)`` is ``peak * schedule``. Numbers and other callables pass through unchanged. The
    current values are in ``state.hyperparams`` as optax keeps them.

    Raises:
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
        raise RampupError(f"rampup.optax.inject_hyperparams: budget must be a dict of Budget fields, got {budget!r}")
    converted = {}
    for name, value in hyperparams.items():
        owner = f"rampup.optax.inject_hyperparams({name}=...)"
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], (Schedule, str)):
            converted[name] = _ready(owner, value[0], value[1], budget or {})
        elif isinstance(value, (Schedule, str)):
            converted[name] = _ready(owner, value, 1.0, budget or {})
        else:
            converted[name] = value
    return optax.inject_hyperparams(optimizer, static_args=static_args)(**converted)


def _ready(owner: str, s: Any, peak: Any, budget: dict[str, Any]) -> Schedule:
    """``s`` parsed, resolved with ``budget``, checked evaluable, and scaled by ``peak``; errors name ``owner``."""
    s = as_schedule(s, owner=owner, **budget)
    peak = check_number(owner, "peak", peak, 0.0, None)
    return s if peak == 1.0 else s.scale(peak)
