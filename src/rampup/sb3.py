"""rampup schedules for Stable-Baselines3: learning-rate warmup and DQN exploration on a clock SB3 cannot reset.

SB3 calls a schedule as ``f(progress_remaining)``, where ``progress_remaining = 1 - num_timesteps / total`` and
``total`` is the ``total_timesteps`` of the *current* ``learn()`` call (plus the steps already done when
``reset_num_timesteps=False``). A warmup written against that number is stretched or restarted by every
``learn()`` call. The schedules here ignore ``progress_remaining`` and read the model's own counters instead:

- ``count="env_steps"``: ``step = model.num_timesteps`` (environment steps, all environments together);
- ``count="updates"``: ``step`` = gradient updates applied, counted by :class:`rampup.torch.UpdateCounter` (the
  clock of rampup's torch schedulers, a post-step hook) on the model's optimizer (``policy.optimizer``;
  ``critic.optimizer`` for SAC/TD3), so it is exact for PPO's minibatch updates (SB3's ``_n_updates`` counts PPO
  epochs, not updates).

``count=`` is the keyword of every rampup adapter; ``unit=`` is accepted as its old name. ``total_steps`` counts in
the clock's unit: environment steps (SB3's ``total_timesteps``) with ``count="env_steps"``, gradient updates with
``count="updates"``.

SB3 writes the learning rate once per ``train()`` call (once per rollout for PPO/A2C, once per ``train_freq`` for
off-policy algorithms), with the value of the step at that moment::

    >>> import gymnasium as gym
    >>> from stable_baselines3 import PPO
    >>> import rampup.sb3
    >>> lr = rampup.sb3.LRSchedule("linear(10%) >> cosine(to=0.1)", peak=3e-4, total_steps=50_000)
    >>> model = lr.bind(PPO("MlpPolicy", gym.make("CartPole-v1"), learning_rate=lr, n_steps=64, device="cpu"))
    >>> lr.step, lr(1.0)              # before any training: step 0, the warmup's start
    (0, 0.0)

``bind`` again after ``PPO.load(...)``: ``model.learning_rate.bind(model)`` (the saved schedule keeps its update
count). Frameworks are imported lazily: nothing here imports SB3 or torch until a model is bound.
"""

from __future__ import annotations

from typing import Any

from .core.errors import RampupError
from .core.schedule import Schedule
from .core.spec import as_schedule, parse
from .core.validate import check_choice, check_int, check_number

__all__ = ["COUNTS", "EpsilonSchedule", "LRSchedule", "progress_schedule"]

_FORMAT = "rampup.sb3/1"
#: what advances an SB3 schedule's clock: the model's environment steps, or its optimizer's updates
COUNTS = ("env_steps", "updates")


def _ready(owner: str, s: Any, budget: dict[str, Any]) -> Schedule:
    """``s`` parsed, resolved with ``budget`` and checked evaluable; errors name ``owner``."""
    if budget.get("total_steps") == 0:
        raise RampupError(f"{owner}: total_steps must be >= 1 (the run's total timesteps or updates), got 0")
    return as_schedule(s, owner=owner, **budget)


def _count(owner: str, count: str | None, unit: str | None, default: str) -> str:
    if unit is not None:
        if count is not None:
            raise RampupError(f"{owner}: pass count=... (unit= is its old name), not both")
        count = unit
    return check_choice(owner, "count", default if count is None else count, COUNTS)


