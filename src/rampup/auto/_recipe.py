"""One call for the automatic warmup: the multi-step probe says where to start, the online controller ramps from there
at the optimizer rule's pace and backs off when training turns unhealthy."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..core.errors import RampupError
from ..core.schedule import Schedule
from ._online import OnlineWarmup
from ._probe import probe


def auto_warmup(model: Any, optimizer: Any, loss_fn: Callable[[Any, Any], Any], batches: Iterable[Any],
                then: Schedule | str | None = None, *, steps: int = 20, n_batches: int = 3, seed: int = 0,
                growth: float | str = "rule", guard: int | str | None = None, **online: Any) -> OnlineWarmup:
    r"""Probe the model, then return an :class:`OnlineWarmup` that starts where the probe says.

    :func:`probe` with ``steps`` updates per trial finds the start factor ``s`` (the highest rung of the ladder
    ``1, 1/4, 1/16, ...`` of the peak at which ``steps`` trial updates lower the loss, model and optimizer restored
    bit for bit afterwards); the controller then starts at ``s`` and, while training is healthy, grows the factor
    ``f`` geometrically at the optimizer rule's pace (``growth="rule"``):

    .. math:: f_0 = s, \qquad f_{t+1} = \min\bigl(1, f_t (1 + r)\bigr), \qquad
              r = \min\bigl(0.1,\ s^{-1/W} - 1\bigr)

    with ``W`` the warmup length of :func:`rampup.auto.warmup_from_optimizer` (Adam: ``2/(1-beta2)``), backing off
    on loss spikes and gradient-norm outliers. It hands over to ``then`` once the peak has been held for ``guard``
    updates (default ``steps``: the peak is watched for as long as the probe watched its start) with no back-off;
    a back-off during the guard resumes the ramp from below. ``s = 1`` (the peak trains well from the start) means
    no warmup, the guard still watching the first ``guard`` updates.

    The probe reads the first ``steps`` batches of ``batches`` (pass a list, or an iterator you do not train from)
    and costs ``steps`` backward passes per rung tried (at least two rungs); the result is kept as
    ``.probe_result`` (its cost in ``forward_passes`` and ``backward_passes``).

    Args:
        model, optimizer, loss_fn, batches: as in :func:`rampup.auto.probe` (``loss_fn(model, batch) -> loss``).
        then: the schedule after the warmup (default ``constant()``), as in :class:`OnlineWarmup`.
        steps, n_batches, seed: the probe's (see :func:`rampup.auto.probe`).
        growth: the controller's ramp, ``"rule"`` (default) or a rate per healthy update.
        guard: updates (or a duration, ``"10%"``) to hold the peak under watch before the hand-over; default
            ``steps``; 0 hands over on reaching the peak.
        **online: any other :class:`OnlineWarmup` argument (``total_steps``, ``steps_per_epoch``, ``every``, ...).

    Example:
        >>> import torch, rampup.auto
        >>> m = torch.nn.Linear(1, 1, bias=False); _ = torch.nn.init.ones_(m.weight)
        >>> opt = torch.optim.SGD(m.parameters(), lr=3.0)   # on 0.5 w^2 any LR above 2 diverges
        >>> sched = rampup.auto.auto_warmup(m, opt, lambda m, b: 0.5 * (m.weight ** 2).sum(), [None],
        ...                                 n_batches=1, steps=6, total_steps=900)
        >>> sched.start, opt.param_groups[0]["lr"], round(sched.growth, 4)   # SGD rule: 5/90 of 900 = 50 updates
        (0.25, 0.75, 0.0281)

    To resume, build the controller without probing again and load its state (it carries ``start``, ``growth``
    and ``guard``): ``OnlineWarmup(optimizer, then, **online).load_state_dict(state)``.
    """
    if "start" in online:
        raise RampupError("auto_warmup: start comes from the probe; use OnlineWarmup(start=...) to set it yourself")
    result = probe(model, optimizer, loss_fn, batches, n_batches=n_batches, steps=steps, seed=seed)
    sched = OnlineWarmup(optimizer, then, start=result.start, growth=growth,
                         guard=steps if guard is None else guard, **online)
    sched.probe_result = result
    return sched
