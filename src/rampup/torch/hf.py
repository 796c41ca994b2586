"""HF transformers drop-ins: :func:`get_scheduler` with HF's names and values, and a Trainer hook that builds a
rampup scheduler with the run's own budget.

- :func:`get_scheduler` takes the arguments of ``transformers.get_scheduler`` and returns a
  :class:`~rampup.torch.Scheduler` (a :class:`~rampup.torch.WarmupThen` for ``reduce_lr_on_plateau``) whose LR
  equals HF's at every update of the run.
- :func:`hf_schedule` is the rampup schedule behind each HF name (the mapping, as a value you can print, lint
  or plot).
- :class:`SchedulerMixin` (``class MyTrainer(SchedulerMixin, Trainer)``) and :func:`create_scheduler` make a
  ``Trainer`` run use a rampup schedule, resolved against the number of updates the Trainer computed
  (``num_training_steps``), which is right for epoch-based runs (``max_steps=-1``) with gradient accumulation.

transformers itself is imported only by the Trainer pieces, when they run.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Mapping
from typing import Any

import torch
from torch.optim.lr_scheduler import ReduceLROnPlateau

from ..core.compose import wsd
from ..core.decay import constant, cosine_decay, inverse_sqrt, linear_decay, poly_decay
from ..core.errors import RampupError
from ..core.schedule import Schedule, Sequence
from ..core.validate import check_choice, check_int, check_number, show
from ..core.warmup import constant_warmup, cosine_warmup, linear_warmup
from ._scheduler import Scheduler
from ._warmup_then import WarmupThen
from .base import unwrap_optimizer

__all__ = ["HF_NAMES", "SchedulerMixin", "create_scheduler", "get_scheduler", "hf_schedule", "warmup_steps"]

#: the keyword arguments (``scheduler_specific_kwargs``) each HF scheduler type takes
_KWARGS: dict[str, tuple[str, ...]] = {
    "linear": (),
    "cosine": ("num_cycles",),
    "cosine_with_restarts": ("num_cycles",),
    "polynomial": ("lr_end", "power"),
    "constant": (),
    "constant_with_warmup": (),
    "inverse_sqrt": ("timescale",),
    "reduce_lr_on_plateau": ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr",
                             "eps"),
    "cosine_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate"),
    "cosine_warmup_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate", "warmup_lr_rate"),
    "warmup_stable_decay": ("num_decay_steps", "num_stable_steps", "warmup_type", "decay_type", "min_lr_ratio",
                            "num_cycles"),
}
#: HF's scheduler names that :func:`get_scheduler` builds
HF_NAMES: tuple[str, ...] = tuple(_KWARGS)
#: HF names that are controllers driven by a metric, not schedules: no closed form to give
_ADAPTIVE = {"greedy": "HF's GreedyLR, which moves the LR up or down from the evaluation metric"}
_WSD_SHAPES = {"linear": "linear", "cosine": "cosine", "1-sqrt": "sqrt"}
_OWNER = "get_scheduler"


def warmup_steps(num_warmup_steps: int | float, num_training_steps: int | None = None) -> int:
    r"""The warmup length in updates, read as transformers 5 reads ``TrainingArguments.warmup_steps``.

    .. math:: W = w \ (w \ge 1), \qquad W = \lceil T \cdot w \rceil \ (0 \le w < 1)

    A value ``w >= 1`` is a count of updates (``500`` or ``500.0``); ``0 <= w < 1`` is a fraction of
    ``num_training_steps`` ``T``, rounded up in float arithmetic exactly as
    ``TrainingArguments.get_warmup_steps`` does (so ``0.07`` of ``10_000`` is 701, where rampup's own ``"7%"``,
    computed in exact decimals, is 700).

    Raises:
        RampupError: a negative value, a count with a fraction (``2.5``; HF would truncate it to 2), or a
            fraction without ``num_training_steps``.

    Example:
        >>> from rampup.torch.hf import warmup_steps
        >>> warmup_steps(500), warmup_steps(0.05, 10_000), warmup_steps(0.07, 10_000)
        (500, 500, 701)
    """
    return _warmup("warmup_steps", num_warmup_steps, num_training_steps)


def _warmup(owner: str, num_warmup_steps: Any, num_training_steps: Any) -> int:
    w = check_number(owner, "num_warmup_steps", num_warmup_steps, 0.0, None)
    if w >= 1:
        if not w.is_integer():
            raise RampupError(f"{owner}: num_warmup_steps must be a whole number of updates (>= 1) or a fraction "
                              f"of the run (< 1), got {show(num_warmup_steps)}")
        return int(w)
    if w == 0:
        return 0
    if num_training_steps is None:
        raise RampupError(f"{owner}: num_warmup_steps={show(num_warmup_steps)} is a fraction of the run: pass "
                          "num_training_steps too")
    total = _check_total(owner, num_training_steps)
    return math.ceil(total * w)


def hf_schedule(name: str, num_warmup_steps: int | float | None = None, num_training_steps: int | None = None,
                scheduler_specific_kwargs: Mapping[str, Any] | None = None, *,
                peak: float | None = None) -> Schedule:
    r"""The rampup schedule that gives HF's LR for the scheduler type ``name``, as a factor of the peak.

    With ``W`` the warmup (see :func:`warmup_steps`), ``T`` = ``num_training_steps`` and ``D = T - W``:

    =============================  ==========================================================================
    HF name (kwargs)               rampup schedule
    =============================  ==========================================================================
    ``constant``                   ``constant()``
    ``constant_with_warmup``       ``linear_warmup(W) >> constant()``
    ``linear``                     ``linear_warmup(W) >> linear_decay(D)``
    ``cosine`` (num_cycles=c)      ``linear_warmup(W) >> cosine_decay(D)``; ``c != 0.5``: cosine phases of
                                   ``D / (2c)`` updates, falling and rising in turn
    ``cosine_with_restarts`` (k)   ``linear_warmup(W) >> cosine_decay(D, cycles=k)``
    ``polynomial`` (lr_end, p)     ``linear_warmup(W) >> poly_decay(D, to=lr_end / peak, power=p)``
    ``inverse_sqrt`` (timescale)   ``linear_warmup(W) >> inverse_sqrt(timescale)``
    ``cosine_with_min_lr``         ``linear_warmup(W) >> cosine_decay(D, to=m)``, ``m = min_lr_rate`` or
                                   ``min_lr / peak``
    ``cosine_warmup_with_min_lr``  ``linear_warmup(W, offset=1) >> cosine_decay(D, to=m)`` (HF counts both
                                   phases one update in); with ``warmup_lr_rate=r``:
                                   ``linear_warmup(W - 1, start=r) >> cosine_decay(D, to=m)``
    ``warmup_stable_decay``        ``wsd(W, num_decay_steps, shape, warmup_shape, to=m, start=m, stable=S)``,
                                   ``m = min_lr_ratio``, ``"1-sqrt"`` is ``sqrt``, ``S = num_stable_steps`` or
                                   ``T - W - num_decay_steps``
    =============================  ==========================================================================

    ``peak`` (the optimizer's ``lr``, HF's ``optimizer.defaults["lr"]``) turns the absolute ``lr_end`` and
    ``min_lr`` into factors. HF's values hold from the first update to the last (``t < T``). After ``T``
    rampup holds the final value, where HF's cosine lambdas follow the cosine back up.

    Raises:
        RampupError: an unknown name (with the nearest names), a keyword the type does not take, a value HF
            would reject, a warmup longer than the run, or a configuration rampup does not express (named).

    Example:
        >>> from rampup.torch.hf import hf_schedule
        >>> hf_schedule("cosine", 0.1, 1000)
        linear_warmup(100) >> cosine_decay(900)
        >>> hf_schedule("polynomial", 2, 10, {"lr_end": 1e-4, "power": 2.0}, peak=1e-3)
        linear_warmup(2) >> poly_decay(8, to=0.1, power=2.0)
    """
    name = _check_name(name)
    if name == "reduce_lr_on_plateau":
        raise RampupError(f"hf_schedule: {name!r} follows a metric and is no schedule: use "
                          "rampup.torch.get_scheduler, which gives a WarmupThen")
    kw = _check_kwargs(name, scheduler_specific_kwargs)
    if name == "constant":
        if num_warmup_steps:
            _warn(f"{_OWNER}: 'constant' ignores num_warmup_steps={num_warmup_steps!r}, as HF does; use "
                  "'constant_with_warmup' to warm up")
        return constant()
    if num_warmup_steps is None:
        raise RampupError(f"{_OWNER}: {name!r} needs num_warmup_steps (0 for none), got None")
    W = _warmup(_OWNER, num_warmup_steps, num_training_steps)
    if name == "constant_with_warmup":
        return linear_warmup(W) >> constant()
    if name == "inverse_sqrt":
        timescale = kw.get("timescale")
        if timescale is not None:
            timescale = check_int(_OWNER, "timescale", timescale, 1)
        return linear_warmup(W) >> inverse_sqrt(timescale=timescale)
    if name == "warmup_stable_decay":
        return _wsd(W, num_training_steps, kw)
    if num_training_steps is None:
        raise RampupError(f"{_OWNER}: {name!r} needs num_training_steps, got None")
    T = _check_total(_OWNER, num_training_steps)
    if W > T:
        raise RampupError(f"{_OWNER}: num_warmup_steps={W} is longer than num_training_steps={T}: the run would "
                          "end before the peak")
    D = T - W
    if name == "linear":
        return linear_warmup(W) >> linear_decay(D)
    if name == "cosine":
        return _sequence([linear_warmup(W), *_cosine_wave(max(1, D), kw.get("num_cycles", 0.5), 0.0)])
    if name == "cosine_with_restarts":
        cycles = check_int(_OWNER, "num_cycles", kw.get("num_cycles", 1), 1)
        return linear_warmup(W) >> cosine_decay(D, cycles=cycles)
    if name == "polynomial":
        lr_init = _peak(name, peak, "lr_end")
        lr_end = check_number(_OWNER, "lr_end", kw.get("lr_end", 1e-7), 0.0, None)
        if not lr_init > lr_end:
            raise RampupError(f"{_OWNER}: lr_end ({lr_end!r}) must be smaller than the optimizer's lr ({lr_init!r})")
        power = check_number(_OWNER, "power", kw.get("power", 1.0), 0.0, None, lo_open=True)
        return linear_warmup(W) >> poly_decay(D, to=lr_end / lr_init, power=power)
    floor = _min_lr_rate(name, kw, peak)
    waves = _cosine_wave(max(1, D), kw.get("num_cycles", 0.5), floor)
    if name == "cosine_with_min_lr":
        return _sequence([linear_warmup(W), *waves])
    # cosine_warmup_with_min_lr: the warmup is (t + 1) / W and the decay's progress (t - W + 1) / D, so the
    # decay starts at W - 1, where the warmup reaches the peak
    rate = kw.get("warmup_lr_rate")
    if W == 0:
        raise RampupError(f"{_OWNER}: 'cosine_warmup_with_min_lr' with num_warmup_steps=0 starts HF's cosine one "
                          "update in, which rampup does not express: use 'cosine_with_min_lr' or a warmup >= 1")
    if rate is None:
        return _sequence([linear_warmup(W, offset=1), *waves])
    rate = check_number(_OWNER, "warmup_lr_rate", rate, 0.0, 1.0)
    if W == 1:  # HF gives warmup_lr_rate at update 0 and its decay counts from update 0
        return constant_warmup(1, start=rate) * _sequence(waves)
    return _sequence([linear_warmup(W - 1, start=rate), *waves])


def get_scheduler(name: str, optimizer: torch.optim.Optimizer, num_warmup_steps: int | float | None = None,
                  num_training_steps: int | None = None, scheduler_specific_kwargs: Mapping[str, Any] | None = None,
                  ) -> Scheduler | WarmupThen | ReduceLROnPlateau:
    r"""``transformers.get_scheduler`` with HF's names and HF's values, as a rampup scheduler.

    The LR of update ``t`` is ``base * f(t)`` with ``f`` = :func:`hf_schedule` of the same arguments, equal to
    HF's at every update of the run (``t < num_training_steps``). ``num_warmup_steps`` is a count or, as in
    transformers 5's ``TrainingArguments.warmup_steps``, a fraction of ``num_training_steps`` when below 1.
    ``optimizer`` may be wrapped (Accelerate, DeepSpeed, Lightning), as in a Trainer's ``create_scheduler``.

    ``reduce_lr_on_plateau`` gives ``WarmupThen(optimizer, W, ReduceLROnPlateau(optimizer, **kwargs))``: call
    ``step()`` after each update and ``step(metric)`` after each evaluation. HF drops ``num_warmup_steps`` for
    this type; rampup warms up over it first (with no warmup it is torch's ``ReduceLROnPlateau`` itself, as in
    HF). ``greedy`` (HF's metric-driven GreedyLR) has no closed form and is rejected with that reason.

    Example:
        >>> import torch, rampup.torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=10.0)
        >>> sched = rampup.torch.get_scheduler("linear", opt, num_warmup_steps=2, num_training_steps=10)
        >>> [sched.values(t)["lr"][0] for t in range(5)]
        [0.0, 5.0, 10.0, 8.75, 7.5]
    """
    optimizer = unwrap_optimizer(optimizer, _OWNER)
    name = _check_name(name)
    total = None if num_training_steps is None else _check_total(_OWNER, num_training_steps)
    if name == "reduce_lr_on_plateau":
        kw = _check_kwargs(name, scheduler_specific_kwargs)
        try:
            plateau = ReduceLROnPlateau(optimizer, **kw)
        except ValueError as e:
            raise RampupError(f"{_OWNER}: reduce_lr_on_plateau: {e}") from None
        W = 0 if num_warmup_steps is None else _warmup(_OWNER, num_warmup_steps, total)
        return WarmupThen(optimizer, W, plateau) if W else plateau
    schedule = hf_schedule(name, num_warmup_steps, total, scheduler_specific_kwargs,
                           peak=optimizer.defaults.get("lr"))
    return Scheduler(optimizer, schedule)


def create_scheduler(trainer: Any, num_training_steps: int, optimizer: torch.optim.Optimizer | None = None,
                     schedule: Any = None, **scheduler_kwargs: Any) -> Scheduler | WarmupThen | ReduceLROnPlateau:
    r"""The rampup scheduler for a transformers ``Trainer`` run of ``num_training_steps`` updates.

    Call it from ``Trainer.create_scheduler(num_training_steps, optimizer)``, which receives the number of
    updates the Trainer computed (``max_steps``, or ``ceil(num_train_epochs * updates per epoch)`` with
    gradient accumulation when ``max_steps=-1``): durations such as ``"5%"`` resolve against it.

    ``schedule=None`` reads ``TrainingArguments`` (``lr_scheduler_type``, ``warmup_steps``,
    ``lr_scheduler_kwargs``) through :func:`get_scheduler`: HF's LR, on rampup's update clock. A ``schedule``
    (a spec string, a schedule or a dict) gives ``Scheduler(optimizer, schedule, total_steps=num_training_steps,
    **scheduler_kwargs)``; ``TrainingArguments``' own warmup and scheduler settings then do not apply, and a
    warning says so when they are set. A ``reduce_lr_on_plateau`` scheduler is stepped with the evaluation metric
    (``metric_for_best_model``) after each evaluation, as HF does for its own.

    Example:
        >>> class MyTrainer(transformers.Trainer):  # doctest: +SKIP
        ...     def create_scheduler(self, num_training_steps, optimizer=None):
        ...         if self.lr_scheduler is None:
        ...             self.lr_scheduler = rampup.torch.hf.create_scheduler(
        ...                 self, num_training_steps, optimizer, "linear(5%) >> cosine(to=0.1)")
        ...         return self.lr_scheduler
    """
    owner = "create_scheduler"
    if num_training_steps == -1:
        raise RampupError(f"{owner}: num_training_steps=-1 is TrainingArguments.max_steps of an epoch-based run: "
                          "pass the num_training_steps the Trainer gives create_scheduler")
    total = _check_total(owner, num_training_steps)
    opt = trainer.optimizer if optimizer is None else optimizer
    args = trainer.args
    if schedule is None:
        if scheduler_kwargs:
            raise RampupError(f"{owner}: scheduler keywords go with a schedule, got {sorted(scheduler_kwargs)!r} "
                              "without one")
        sched = get_scheduler(_name(args.lr_scheduler_type), opt, args.warmup_steps, total,
                              args.lr_scheduler_kwargs or None)
    else:
        ignored = [f"{k}={v!r}" for k, v in (("warmup_steps", args.warmup_steps),
                                              ("lr_scheduler_kwargs", args.lr_scheduler_kwargs)) if v]
        if _name(args.lr_scheduler_type) != "linear":
            ignored.insert(0, f"lr_scheduler_type={_name(args.lr_scheduler_type)!r}")
        if ignored:
            _warn(f"{owner}: the rampup schedule sets the LR, so TrainingArguments' {', '.join(ignored)} "
                       "do not apply: leave them at their defaults (or pass schedule=None to use them)")
        sched = Scheduler(opt, schedule, total_steps=total, **scheduler_kwargs)
    if isinstance(sched, WarmupThen) and isinstance(sched.after, ReduceLROnPlateau):
        _step_on_evaluate(trainer, sched)
    return sched


class SchedulerMixin:
    """Mix into ``transformers.Trainer`` to make its ``create_scheduler`` build a rampup scheduler.

    ``class MyTrainer(SchedulerMixin, Trainer)``, then ``MyTrainer(..., schedule="linear(5%) >> cosine(to=0.1)")``
    (``scheduler_kwargs={...}`` for other :class:`~rampup.torch.Scheduler` keywords). Without ``schedule`` the
    run keeps ``TrainingArguments``' scheduler, HF's values on rampup's clock (see :func:`create_scheduler`);
    ``lr_scheduler_type="greedy"``, which rampup does not compute, stays HF's own. The scheduler is saved with
    each checkpoint and ``resume_from_checkpoint`` goes on with the very LRs of an uninterrupted run.
    """

    lr_scheduler: Any
    optimizer: Any
    args: Any
    _created_lr_scheduler: bool

    def __init__(self, *args: Any, schedule: Any = None, scheduler_kwargs: Mapping[str, Any] | None = None,
                 **kwargs: Any) -> None:
        self.rampup_schedule = schedule
        self.rampup_scheduler_kwargs = dict(scheduler_kwargs or {})
        super().__init__(*args, **kwargs)

    def create_scheduler(self, num_training_steps: int, optimizer: Any = None) -> Any:
        """Build the rampup scheduler once per ``train()`` (the Trainer's own hook)."""
        if self.lr_scheduler is None:
            if self.rampup_schedule is None and _name(self.args.lr_scheduler_type) in _ADAPTIVE:
                return super().create_scheduler(num_training_steps, optimizer)  # type: ignore[misc]
            self.lr_scheduler = create_scheduler(self, num_training_steps, optimizer, self.rampup_schedule,
                                                 **self.rampup_scheduler_kwargs)
            self._created_lr_scheduler = True  # the Trainer builds it anew for its next train()
        return self.lr_scheduler


# -- helpers ---------------------------------------------------------------------------------------------------
def _name(name: Any) -> str:
    """The plain name of an HF scheduler type (a ``SchedulerType`` enum member is a ``str`` with ``.value``)."""
    return str(getattr(name, "value", name))


def _check_name(name: Any) -> str:
    text = _name(name)
    if text in _KWARGS:
        return text
    if text in _ADAPTIVE:
        raise RampupError(f"{_OWNER}: {text!r} is {_ADAPTIVE[text]}: it has no closed form for rampup to give; use "
                          "transformers.get_scheduler for it")
    near = difflib.get_close_matches(text, (*_KWARGS, *_ADAPTIVE), n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
    raise RampupError(f"{_OWNER}: name must be one of HF's scheduler types ({', '.join(_KWARGS)}), "
                      f"got {show(name)}{hint}")


def _check_kwargs(name: str, kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    if kwargs is None:
        return {}
    if not isinstance(kwargs, Mapping):
        raise RampupError(f"{_OWNER}: scheduler_specific_kwargs must be a mapping, got {show(kwargs)}")
    allowed = _KWARGS[name]
    unknown = sorted(str(k) for k in kwargs if k not in allowed)
    if unknown:
        takes = ", ".join(allowed) if allowed else "none"
        raise RampupError(f"{_OWNER}: {name!r} takes no keyword {', '.join(unknown)} (it takes: {takes}), got "
                          f"{show(dict(kwargs))}")
    return dict(kwargs)


def _check_total(owner: str, total: Any) -> int:
    if total == -1 and not isinstance(total, bool):
        raise RampupError(f"{owner}: num_training_steps=-1 is the max_steps of an epoch-based run, not its length: "
                          "take the num_training_steps that Trainer.create_scheduler receives (SchedulerMixin does)")
    return check_int(owner, "num_training_steps", total, 1)


def _peak(name: str, peak: float | None, what: str) -> float:
    if peak is None:
        raise RampupError(f"{_OWNER}: {name!r} with an absolute {what} needs peak (the optimizer's lr) to turn it "
                          "into a factor")
    return check_number(_OWNER, "peak", peak, 0.0, None, lo_open=True)


def _min_lr_rate(name: str, kw: Mapping[str, Any], peak: float | None) -> float:
    min_lr, rate = kw.get("min_lr"), kw.get("min_lr_rate")
    if min_lr is not None and rate is not None:
        raise RampupError(f"{_OWNER}: {name!r} takes min_lr or min_lr_rate, not both, got {show(dict(kw))}")
    if min_lr is not None:
        return check_number(_OWNER, "min_lr", min_lr, 0.0, None) / _peak(name, peak, "min_lr")
    if rate is None:
        raise RampupError(f"{_OWNER}: {name!r} needs min_lr or min_lr_rate in scheduler_specific_kwargs")
    return check_number(_OWNER, "min_lr_rate", rate, 0.0, 1.0)


def _cosine_wave(D: int, cycles: Any, to: float) -> list[Schedule]:
    """HF's ``to + (1 - to)(1 + cos(2 pi c u / D)) / 2`` over ``D`` updates, as cosine phases of ``L = D / (2c)``
    updates that fall and rise in turn; ``L`` must be whole."""
    c = check_number(_OWNER, "num_cycles", cycles, 0.0, None, lo_open=True)
    if c == 0.5:
        return [cosine_decay(D, to=to)]
    half = D / (2 * c)
    if abs(half - round(half)) > 1e-9 * max(1.0, half) or round(half) < 1:
        raise RampupError(f"{_OWNER}: num_cycles={c!r} over {D} decay updates makes half-waves of {half:g} "
                          "updates; rampup expresses whole ones only: choose num_cycles so that "
                          "decay updates / (2 num_cycles) is a whole number")
    L = round(half)
    return [cosine_decay(L, to=to) if i % 2 == 0 else cosine_warmup(L, start=to) for i in range(math.ceil(D / L))]


def _sequence(phases: list[Schedule]) -> Schedule:
    return phases[0] if len(phases) == 1 else Sequence(tuple(phases))


def _wsd(W: int, total: int | None, kw: Mapping[str, Any]) -> Schedule:
    if "num_decay_steps" not in kw:
        raise RampupError(f"{_OWNER}: 'warmup_stable_decay' needs num_decay_steps in scheduler_specific_kwargs")
    D = check_int(_OWNER, "num_decay_steps", kw["num_decay_steps"], 0)
    shape = _WSD_SHAPES[check_choice(_OWNER, "decay_type", kw.get("decay_type", "cosine"), tuple(_WSD_SHAPES))]
    warm = _WSD_SHAPES[check_choice(_OWNER, "warmup_type", kw.get("warmup_type", "linear"), tuple(_WSD_SHAPES))]
    ratio = check_number(_OWNER, "min_lr_ratio", kw.get("min_lr_ratio", 0.0), 0.0, 1.0)
    if check_number(_OWNER, "num_cycles", kw.get("num_cycles", 0.5), 0.0, None) != 0.5:
        raise RampupError(f"{_OWNER}: 'warmup_stable_decay' with num_cycles other than 0.5 (a cooldown that rises "
                          f"again) is not expressed by rampup, got {show(kw['num_cycles'])}")
    T = None if total is None else _check_total(_OWNER, total)
    S = kw.get("num_stable_steps")
    if S is None:
        if T is None:
            raise RampupError(f"{_OWNER}: 'warmup_stable_decay' needs num_training_steps or num_stable_steps")
        S = T - W - D
        if S < 0:
            raise RampupError(f"{_OWNER}: num_warmup_steps={W} + num_decay_steps={D} is longer than "
                              f"num_training_steps={T}")
    else:
        S = check_int(_OWNER, "num_stable_steps", S, 0)
        if T is not None and W + S + D != T:
            _warn(f"{_OWNER}: warmup {W} + stable {S} + decay {D} = {W + S + D} updates, the run "
                       f"{T}: " + ("the run ends before the decay does" if W + S + D > T else
                                   f"the last {T - W - S - D} updates stay at min_lr_ratio") +
                       "; leave num_stable_steps out to fill the run")
    return wsd(W, D, shape=shape, warmup_shape=warm, to=ratio, start=ratio, stable=S)


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


def _step_on_evaluate(trainer: Any, scheduler: WarmupThen) -> None:
    """Pass the evaluation metric to a warmed-up ReduceLROnPlateau after each evaluation, as HF's Trainer does
    for its own (it steps only a bare ReduceLROnPlateau)."""
    from transformers import TrainerCallback

    metric = trainer.args.metric_for_best_model or "loss"
    key = metric if metric.startswith("eval_") else f"eval_{metric}"

    class _PlateauMetric(TrainerCallback):
        def on_evaluate(self, args: Any, state: Any, control: Any, metrics: Any = None, **kwargs: Any) -> None:
            if metrics is not None and key in metrics:
                scheduler.step(metrics[key])

    for cb in list(trainer.callback_handler.callbacks):
        if type(cb).__name__ == "_PlateauMetric":
            trainer.callback_handler.callbacks.remove(cb)
    trainer.add_callback(_PlateauMetric())