class _Bound:
    """A schedule driven by a bound model's counter, callable with SB3's ``progress_remaining`` (ignored)."""

    _owner = ""

    def __init__(self, schedule: Schedule | str, peak: float, count: str, budget: dict[str, Any]) -> None:
        self.peak = peak
        self.count = count
        self.schedule = _ready(self._owner, schedule, budget)
        self._scaled = self.schedule.scale(peak)
        self._model: Any = None
        self._counter: Any = None  # the UpdateCounter on the bound model's optimizer (count="updates")
        self._updates = 0  # updates counted before the current binding (kept across save and load)

    @property
    def step(self) -> int:
        """The schedule's clock now: the bound model's environment steps or gradient updates."""
        if self.count == "updates":
            return self._updates if self._counter is None else int(self._counter.updates)
        return 0 if self._model is None else int(self._model.num_timesteps)

    def __call__(self, progress_remaining: float) -> float:
        if self._model is None and progress_remaining < 1.0:
            # SB3 calls with progress 1 only while building the policy; any later call trains with this value
            raise RampupError(f"{self._owner}: not bound to a model, so it has no clock: call .bind(model) "
                              "after creating (or loading) the model and before learn()")
        return float(self._scaled(self.step))

    def _attach_counter(self, model: Any) -> None:
        if self._counter is not None:
            self._updates = int(self._counter.updates)
            self._counter.remove()
            self._counter = None
        if self.count != "updates":
            return
        optimizer = getattr(getattr(model, "policy", None), "optimizer", None)
        if optimizer is None:
            optimizer = getattr(getattr(model, "critic", None), "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "param_groups"):
            raise RampupError(f"{self._owner}: count='updates' needs a model with policy.optimizer or "
                              f"critic.optimizer (a torch optimizer), got {type(model).__name__}; "
                              "use count='env_steps'")
        from .torch.base import UpdateCounter  # torch only once a model is bound

        self._counter = UpdateCounter(optimizer, self, start=self._updates, name=self._owner)

    def __getstate__(self) -> dict[str, Any]:
        # saved with the model by SB3 (cloudpickle): plain values only, the schedule as its spec string, so that a
        # saved model loads whatever module the schedule's classes live in; never the model or the hook
        return {"format": _FORMAT, "schedule": self.schedule.spec(), "peak": self.peak, "count": self.count,
                "updates": self.step if self.count == "updates" else self._updates}

    def __setstate__(self, state: dict[str, Any]) -> None:
        owner = self._owner
        if state.get("format") == _FORMAT:
            schedule, updates = parse(state["schedule"]), state["updates"]
        else:  # the attributes themselves, as rampup 0.1 saved them: ``unit``, EpsilonSchedule's ``scale``
            schedule, updates = state["schedule"], state.get("_updates", 0)
            state = {**state, "count": state.get("count", state.get("unit")),
                     "peak": state.get("peak", state.get("scale"))}
        self.peak = check_number(owner, "peak", state["peak"], 0.0, None)
        self.count = check_choice(owner, "count", state["count"], COUNTS)
        self.schedule = schedule
        self._scaled = schedule.scale(self.peak)
        self._model = None
        self._counter = None
        self._updates = check_int(owner, "the saved update count", updates, 0)


class LRSchedule(_Bound):
    """An SB3 learning rate ``lr = peak * s(step)`` on a clock of environment steps or gradient updates.

    Pass it as ``learning_rate=`` (or not) and call :meth:`bind` with the model before ``learn()``. It reads the
    bound model's counter, not ``progress_remaining``, so repeated ``learn(..., reset_num_timesteps=False)`` calls
    continue the schedule where it was, and a warmup keeps its length however long each call is.

    Args:
        schedule: a rampup schedule or a spec string such as ``"linear(5%) >> cosine(to=0.1)"``.
        peak: the peak learning rate (factor 1.0).
        count: ``"env_steps"`` (``step = model.num_timesteps``; it restarts when ``learn()`` resets
            ``num_timesteps``, as SB3's own schedules do) or ``"updates"`` (gradient updates applied to the
            model's optimizer since binding, kept when the model is saved and loaded). ``unit=`` is its old name.
        **budget: :class:`~rampup.Budget` fields; ``total_steps`` counts in ``count`` (total environment steps
            of all ``learn()`` calls, or total gradient updates).

    Raises:
        BudgetError: a duration the budget cannot resolve (names the field), at construction.
        RampupError: ``total_steps=0``, a bad ``count`` or ``peak``; calling it unbound during training.

    Example:
        >>> import rampup.sb3
        >>> lr = rampup.sb3.LRSchedule("linear(1000) >> constant()", peak=1e-3, count="updates")
        >>> lr(1.0)      # unbound: SB3 builds the optimizer with progress 1, the start of the warmup
        0.0
        >>> lr
        rampup.sb3.LRSchedule('linear_warmup(1000) >> constant()', peak=0.001, count='updates')
    """

    _owner = "rampup.sb3.LRSchedule"

    def __init__(self, schedule: Schedule | str, peak: float, *, count: str | None = None, unit: str | None = None,
                 **budget: Any) -> None:
        self.peak = check_number(self._owner, "peak", peak, 0.0, None)
        super().__init__(schedule, self.peak, _count(self._owner, count, unit, "env_steps"), budget)

    def bind(self, model: Any) -> Any:
        """Drive this schedule from ``model`` and install it as the model's learning rate; returns ``model``."""
        from stable_baselines3.common.utils import FloatSchedule

        self._attach_counter(model)
        self._model = model
        model.learning_rate = self
        model.lr_schedule = FloatSchedule(self)
        return model

    def __repr__(self) -> str:
        return f"rampup.sb3.LRSchedule({self.schedule.spec()!r}, peak={self.peak!r}, count={self.count!r})"


class EpsilonSchedule(_Bound):
    """DQN's exploration rate from a rampup schedule: ``epsilon = peak * s(model.num_timesteps)``.

    SB3's default (``exploration_initial_eps=1.0``, ``exploration_final_eps=0.05``, ``exploration_fraction=0.1``)
    is ``EpsilonSchedule("linear_decay(10%, to=0.05)", total_steps=T)``: a linear decay from 1 to 0.05 over the first
    10% of the ``T`` environment steps, then held. Any rampup shape works (``cosine_decay(20k, to=0.02)``,
    ``constant(5k) >> linear_decay(10%, to=0.05)``...). The clock is ``model.num_timesteps``, the environment steps
    DQN updates epsilon on. Call :meth:`bind` after creating (or loading) the model. ``peak`` (default 1.0)
    multiplies the factors, as everywhere in rampup; ``scale=`` is accepted as its old name.

    Example:
        >>> import rampup.sb3
        >>> eps = rampup.sb3.EpsilonSchedule("linear_decay(10%, to=0.05)", total_steps=10_000)
        >>> [round(float(eps.schedule(t)), 4) for t in (0, 500, 1000, 5000)]
        [1.0, 0.525, 0.05, 0.05]
    """

    _owner = "rampup.sb3.EpsilonSchedule"

    def __init__(self, schedule: Schedule | str, peak: float | None = None, *, scale: float | None = None,
                 **budget: Any) -> None:
        if scale is not None:
            if peak is not None:
                raise RampupError(f"{self._owner}: pass peak=... (scale= is its old name), not both")
            peak = scale
        self.peak = check_number(self._owner, "peak", 1.0 if peak is None else peak, 0.0, 1.0)
        super().__init__(schedule, self.peak, "env_steps", budget)

    def bind(self, model: Any) -> Any:
        """Install as ``model.exploration_schedule`` (DQN); returns ``model``."""
        if not hasattr(model, "exploration_schedule"):
            raise RampupError(f"{self._owner}: {type(model).__name__} has no exploration_schedule (DQN has)")
        self._attach_counter(model)
        self._model = model
        model.exploration_schedule = self
        return model

    def __repr__(self) -> str:
        return f"rampup.sb3.EpsilonSchedule({self.schedule.spec()!r}, peak={self.peak!r})"


class _Progress:
    """``peak * s(round((1 - progress_remaining) * total))``: a plain SB3 schedule of progress_remaining."""

    def __init__(self, schedule: Schedule, peak: float, total: int):
        self.schedule, self.peak, self.total = schedule, peak, total
        self._scaled = schedule.scale(peak)

    def __call__(self, progress_remaining: float) -> float:
        p = float(progress_remaining)
        if not 0.0 <= p <= 1.0:
            raise RampupError(f"progress_remaining must be in [0, 1], got {progress_remaining!r}")
        return float(self._scaled(round((1.0 - p) * self.total)))

    def __repr__(self) -> str:
        return (f"rampup.sb3.progress_schedule({self.schedule.spec()!r}, peak={self.peak!r}, "
                f"total_timesteps={self.total})")


def progress_schedule(schedule: Schedule | str, peak: float, total_timesteps: int) -> Any:
    """A stateless SB3 schedule of ``progress_remaining`` for one ``learn(total_timesteps)`` call.

    ``lr(p) = peak * s(round((1 - p) * total_timesteps))``: SB3 computes ``p = 1 - num_timesteps /
    total_timesteps``, so the step recovered is exactly ``num_timesteps``. Durations in ``%`` resolve against
    ``total_timesteps``. Right only for a single ``learn()`` call with that ``total_timesteps`` (a later call
    restarts or stretches it); use :class:`LRSchedule` otherwise.

    Raises:
        RampupError: ``total_timesteps`` is not a whole number >= 1 (0 would divide by zero in SB3).

    Example:
        >>> import rampup.sb3
        >>> lr = rampup.sb3.progress_schedule("linear(10%) >> cosine()", peak=1e-3, total_timesteps=1000)
        >>> lr(1.0), lr(0.95), lr(0.9)
        (0.0, 0.0005, 0.001)
    """
    owner = "rampup.sb3.progress_schedule"
    if isinstance(total_timesteps, bool) or not isinstance(total_timesteps, int) or total_timesteps < 1:
        raise RampupError(f"{owner}: total_timesteps must be a whole number >= 1, got {total_timesteps!r}")
    peak = check_number(owner, "peak", peak, 0.0, None)
    return _Progress(_ready(owner, schedule, {"total_steps": total_timesteps}), peak, total_timesteps)
