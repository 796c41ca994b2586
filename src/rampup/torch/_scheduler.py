"""``rampup.torch.Scheduler``: a closed-form torch LR scheduler driven by rampup schedules."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from ..core.errors import RampupError
from ..core.scalar import scalar_function
from ..core.schedule import Schedule
from ..core.spec import as_schedule, parse
from ..core.units import Budget, Duration
from ..core.validate import check_int
from .base import SchedulerBase, base_value, make_budget, read_lr

__all__ = ["Scheduler"]

_BETA = {"beta1": 0, "beta2": 1}
# how a value is written into its param group: a float, one entry of the betas tuple, a tensor filled in place
_PLAIN, _BETA1, _BETA2, _TENSOR = 0, 1, 2, 3


class Scheduler(SchedulerBase):
    r"""A torch LR scheduler whose values come from rampup schedules, in closed form.

    The learning rate of param group ``g`` for update ``t`` (``t`` updates already applied, the first update is
    ``t = 0``) is

    .. math:: \mathrm{lr}_g(t) = \mathrm{base}_g \cdot s_g(t)

    where ``base_g`` is the group's ``initial_lr`` (its ``lr`` when the scheduler is built, kept in the group as
    torch schedulers do) and ``s_g`` its schedule. Nothing depends on the previous ``group['lr']``, so the value
    at any step is exact, and ``optimizer.step`` is never patched.

    **What counts as a step.** With ``count="updates"`` (default) the clock is the number of real optimizer
    updates, read from a step post-hook on the optimizer: ``step()`` after an update the optimizer did not make
    (AMP ``GradScaler`` skipped it on an inf/NaN gradient, a gradient-accumulation micro-batch, the extra calls of
    Accelerate's prepared scheduler) leaves the LR where it is, and no "lr_scheduler.step() before
    optimizer.step()" warning is ever raised. Calling ``step()`` after each ``optimizer.step()`` gives update
    ``t`` the LR ``base * s(t)``. ``count="calls"`` counts ``step()`` calls, as torch schedulers do (for a
    schedule written in epochs and stepped once per epoch, or to preview a schedule without an optimizer step).
    The clock is :class:`rampup.torch.SchedulerBase`'s: it warns once (:class:`rampup.torch.StepWarning`) when
    ``step()`` is called once per epoch for a schedule counted in updates, or again and again with no update.

    Args:
        optimizer: the torch optimizer, or a wrapper that holds it (Accelerate, HF Trainer, DeepSpeed, Lightning;
            see :func:`rampup.torch.unwrap_optimizer`).
        schedule: the LR schedule: a rampup schedule, a spec string (``"linear(5%) >> cosine(to=0.1)"``) or a
            ``to_dict()`` dict; or one per param group: a list (in group order) or a mapping from the groups'
            ``name`` (``"*"``: every group not named) to schedules. Each is relative to its group's own base LR.
        hparams: other hyperparameters scheduled the same way, relative to their value when the scheduler is
            built: ``{"weight_decay": ..., "momentum": ..., "beta1": ..., "beta2": ...}`` (``beta1``/``beta2``
            are the entries of Adam's ``betas``; any other numeric param-group key works too). Each value may be
            per group like ``schedule``; ``"lr"`` may be given here instead of ``schedule``.
        total_steps, steps_per_epoch: budget fields that resolve durations such as ``"5%"`` or ``"2ep"``; or
            ``budget=rampup.Budget(...)``. ``total_steps`` counts optimizer updates (``-1``, an epoch-based
            trainer's ``max_steps``, is an error that says where to get the number). A duration that stays
            unresolved raises :class:`rampup.BudgetError` here, at construction.
        count: ``"updates"`` (default) or ``"calls"``, see above.
        replan_blend: on resume into a different plan (see :meth:`load_state_dict`), the updates over which the
            LR goes from the saved plan's value to the new plan: a whole number of updates, or a percentage of
            the new plan's remaining updates (default ``"10%"``); ``0`` switches to the new plan at once.

    Raises:
        RampupError: not an optimizer, the wrong number of per-group schedules, an unknown group name or
            hyperparameter, a negative or non-finite base value.
        BudgetError: a duration needs a budget field that was not given.

    Example:
        >>> import torch, rampup.torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = rampup.torch.Scheduler(opt, "linear(2) >> cosine()", total_steps=6)
        >>> lrs = []
        >>> for _ in range(6):
        ...     lrs.append(opt.param_groups[0]["lr"])
        ...     opt.step()
        ...     sched.step()
        >>> [round(x, 4) for x in lrs]
        [0.0, 0.05, 0.1, 0.0854, 0.05, 0.0146]
    """

    public = "rampup.torch.Scheduler"
    state_format = "rampup.torch.Scheduler/1"

    def __init__(self, optimizer: Any, schedule: Any = None, *, hparams: Mapping[str, Any] | None = None,
                 total_steps: int | None = None, steps_per_epoch: int | None = None, budget: Budget | None = None,
                 count: str = "updates", replan_blend: int | str = "10%") -> None:
        owner = "Scheduler"
        super().__init__(optimizer, count=count)
        optimizer = self.optimizer
        self._replan_blend = _check_blend(replan_blend)
        budget = make_budget(owner, budget, total_steps, steps_per_epoch)
        # a calls clock with durations in updates (steps_per_epoch given) is wrong when stepped per epoch
        self._watch_calls = budget is not None and budget.steps_per_epoch is not None
        plan: dict[str, Any] = {}
        if hparams is not None:
            if not isinstance(hparams, Mapping):
                raise RampupError(f"{owner}: hparams must be a mapping such as {{'weight_decay': ...}}, "
                                  f"got {hparams!r}")
            plan.update(hparams)
        if schedule is not None:
            if "lr" in plan:
                raise RampupError(f"{owner}: the LR schedule is given twice, as schedule= and as hparams['lr']")
            plan = {"lr": schedule, **plan}
        if not plan:
            raise RampupError(f"{owner}: nothing to schedule: pass a schedule (or hparams)")
        groups = optimizer.param_groups
        # hparam -> (distinct schedules, schedule index of each group, base value of each group)
        self._plan: dict[str, tuple[list[Schedule], list[int], list[float]]] = {}
        for key, spec in plan.items():
            if not isinstance(key, str):
                raise RampupError(f"{owner}: hparams keys must be param-group keys such as 'weight_decay', "
                                  f"got {key!r}")
            bases = [base_value(owner, g, i, key) for i, g in enumerate(groups)]
            scheds, index = _per_group(owner, key, spec, groups, budget)
            self._plan[key] = (scheds, index, bases)
        self.base_lrs = list(self._plan["lr"][2]) if "lr" in self._plan else [read_lr(g["lr"]) for g in groups]
        self._blend = None
        self._build_writes()
        self._apply()

    # -- the hot path ------------------------------------------------------------------------------------------
    @property
    def _blend(self) -> tuple[int, int, dict[str, list[float]]] | None:
        """The resume blend in progress: (first step, updates, offsets per hyperparameter and group)."""
        return self.__blend

    @_blend.setter
    def _blend(self, value: tuple[int, int, dict[str, list[float]]] | None) -> None:
        self.__blend = value
        # the hot path is taken from this step on (a blend never applies before its start)
        self._blend_end = -1 if value is None else value[0] + value[1]

    def _build_writes(self) -> None:
        """Flatten the plan into one list of writes, so that ``step()`` is a loop over plain tuples. The writes
        hold the group dicts themselves; ``optimizer.load_state_dict`` (which Accelerate's ``prepare`` and every
        resume call) replaces them, and ``_apply`` then builds the writes again."""
        groups = self._groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise RampupError(f"Scheduler: the optimizer now has {len(groups)} param groups, the scheduler was "
                              f"built for {len(self.base_lrs)}: build a new scheduler after add_param_group")
        self._scheds: list[Schedule] = []
        writes = []
        for key, (scheds, index, bases) in self._plan.items():
            offset = len(self._scheds)
            self._scheds.extend(scheds)
            for g, (group, i, base) in enumerate(zip(groups, index, bases, strict=True)):
                kind = _BETA1 if key == "beta1" else _BETA2 if key == "beta2" else (
                    _TENSOR if isinstance(group[key], torch.Tensor) else _PLAIN)
                writes.append((group, "betas" if key in _BETA else key, base, offset + i, kind, key, g))
        self._writes = writes
        plain = all(w[4] == _PLAIN for w in writes)
        # one schedule for every write (the common case): look its factor up once and multiply
        self._single = [(w[0], w[1], w[2]) for w in writes] if plain and len(self._scheds) == 1 else None
        self._plain = [(w[0], w[1], w[2], w[3]) for w in writes] if plain else None
        self._evals = [scalar_function(s) for s in self._scheds]
        self._first = self._evals[0]

    def __getstate__(self) -> dict[str, Any]:
        # the evaluators are closures: a copy (pickle, deepcopy) binds its own from the schedules
        state = self.__dict__.copy()
        del state["_evals"], state["_first"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._evals = [scalar_function(s) for s in self._scheds]
        self._first = self._evals[0]

    def _apply(self) -> None:
        t = self.last_epoch
        if t >= self._blend_end and self.optimizer.param_groups is self._groups:
            single = self._single
            if single is not None:
                f = self._first(t)
                for group, key, base in single:
                    group[key] = base * f
                return
        elif self.optimizer.param_groups is not self._groups:
            self._build_writes()
        vals = [f(t) for f in self._evals]
        blend = self._blend
        if blend is None or t >= blend[0] + blend[1] or t < blend[0]:
            plain = self._plain
            if plain is not None:
                for group, key, base, i in plain:
                    group[key] = base * vals[i]
                return
            ramp = 0.0
        else:
            ramp = 1.0 - (t - blend[0]) / blend[1]
        for group, key, base, i, kind, hp, g in self._writes:
            f = vals[i]
            offsets = blend[2].get(hp) if ramp and blend is not None else None
            if offsets:
                f = max(0.0, f + offsets[g] * ramp)
            v = base * f
            if kind == _PLAIN:
                group[key] = v
            elif kind == _TENSOR:
                group[key].fill_(v)
            else:
                b = group[key]
                group[key] = (v, b[1]) if kind == _BETA1 else (b[0], v)

    def step(self, epoch: int | None = None) -> None:
        """Advance the clock and set the values for the next update.

        With ``count="updates"`` the clock moves by the number of optimizer updates made since the previous call
        (usually one; zero after a skipped update, so the LR stays). ``step(n)`` jumps to update ``n``.
        """
        if epoch is not None:
            self._jump(epoch)
        else:
            k = self._tick()
            if not k:
                return
            self.last_epoch += k
            self._step_count += 1
        self._apply()

    # -- the torch scheduler protocol --------------------------------------------------------------------------
    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The closed-form LR of each group at the current step (``base * s(step)``, without a resume blend)."""
        return self.values(self.last_epoch)["lr"] if "lr" in self._plan else self.get_last_lr()

    def values(self, step: int) -> dict[str, list[float]]:
        """The planned value of each scheduled hyperparameter for each group at update ``step``.

        Example:
            >>> import torch, rampup.torch
            >>> opt = torch.optim.AdamW([torch.zeros(1, requires_grad=True)], lr=1e-3, weight_decay=0.1)
            >>> s = rampup.torch.Scheduler(opt, "linear_warmup(10)", hparams={"weight_decay": "linear_warmup(10)"})
            >>> s.values(5)
            {'lr': [0.0005], 'weight_decay': [0.05]}
        """
        t = check_int("Scheduler.values", "step", step, 0)
        return {key: [base * scheds[i](t) for i, base in zip(index, bases, strict=True)]
                for key, (scheds, index, bases) in self._plan.items()}

    @property
    def schedules(self) -> dict[str, list[Schedule]]:
        """The resolved schedule of each group, per scheduled hyperparameter."""
        return {key: [scheds[i] for i in index] for key, (scheds, index, _) in self._plan.items()}

    def _plan_repr(self) -> str:
        if list(self._plan) == ["lr"] and len(self._plan["lr"][0]) == 1:
            return repr(self._plan["lr"][0][0].spec())
        return repr({key: [s.spec() for s in scheds] for key, scheds in self.schedules.items()})

    def _preview_hint(self) -> str:
        spec = self._plan["lr"][0][0].spec() if "lr" in self._plan else next(iter(self._plan.values()))[0][0].spec()
        return f"Scheduler.values(step), schedule.values(n) or `rampup show \"{spec}\"`"

    # -- checkpoints -------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The position and the plan in plain types (``torch.load(..., weights_only=True)`` reads it back):
        ``step`` (updates applied), each hyperparameter's distinct schedules as spec strings with the index of
        each group's schedule, and the resume blend in progress, if any."""
        state: dict[str, Any] = {
            "format": self.state_format,
            "step": self.last_epoch,
            "count": self.count,
            "hparams": {key: {"schedules": [s.spec() for s in scheds], "groups": list(index)}
                        for key, (scheds, index, _) in self._plan.items()},
            "blend": None,
        }
        if self._blend is not None:
            start, steps, offsets = self._blend
            state["blend"] = {"start": start, "steps": steps, "offsets": {k: list(v) for k, v in offsets.items()}}
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the position saved by :meth:`state_dict`.

        The saved step is kept. When this scheduler was built with the same schedules, the LR sequence goes on
        exactly as it would have without the checkpoint. When the plan changed (a longer or shorter run, a new
        shape), **the new plan is used from the saved step on, and the LR stays continuous**: if the new plan's
        value at the saved step ``t0`` differs from the saved plan's, the difference ``d`` fades out linearly,
        ``f(t) = new(t) + d * (1 - (t - t0) / B)`` for ``t0 <= t < t0 + B``, with ``B`` from ``replan_blend``
        (``replan_blend=0``: the new plan at once). The blend is part of the state, so resuming during it is
        exact too.
        """
        owner = "Scheduler.load_state_dict"
        state_dict = self._check_state(owner, state_dict)
        t0 = check_int(owner, "step", state_dict["step"], 0)
        self.last_epoch = t0
        self._resync()
        if state_dict["hparams"] == self.state_dict()["hparams"]:  # the same plan: go on exactly, blend and all
            saved = state_dict.get("blend")
            self._blend = None if not saved else (
                int(saved["start"]), int(saved["steps"]), {k: list(v) for k, v in saved["offsets"].items()})
            self._apply()
            return
        n = len(self.optimizer.param_groups)
        old = _saved_factors(owner, state_dict, t0, n)
        offsets: dict[str, list[float]] = {}
        for key, (scheds, index, _) in self._plan.items():
            if key not in old:
                continue
            d = [o - scheds[i](t0) for o, i in zip(old[key], index, strict=True)]
            if any(d):
                offsets[key] = d
        steps = self._blend_steps(t0) if offsets else 0
        self._blend = (t0, steps, offsets) if steps else None
        self._apply()

    @classmethod
    def _init_args(cls, state: Mapping[str, Any]) -> dict[str, Any]:
        hparams = {key: [entry["schedules"][i] for i in entry["groups"]] for key, entry in state["hparams"].items()}
        return {"hparams": hparams, "count": state.get("count", "updates")}

    @classmethod
    def from_state_dict(cls, optimizer: Any, state_dict: Mapping[str, Any], **kwargs: Any) -> Scheduler:
        """A scheduler rebuilt from the plan saved in ``state_dict`` alone, at the saved step.

        Example:
            >>> import torch, rampup.torch
            >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
            >>> a = rampup.torch.Scheduler(opt, "linear_warmup(4)")
            >>> a.step(3)
            >>> b = rampup.torch.Scheduler.from_state_dict(opt, a.state_dict())
            >>> b.last_epoch, b.get_last_lr()
            (3, [0.75])
        """
        sched: Scheduler = super().from_state_dict(optimizer, state_dict, **kwargs)
        return sched

    def _blend_steps(self, t0: int) -> int:
        b = self._replan_blend
        if isinstance(b, int):
            return b
        lengths = [s.length for s in self._scheds]
        span = 0
        if all(n is not None for n in lengths):
            span = max(n for n in lengths if n is not None) - t0
        return max(1, math.ceil(b * (span if span > 0 else max(t0, 1))))


def _check_blend(value: Any) -> int | float:
    """Whole updates (int) or a fraction of the remaining updates (float, from a percentage)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        try:
            d = Duration.parse(value)
        except RampupError:
            d = None
        if isinstance(d, int):
            return d
        if isinstance(d, Duration) and d.unit == "percent" and 0 < d.value <= 100:
            return d.value / 100
    raise RampupError(f"Scheduler: replan_blend must be a whole number of updates >= 0 or a percentage such as "
                      f"'10%', got {value!r}")


def _per_group(owner: str, key: str, spec: Any, groups: list[dict[str, Any]],
               budget: Budget | None) -> tuple[list[Schedule], list[int]]:
    """The distinct schedules for ``key`` and the index of each group's one; equal specs share one schedule."""
    n = len(groups)
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise RampupError(f"{owner}: {len(spec)} {key} schedules for {n} param groups: give one per group "
                              f"(or one for all), got {list(spec)!r}")
        items = [(f"the {key} schedule of param group {i}", s) for i, s in enumerate(spec)]
    elif isinstance(spec, Mapping) and "type" not in spec:
        names = [g.get("name") for g in groups]
        unknown = [k for k in spec if k != "*" and k not in names]
        if unknown:
            raise RampupError(f"{owner}: {key} schedules name param groups {unknown!r} that the optimizer does not "
                              f"have; its group names are {names!r}")
        items = []
        for i, name in enumerate(names):
            if name in spec:
                items.append((f"the {key} schedule of param group {name!r}", spec[name]))
            elif "*" in spec:
                items.append((f"the {key} schedule '*'", spec["*"]))
            else:
                raise RampupError(f"{owner}: param group {i} (name {name!r}) has no {key} schedule in "
                                  f"{sorted(map(str, spec))!r}: name it, or add a '*' entry")
    else:
        items = [(f"the {key} schedule", spec)] * n
    distinct: list[Schedule] = []
    index: list[int] = []
    memo: dict[int, Schedule] = {}
    for where, value in items:
        s = memo.get(id(value))
        if s is None:
            s = memo[id(value)] = as_schedule(value, budget, owner=owner, where=where)
        if s not in distinct:
            distinct.append(s)
        index.append(distinct.index(s))
    return distinct, index


def _saved_factors(owner: str, state: Mapping[str, Any], t: int, n: int) -> dict[str, list[float]]:
    """Each saved hyperparameter's factor per group at step ``t``, blend included."""
    out: dict[str, list[float]] = {}
    blend = state.get("blend")
    for key, entry in state["hparams"].items():
        scheds = [parse(spec) for spec in entry["schedules"]]
        index = entry["groups"]
        if len(index) != n:
            raise RampupError(f"{owner}: the state has {len(index)} param groups, the optimizer {n}")
        vals = [scheds[i](t) for i in index]
        if blend and key in blend["offsets"] and blend["start"] <= t < blend["start"] + blend["steps"]:
            ramp = 1.0 - (t - blend["start"]) / blend["steps"]
            vals = [max(0.0, v + d * ramp) for v, d in zip(vals, blend["offsets"][key], strict=False)]
        out[key] = vals
    return out
