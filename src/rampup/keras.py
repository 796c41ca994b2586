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

import keras  # type: ignore[import-untyped]  # keras ships no type information

from .core.errors import RampupError, SpecError
from .core.peak import peak_first
from .core.schedule import Schedule
from .core.spec import as_schedule
from .core.validate import check_number, show

__all__ = ["LRLogger", "LRSchedule"]


@keras.saving.register_keras_serializable(package="rampup", name="LRSchedule")
class LRSchedule(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]  # an untyped base
    """A Keras learning-rate schedule: ``lr(iterations) = peak * s(iterations)``.

    Args:
        schedule: a rampup schedule or a spec string such as ``"linear(5%) >> cosine(to=0.1)"``.
        peak: required: the peak learning rate (factor 1.0), a finite number >= 0. The schedule gives factors
            of it; a missing peak is an error, not a peak LR of 1.0.
        **budget: :class:`~rampup.Budget` fields (``total_steps=``, ``steps_per_epoch=`` ...) that resolve
            durations in ``%``, epochs, tokens or samples. With Keras' ``model.fit``, ``steps_per_epoch`` is the
            number of batches per epoch.

    ``get_config()`` gives ``{"schedule": spec, "peak": peak}`` with every duration already in steps, so a
    saved model reloads the same schedule without its budget; ``from_config`` parses the spec back. It trains
    with ``model.fit``, saves with ``model.save`` and comes back with ``keras.models.load_model``. The peak is
    applied to each phase before it meets the float32 step, so a constant phase is exactly ``peak * value``.

    Raises:
        RampupError: no ``peak``, or a bad one.
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

    def __init__(self, schedule: Schedule | str, peak: float | None = None, **budget: Any):
        super().__init__()
        owner = "rampup.keras.LRSchedule"
        if peak is None:
            raise RampupError(f"{owner}: peak is required: the learning rate factor 1.0 stands for (e.g. "
                              "peak=1e-3)")
        schedule = as_schedule(schedule, owner=owner, **budget)
        self.peak = check_number(owner, "peak", peak, 0.0, None)
        #: the resolved rampup schedule (factors of ``peak``)
        self.schedule = schedule
        self._scaled = peak_first(schedule, self.peak)

    def __call__(self, step: Any) -> Any:
        t = keras.ops.cast(keras.ops.convert_to_tensor(step), keras.config.floatx())
        return self._scaled(t)

    def get_config(self) -> dict[str, Any]:
        return {"schedule": self.schedule.spec(), "peak": self.peak}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LRSchedule:
        if not isinstance(config, dict) or "schedule" not in config or "peak" not in config:
            raise SpecError(f"rampup.keras.LRSchedule.from_config: expected {{'schedule': spec, 'peak': ...}}, "
                            f"got {show(config)}")
        extra = sorted(set(config) - {"schedule", "peak"})
        if extra:
            raise SpecError(f"rampup.keras.LRSchedule.from_config: unknown key {extra[0]!r} in {show(config)}")
        spec = config["schedule"]
        if not isinstance(spec, str):
            raise SpecError(f"rampup.keras.LRSchedule.from_config: 'schedule' must be a spec string, got "
                            f"{show(spec)}")
        return cls(spec, config["peak"])

    def __repr__(self) -> str:
        return f"rampup.keras.LRSchedule({self.schedule.spec()!r}, peak={self.peak!r})"


class LRLogger(keras.callbacks.Callback):  # type: ignore[misc]  # an untyped base
    """Writes the optimizer's learning rate into the logs at the end of each epoch (and, with ``every_batch``,
    of each batch), so that ``model.fit``'s ``History`` records it (``history.history["learning_rate"]``) and
    ``keras.callbacks.TensorBoard`` writes it when it comes after this callback in the list (TensorBoard needs
    TensorFlow). The value is the LR the next update uses (``optimizer.learning_rate``), what Keras itself reports.

    Args:
        key: the name in the logs.
        every_batch: also write it into each batch's logs.

    Example:
        >>> import numpy as np, keras
        >>> import rampup.keras
        >>> model = keras.Sequential([keras.layers.Dense(1)])
        >>> model.compile(keras.optimizers.SGD(rampup.keras.LRSchedule("linear(4) >> constant()", peak=0.1)), "mse")
        >>> h = model.fit(np.ones((8, 2)), np.ones(8), batch_size=4, epochs=3, verbose=0,
        ...               callbacks=[rampup.keras.LRLogger()])
        >>> [round(v, 6) for v in h.history["learning_rate"]]
        [0.05, 0.1, 0.1]
    """

    def __init__(self, key: str = "learning_rate", every_batch: bool = False):
        super().__init__()
        if not isinstance(key, str) or not key:
            raise RampupError(f"rampup.keras.LRLogger: key must be a non-empty string, got {show(key)}")
        if not isinstance(every_batch, bool):
            raise RampupError(f"rampup.keras.LRLogger: every_batch must be true or false, got {show(every_batch)}")
        self.key = key
        self.every_batch = every_batch

    def _lr(self) -> float:
        return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:
            logs[self.key] = self._lr()

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.every_batch and logs is not None:
            logs[self.key] = self._lr()
