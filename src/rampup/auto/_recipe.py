"""One call for the automatic warmup: the ladder probe says where to start, the online controller ramps from there at
a pace chosen from what the probe and the optimizer show, and backs off when training turns unhealthy."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from ..core.errors import RampupError
from ..core.schedule import Schedule
from ..core.units import Budget
from ..core.validate import check_int, check_number
from ._online import OnlineSettings, OnlineWarmup
from ._probe import ProbeResult, ladder_probe

__all__ = ["PACE_HORIZONS", "auto_pace", "auto_warmup"]

#: the ramp climbs one rung of the probe's ladder in at most this many probe horizons (``steps`` updates each)
PACE_HORIZONS = 5
#: the fastest pace, the controller's default: a ramp faster than this outruns the history it needs to back off
MAX_PACE = 0.1


def auto_pace(optimizer: Any, result: ProbeResult, *, steps_per_epoch: int | None = None) -> tuple[float, str]:
    r"""The growth rate per healthy update :func:`auto_warmup` ramps at, and the sentence that explains it.

    From what the probe and the optimizer show, never from the run's length:

    .. math:: W = \min\bigl(W_{\mathrm{opt}},\ 5\,k\,i\bigr), \qquad r = \min\bigl(0.1,\ s^{-1/W} - 1\bigr)

    with ``s`` the probe's start (rung ``i`` of the ladder, :math:`s = \mathrm{ladder}^{-i}`), ``k`` its updates
    per trial (the horizon over which it saw each rung train well) and :math:`W_{\mathrm{opt}}` the optimizer's
    own warmup length where it has one that does not depend on ``total_steps``: the Adam family's
    :math:`2/(1-\beta_2)` (Ma & Yarats; the longest over the param groups), SGD's 5 epochs when
    ``steps_per_epoch`` is known (Goyal et al.). Without one (RMSprop, RAdam, SGD without ``steps_per_epoch``)
    :math:`W = 5ki`. So the ramp follows the optimizer's rule but climbs each rung of the ladder in at most
    :data:`PACE_HORIZONS` (5) of the probe's horizons: a rule far longer than what the probe saw train well
    (Adam's ``beta2 = 0.999``: 2000 updates) does not hold the LR far below a peak the probe found reachable;
    and never faster than 0.1 per update (:data:`MAX_PACE`, the controller's default), since a faster ramp reaches
    the peak before the controller has the history to back off. :math:`r` is continuous in :math:`\beta_2` and
    ``k``; it does not depend on ``total_steps``, so the same model and data told 600 or 2400 updates warm up
    alike. ``s = 1`` (no warmup needed): ``r = 0.1``, used only to climb back after a back-off.

    Example:
        >>> import torch
        >>> from rampup.auto import auto_pace, ladder_probe
        >>> w = torch.nn.Parameter(torch.tensor([1.0])); m = torch.nn.Module(); m.w = w
        >>> opt = torch.optim.Adam([w], lr=1.0, betas=(0.9, 0.98))   # the rule: 2 / (1 - 0.98) = 100 updates
        >>> r = ladder_probe(m, opt, lambda m, b: (m.w ** 2).sum(), [None], n_batches=1, steps=20)
        >>> r.start                          # the highest rung where 20 updates lower w^2, no less than below
        0.0625
        >>> rate, why = auto_pace(opt, r)    # W = min(99, 5 * 20 * 2) = 99: 0.0625 (1 + r)^99 = 1
        >>> round(rate, 5), round(0.0625 * (1 + rate) ** 99, 12)
        (0.0284, 1.0)
    """
    s = result.start
    k = result.steps
    if s >= 1.0:
        return MAX_PACE, (f"the probe found the peak trains well from the first update: no ramp; growth "
                          f"{MAX_PACE:g}, the default, only to climb back after a back-off")
    ladder = float(result.explanation.inputs.get("ladder", 4.0))
    rungs = max(1, round(math.log(1.0 / s) / math.log(ladder)))
    horizon = PACE_HORIZONS * k * rungs
    w_opt, rule = _optimizer_length(optimizer, steps_per_epoch)
    w = horizon if w_opt is None or w_opt < 1 else min(w_opt, horizon)
    rate = s ** (-1.0 / w) - 1.0
    why = (f"{rule}; the probe saw each rung (x{ladder:g}) train well over {k} updates, so the ramp climbs its "
           f"{rungs} rung{'s' if rungs > 1 else ''} in at most {PACE_HORIZONS} x {k} updates each = {horizon}; "
           f"W = {w} updates from start {s:.3g}: growth {rate:.4g} per healthy update (total_steps plays no part)")
    if rate > MAX_PACE:
        return MAX_PACE, why + f", faster than the default {MAX_PACE:g}: growth {MAX_PACE:g}"
    return rate, why


def _optimizer_length(optimizer: Any, steps_per_epoch: int | None) -> tuple[int | None, str]:
    """The optimizer's own warmup length that needs no ``total_steps`` (the longest over the groups), and what it
    is; ``None`` where it has none."""
    from ._rules import _family, warmup_from_optimizer

    family = _family(optimizer)
    name = type(optimizer).__name__
    if family is None:
        return None, f"{name} has no warmup rule"
    if family == "sgd" and steps_per_epoch is None:
        return None, f"{name}'s rule (5 epochs, Goyal et al.) needs steps_per_epoch"
    choice = warmup_from_optimizer(optimizer, steps_per_epoch=steps_per_epoch)
    lengths = [n for n in (sch.length for sch in choice.schedules) if n is not None]
    if not lengths:
        return None, f"{name}'s rule gives no length"
    w = max(lengths)
    return w, f"{choice.explanations[0].rule}: the optimizer's own warmup is {w} updates"


def auto_warmup(model: Any, optimizer: Any, loss_fn: Callable[[Any, Any], Any], batches: Iterable[Any],
                then: Schedule | str | None = None, *, steps: int = 20, n_batches: int = 3, seed: int = 0,
                growth: float | str = "auto", guard: int | str | None = None, total_steps: int | None = None,
                steps_per_epoch: int | None = None, budget: Budget | None = None, count: str = "updates",
                process_group: Any = None, settings: OnlineSettings | None = None) -> OnlineWarmup:
    r"""Probe the model, then return an :class:`OnlineWarmup` that starts where the probe says.

    :func:`ladder_probe` with ``steps`` updates per trial finds the start factor ``s`` (the highest rung of the
    ladder ``1, 1/4, 1/16, ...`` of the peak at which ``steps`` trial updates lower the loss, model and optimizer
    restored bit for bit afterwards); the controller then starts at ``s`` and, while training is healthy, grows
    the factor ``f`` geometrically at the pace of :func:`auto_pace` (``growth="auto"``):

    .. math:: f_0 = s, \qquad f_{t+1} = \min\bigl(1, f_t (1 + r)\bigr), \qquad
              r = \min\bigl(0.1,\ s^{-1/W} - 1\bigr), \qquad W = \min(W_{\mathrm{opt}}, 5\,k\,i)

    (:math:`W_{\mathrm{opt}}` the optimizer's own warmup length, Adam: ``2/(1-beta2)``; ``k = steps``; ``i`` the
    probe's rung), backing off on loss spikes and gradient-norm outliers. It hands over to ``then`` once the peak
    has been held for ``guard`` updates (default ``steps``: the peak is watched for as long as the probe watched its
    start) with no back-off; a back-off during the guard resumes the ramp from below. ``s = 1`` (the peak trains
    well from the start) means no warmup, the guard still watching the first ``guard`` updates. Neither the start
    nor the pace depends on ``total_steps``, which only sizes ``then``.

    The probe reads the first ``steps`` batches of ``batches`` (pass a list, or an iterator you do not train from)
    and costs ``steps`` backward passes per rung tried (at least two rungs); the result is kept as
    ``.probe_result`` (its cost in ``forward_passes`` and ``backward_passes``), the pace's reason as
    ``.growth_rule``.

    Args:
        model, optimizer, loss_fn, batches: as in :func:`rampup.auto.ladder_probe` (``loss_fn(model, batch)``).
        then: the schedule after the warmup (default ``constant()``), as in :class:`OnlineWarmup`.
        steps, n_batches, seed: the probe's (see :func:`rampup.auto.ladder_probe`).
        growth: the controller's pace: ``"auto"`` (default, :func:`auto_pace`), ``"rule"`` (the optimizer rule's
            length for this budget, as in :class:`OnlineWarmup`) or a rate per healthy update.
        guard: updates (or a duration, ``"10%"``) to hold the peak under watch before the hand-over; default
            ``steps``; 0 hands over on reaching the peak.
        total_steps, steps_per_epoch, budget, count, process_group, settings: as in :class:`OnlineWarmup`.

    Example:
        >>> import torch, rampup.auto
        >>> m = torch.nn.Linear(1, 1, bias=False); _ = torch.nn.init.ones_(m.weight)
        >>> opt = torch.optim.SGD(m.parameters(), lr=3.0)   # on 0.5 w^2 any LR above 2 diverges
        >>> sched = rampup.auto.auto_warmup(m, opt, lambda m, b: 0.5 * (m.weight ** 2).sum(), [None],
        ...                                 n_batches=1, steps=6, total_steps=900)
        >>> sched.start, opt.param_groups[0]["lr"]   # the probe's rung: 1/4 of the peak
        (0.25, 0.75)
        >>> round(sched.growth, 4), round(0.25 ** (-1 / 30) - 1, 4)   # SGD, no steps_per_epoch: W = 5 * 6 * 1
        (0.0473, 0.0473)

    To resume, build the controller without probing again and load its state (it carries ``start``, ``growth``
    and ``guard``): ``OnlineWarmup(optimizer, then, total_steps=...).load_state_dict(state)``.
    """
    from ..torch.base import unwrap_optimizer

    owner = "auto_warmup"
    optimizer = unwrap_optimizer(optimizer, owner)
    check_int(owner, "steps", steps, 1)
    if isinstance(growth, str) and growth not in ("auto", "rule"):
        raise RampupError(f"{owner}: growth must be 'auto', 'rule' or a number in (0, 1], got {growth!r}")
    if not isinstance(growth, str):
        check_number(owner, "growth", growth, 0.0, 1.0, lo_open=True)
    result = ladder_probe(model, optimizer, loss_fn, batches, n_batches=n_batches, steps=steps, seed=seed)
    why: str | None = None
    if growth == "auto":
        growth, why = auto_pace(optimizer, result, steps_per_epoch=steps_per_epoch)
    sched = OnlineWarmup(optimizer, then, total_steps=total_steps, steps_per_epoch=steps_per_epoch, budget=budget,
                         start=result.start, growth=growth, guard=steps if guard is None else guard, count=count,
                         process_group=process_group, settings=settings)
    if why is not None:
        sched.growth_rule = why
    sched.probe_result = result
    return sched
