"""rampup schedules for Keras 3: a ``keras.optimizers.schedules.LearningRateSchedule`` that saves with the model.

Keras calls a learning-rate schedule with the optimizer's ``iterations`` (updates already applied, 0 for the
first update): the same clock as rampup's ``step``, so the LR of update ``t`` is ``peak * s(t)`` with no offset.
The schedule is stored in the model file as its resolved spec string and peak, and comes back with
``keras.models.load_model`` once ``rampup.keras`` has been imported (the import registers the class)::

    >>> import keras
    >>> import rampup.keras
    >>> lr = rampup.keras.LRSchedule("linear(5%) >> cosine(to=0.1)", peak=1e-3, total_steps=1000)
    >>> opt = keras.optimizers.Adam(learning_rate=lr)
    >>> lr.get_config()
    {'schedule': 'linear_warmup(50) >> cosine_decay(950, to=0.1)', 'peak': 0.001}

It works with every Keras backend (tested with torch and jax). The step is cast to ``keras.config.floatx()``
(float32 unless set otherwise) and the formula is evaluated in that type by the backend's own operations.
"""

from __future__ import annotations

from typing import Any

import keras

from .core.errors import SpecError
from .core.schedule import Schedule
from .core.spec import as_schedule
from .core.validate import check_number

__all__ = ["LRSchedule"]


@keras.saving.register_keras_serializable(package="rampup", name="LRSchedule")
class LRSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A Keras learning-rate schedule: ``lr(iterations) = peak * s(iterations)``.

    Args:
        schedule: a rampup schedule or a spec string such as ``"linear(5%) >> cosine(to=0.1)"``.
        peak: the peak learning rate (factor 1.0), a finite number >= 0.
        **budget: :class:`~rampup.Budget` fields (``total_steps=``, ``steps_per_epoch=`` ...) that resolve
            durations in ``%``, epochs, tokens or samples. With Keras' ``model.fit``, ``steps_per_epoch`` is the
            number of batches per epoch.

    ``get_config()`` gives ``{"schedule": spec, "peak": peak}`` with every duration already in steps, so a
    saved model reloads the same schedule without its budget; ``from_config`` parses the spec back.

    Raises:
        BudgetError: a duration the budget cannot resolve (names the missing field), at construction.
        SpecError: a spec (or a config's ``schedule``) that does not parse, naming the unknown name.

    Example:
        >>> import numpy as np
        >>> import rampup.keras
        >>> lr = rampup.keras.LRSchedule("linear(10) >> cosine(90)", peak=0.1)
        >>> round(float(keras.ops.convert_to_numpy(lr(5))), 6)
        0.05
        >>> rampup.keras.LRSchedule.from_config(lr.get_config()).schedule == lr.schedule
        True
    """

    def __init__(self, schedule: Schedule | str, peak: float = 1.0, **budget: Any):
        super().__init__()
        owner = "rampup.keras.LRSchedule"
        schedule = as_schedule(schedule, owner=owner, **budget)
        self.peak = check_number(owner, "peak", peak, 0.0, None)
        #: the resolved rampup schedule (factors of ``peak``)
        self.schedule = schedule
        self._scaled = schedule.scale(self.peak)

    def __call__(self, step: Any) -> Any:
        t = keras.ops.cast(keras.ops.convert_to_tensor(step), keras.config.floatx())
        return self._scaled(t)

    def get_config(self) -> dict[str, Any]:
        return {"schedule": self.schedule.spec(), "peak": self.peak}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LRSchedule:
        if not isinstance(config, dict) or "schedule" not in config:
            raise SpecError(f"rampup.keras.LRSchedule.from_config: expected {{'schedule': spec, 'peak': ...}}, "
                            f"got {config!r}")
        extra = sorted(set(config) - {"schedule", "peak"})
        if extra:
            raise SpecError(f"rampup.keras.LRSchedule.from_config: unknown key {extra[0]!r} in {config!r}")
        spec = config["schedule"]
        if not isinstance(spec, str):
            raise SpecError(f"rampup.keras.LRSchedule.from_config: 'schedule' must be a spec string, got {spec!r}")
        return cls(spec, config.get("peak", 1.0))

    def __repr__(self) -> str:
        return f"rampup.keras.LRSchedule({self.schedule.spec()!r}, peak={self.peak!r})"
