"""Probes before training: how far the LR can go now, along the optimizer's real first update
(:func:`critical_lr_probe`) or over a few real updates per trial (:func:`ladder_probe`)."""

from __future__ import annotations

import copy
import math
import random
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import RampupError
from ..core.schedule import Schedule
from ..core.validate import check_instance, check_int, check_number, show
from ..core.warmup import geometric_warmup, linear_warmup
from ._rules import Explanation

__all__ = ["ProbeResult", "critical_lr_probe", "ladder_probe"]

_KALRA = "Kalra et al., critical learning rate along the update direction, arXiv 2601.16979"
_SMITH = "Smith, LR range test (short runs at increasing LRs), arXiv 1506.01186"


@dataclass(frozen=True)
class ProbeResult:
    """What a probe (:func:`critical_lr_probe`, :func:`ladder_probe`, :func:`rampup.auto.sharpness_probe`)
    measured, and the warmup it turns that into.

    Attributes:
        critical_scale: the largest multiple of the optimizer's (peak) LRs the probe found safe now: the median over
            batches of the largest scale at which one update does not raise the loss (:func:`critical_lr_probe`),
            the highest rung of the ladder at which ``steps`` updates train well (:func:`ladder_probe`), or the
            edge of stability over the top eigenvalue (:func:`rampup.auto.sharpness_probe`).
        critical_lrs: ``critical_scale`` times each param group's peak LR.
        per_batch: the scale found on each probed batch (empty for :func:`ladder_probe`, which judges all its
            batches together).
        bounded: one meaning for every probe: True when the probe found no limit within what it tried, so that
            ``critical_scale`` is a lower bound of the safe scale: some batch did not raise its loss even at
            ``max_scale`` (:func:`critical_lr_probe`); the top rung, the peak itself, trained well and the ladder
            goes no higher (:func:`ladder_probe`); no positive eigenvalue, ``critical_scale`` is ``inf``
            (:func:`rampup.auto.sharpness_probe`).
        start: the factor of the peak the warmup starts from, in ``(0, 1]``.
        warmup: ``geometric_warmup(W, start=start)`` (or ``linear_warmup(0)``: no warmup needed).
        forward_passes, backward_passes: what the probe cost.
        explanation: the rule, its inputs and a sentence.
        steps: updates per trial (1 for the one-update probes, ``steps`` for :func:`ladder_probe`).
        trials: :func:`ladder_probe` only: ``(scale, loss)`` for each rung tried, the mean loss of the probe batches
            after ``steps`` updates at ``scale`` times the peak (``inf`` when a loss was not finite).
        start_loss: :func:`ladder_probe` only: the mean loss of the probe batches before any update.
        sharpness: :func:`rampup.auto.sharpness_probe` only: the top eigenvalue of the (preconditioned) Hessian
            scaled by the peak LRs (``eta * lambda_max`` for one group).

    Example:
        >>> import torch
        >>> from rampup.auto import ladder_probe
        >>> w = torch.nn.Parameter(torch.tensor([1.0])); m = torch.nn.Module(); m.w = w
        >>> r = ladder_probe(m, torch.optim.SGD([w], lr=0.01), lambda m, b: (m.w ** 2).sum(), [None], n_batches=1,
        ...                  steps=3)
        >>> r.start, r.bounded, r.warmup   # 3 SGD updates at the peak already train well: no warmup
        (1.0, True, linear_warmup(0))
    """

    critical_scale: float
    critical_lrs: tuple[float, ...]
    per_batch: tuple[float, ...]
    bounded: bool
    start: float
    warmup: Schedule
    forward_passes: int
    backward_passes: int
    explanation: Explanation = field(repr=False)
    steps: int = 1
    trials: tuple[tuple[float, float], ...] = ()
    start_loss: float | None = None
    sharpness: float | None = None


def critical_lr_probe(model: Any, optimizer: Any, loss_fn: Callable[[Any, Any], Any], batches: Iterable[Any], *,
                      n_batches: int = 3, safety: float = 0.5, doubling: float = 16.0, max_scale: float = 64.0,
                      min_scale: float = 1.0 / 1024, bisections: int = 4, seed: int = 0) -> ProbeResult:
    r"""The critical LR along the optimizer's real first update, by a line search, turned into a warmup.

    For each of ``n_batches`` batches ``b``: one forward and backward pass at the current parameters
    :math:`\theta_0` gives the loss :math:`L_b(\theta_0)` and the gradients; a copy of the optimizer (same class,
    hyperparameters and state, so momentum buffers and Adam's moments count) takes one step at the param groups'
    peak LRs, giving the update :math:`\Delta` (for SGD :math:`-\eta g`, for Adam's first step about
    :math:`-\eta\,\mathrm{sign}(g)`). A line search over the scale ``c`` then finds

    .. math:: c_b = \max\{c : L_b(\theta_0 + c\,\Delta) \le L_b(\theta_0)\}

    with one forward pass per trial: doubling or halving from ``c = 1`` to bracket it (within
    ``[min_scale, max_scale]``), then ``bisections`` halvings of the bracket in log scale (a relative precision of
    :math:`2^{2^{-k}}`). For the quadratic :math:`\tfrac12 h w^2` and SGD, :math:`c\,\eta = 2/h`. Following
    Kalra et al. (arXiv 2601.16979), this critical LR is what warmup must raise to the peak.

    The warmup rule (assumptions: the loss is locally quadratic along :math:`\Delta`, where :math:`c^*/2` is the best
    step; and the critical LR can rise by a bounded factor per update as training reduces the curvature, as in
    Prodigy's bounded growth): with :math:`c^*` the median of :math:`c_b`,

    .. math:: s = \min(1, \mathrm{safety} \cdot c^*), \qquad
              W = \lceil \mathrm{doubling} \cdot \log_2(1/s) \rceil

    and the warmup is ``geometric_warmup(W, start=s)``: from ``s`` times the peak, doubling every ``doubling``
    updates. When :math:`s = 1` the peak is safe now: ``linear_warmup(0)``. ``bounded`` is True when some batch's
    loss did not rise even at ``max_scale`` (its :math:`c_b`, and maybe :math:`c^*`, is then a lower bound).

    One update cannot see an instability that builds up over tens of updates (a Post-LN transformer falling back
    to its plateau, SGD's momentum growing the step): :func:`ladder_probe` trains each trial for that.

    Nothing is left changed: parameters, buffers (BatchNorm running statistics), gradients, the optimizer's state,
    every module's ``training`` flag and the torch, numpy and Python RNG states are restored bit for bit. Every
    pass runs in training mode with the dropout masks drawn from ``seed`` (the same masks at every trial, so
    trials differ only by the step); the real RNG is untouched.

    Args:
        model: a ``torch.nn.Module``.
        optimizer: its optimizer, built with the peak LR (``initial_lr`` is used when a scheduler set one).
        loss_fn: ``loss_fn(model, batch)`` -> scalar loss tensor.
        batches: an iterable of batches; the first ``n_batches`` are used.
        n_batches: batches to probe.
        safety: the fraction of the critical LR to start from, in ``(0, 1]``.
        doubling: updates per doubling of the LR during the warmup.
        max_scale, min_scale: the range of ``c`` searched.
        bisections: bisection steps after bracketing.
        seed: the seed of the dropout masks used during the probe.

    Returns:
        A :class:`ProbeResult`, with the passes it cost: per batch 1 backward and 1 + (bracketing trials) +
        ``bisections`` forward passes.

    Example:
        >>> import torch
        >>> from rampup.auto import critical_lr_probe
        >>> w = torch.nn.Parameter(torch.tensor([1.0]))
        >>> model = torch.nn.Module(); model.w = w
        >>> opt = torch.optim.SGD([w], lr=0.1)
        >>> r = critical_lr_probe(model, opt, lambda m, b: 0.5 * 40.0 * (m.w ** 2).sum(), [None], n_batches=1,
        ...                       bisections=8)
        >>> round(r.critical_lrs[0], 3)   # 2 / h = 2 / 40
        0.05
        >>> r.warmup, r.forward_passes, r.backward_passes, r.bounded
        (geometric_warmup(32, start=0.25), 11, 1, False)
    """
    import torch

    owner = "critical_lr_probe"
    optimizer = _check_inputs(owner, model, optimizer, loss_fn)
    check_int(owner, "n_batches", n_batches, 1)
    check_int(owner, "bisections", bisections, 0)
    check_int(owner, "seed", seed, 0)
    check_number(owner, "safety", safety, 0.0, 1.0, lo_open=True)
    check_number(owner, "doubling", doubling, 0.0, lo_open=True)
    check_number(owner, "max_scale", max_scale, 1.0)
    check_number(owner, "min_scale", min_scale, 0.0, 1.0, lo_open=True)
    taken = _take(owner, batches, n_batches)

    peaks = [_peak(owner, g, i) for i, g in enumerate(optimizer.param_groups)]
    params = [p for g in optimizer.param_groups for p in g["params"]]
    saved = _Saved(model, params)
    counts = [0, 0]  # forward, backward

    def loss_at(batch: Any, i: int) -> Any:
        with torch.random.fork_rng(devices=_devices(torch)):
            torch.manual_seed(seed + i)
            counts[0] += 1
            return loss_fn(model, batch)

    def rises_along(batch: Any, i: int, l0: float, delta: list[Any]) -> Callable[[float], bool]:
        """Whether one step of ``c`` times ``delta`` from the saved parameters raises ``batch``'s loss above
        ``l0`` (a NaN loss counts as a rise)."""

        def rises(c: float) -> bool:
            with torch.no_grad():
                for p, p0, d in zip(params, saved.params, delta, strict=True):
                    p.copy_(p0 + c * d)
                value = float(loss_at(batch, i))
            return not value <= l0

        return rises

    per_batch: list[float] = []
    bounded = False
    try:
        model.train()
        for i, batch in enumerate(taken):
            with torch.no_grad():  # every batch starts from the real parameters and optimizer state
                for p, p0 in zip(params, saved.params, strict=True):
                    p.copy_(p0)
                    p.grad = None
            clone = _clone(owner, optimizer, peaks)
            loss0 = loss_at(batch, i)
            l0 = _value(owner, loss0)
            loss0.backward()
            counts[1] += 1
            with torch.no_grad():
                clone.step()
                delta = [p.detach() - p0 for p, p0 in zip(params, saved.params, strict=True)]
            c, hit = _line_search(rises_along(batch, i, l0, delta), min_scale, max_scale, bisections)
            bounded = bounded or hit
            per_batch.append(c)
    finally:
        saved.restore()

    crit = float(statistics.median(per_batch))
    start = min(1.0, safety * crit)
    warm, what = _doubling_warmup(start, safety, doubling, "it")
    lrs = tuple(crit * p for p in peaks)
    sentence = (f"one update at {crit:.3g} x the peak LR (critical LR {lrs[0]:.3g}{' or more' if bounded else ''}) "
                f"is the most that does not raise the loss on {len(per_batch)} batches; {what}")
    why = Explanation("probe-critical-lr", {"critical_scale": crit, "peak_lrs": peaks, "safety": safety,
                                            "doubling": doubling, "batches": len(per_batch)}, sentence, _KALRA)
    return ProbeResult(crit, lrs, tuple(per_batch), bounded, start, warm, counts[0], counts[1], why)


def ladder_probe(model: Any, optimizer: Any, loss_fn: Callable[[Any, Any], Any], batches: Iterable[Any], *,
                 steps: int = 20, n_batches: int = 3, ladder: float = 4.0, margin: float = 0.01,
                 min_scale: float = 1.0 / 1024, seed: int = 0) -> ProbeResult:
    r"""The highest LR of a geometric ladder at which ``steps`` real updates train well, turned into a warmup.

    After the LR range test of Smith (arXiv 1506.01186): an instability that builds up over tens of updates (a
    Post-LN transformer falling back to its plateau, SGD's momentum growing the step) is invisible to one step at
    initialisation (:func:`critical_lr_probe`), so each trial trains. The rungs are
    :math:`c_i = \mathrm{ladder}^{-i}` (``1, 1/4, 1/16, ...`` down to ``min_scale``); trial ``i`` trains a copy of
    the optimizer (same state) from the current parameters for ``k = steps`` updates at :math:`c_i` times the peak
    LRs, on the first ``k`` batches (cycled if fewer), and measures :math:`L(c_i)`, the mean loss of the first
    ``n_batches`` batches afterwards (:math:`L_0` before). Going down from the peak, the first rung with

    .. math:: L(c_i) \text{ finite}, \quad L(c_i) \le (1 - \mathrm{margin})\,L_0, \quad
              L(c_i) \le L(c_{i+1})

    is the start ``s = c_i``: ``k`` updates there lower the loss, and no less than at the next rung down (a
    higher LR that ends higher is past the edge, as in the range test). The warmup then climbs one rung per ``k``
    updates, the horizon over which the probe saw each rung below it train well: ``geometric_warmup(k * i,
    start=s)``; ``s = 1`` means no warmup. If no rung qualifies, ``s`` is the lowest rung and the explanation
    says so. ``critical_scale`` is ``s``; ``bounded`` is True when ``s = 1``: the peak itself trained well and the
    ladder goes no higher, so the safe scale may be above it.

    Cost: per rung tried, ``k`` forward and backward passes and ``n_batches`` forward passes, plus ``n_batches``
    forward passes for :math:`L_0`; at least two rungs (the peak is judged against the rung below), so at least
    ``2k`` backward passes. Everything is restored bit for bit as by :func:`critical_lr_probe` (between trials
    too), with the dropout masks drawn from ``seed``.

    Args:
        model, optimizer, loss_fn, batches, seed: as in :func:`critical_lr_probe`.
        steps: updates per trial (``k``); the probe reads the first ``max(steps, n_batches)`` batches.
        n_batches: batches the loss after each trial is measured on.
        ladder: the ratio between rungs, above 1.
        margin: the relative fall of the loss a rung must reach in ``k`` updates, in ``[0, 1)``.
        min_scale: the lowest rung.

    Returns:
        A :class:`ProbeResult` with ``steps``, ``trials`` and ``start_loss`` set.

    Example:
        5 SGD updates on :math:`20 w^2` at 0.1 (the factor 1 - 0.1 * 40 = -3 per update: it diverges), 0.025
        (factor 0: the minimum) and 0.00625 (factor 0.75):

        >>> import torch
        >>> from rampup.auto import ladder_probe
        >>> w = torch.nn.Parameter(torch.tensor([1.0]))
        >>> model = torch.nn.Module(); model.w = w
        >>> opt = torch.optim.SGD([w], lr=0.1)
        >>> r = ladder_probe(model, opt, lambda m, b: 0.5 * 40.0 * (m.w ** 2).sum(), [None], n_batches=1, steps=5)
        >>> r.start, r.warmup, [round(c, 5) for c, loss in r.trials], r.backward_passes, r.bounded
        (0.25, geometric_warmup(5, start=0.25), [1.0, 0.25, 0.0625], 15, False)
    """
    import torch

    owner = "ladder_probe"
    optimizer = _check_inputs(owner, model, optimizer, loss_fn)
    check_int(owner, "steps", steps, 1)
    check_int(owner, "n_batches", n_batches, 1)
    check_int(owner, "seed", seed, 0)
    check_number(owner, "ladder", ladder, 1.0, lo_open=True)
    check_number(owner, "margin", margin, 0.0, 1.0, hi_open=True)
    check_number(owner, "min_scale", min_scale, 0.0, 1.0, lo_open=True)
    taken = _take(owner, batches, max(n_batches, steps))

    peaks = [_peak(owner, g, i) for i, g in enumerate(optimizer.param_groups)]
    params = [p for g in optimizer.param_groups for p in g["params"]]
    saved = _Saved(model, params)
    counts = [0, 0]  # forward, backward
    evals = taken[:n_batches]

    def loss_at(batch: Any, i: int) -> Any:
        with torch.random.fork_rng(devices=_devices(torch)):
            torch.manual_seed(seed + i)  # masks: i < n_batches for the measure, n_batches + j for update j
            counts[0] += 1
            return loss_fn(model, batch)

    def measure() -> float:
        with torch.no_grad():
            values = [float(loss_at(b, i)) for i, b in enumerate(evals)]
        return math.fsum(values) / len(values) if all(math.isfinite(v) for v in values) else math.inf

    def trial(c: float) -> float:
        """The probe batches' mean loss after ``steps`` updates at ``c`` times the peak, from the real state."""
        saved.restore()
        model.train()
        for p in params:
            p.grad = None
        clone = _clone(owner, optimizer, [c * p for p in peaks])
        for j in range(steps):
            for p in params:
                p.grad = None
            loss = loss_at(taken[j % len(taken)], n_batches + j)
            if j == 0:
                _value(owner, loss)
            elif not math.isfinite(float(loss.detach())):
                return math.inf
            loss.backward()
            counts[1] += 1
            clone.step()
        return measure()

    rungs = [1.0]
    while rungs[-1] / ladder >= min_scale:
        rungs.append(rungs[-1] / ladder)
    losses: dict[int, float] = {}
    try:
        model.train()
        first = loss_at(evals[0], 0)
        _value(owner, first)  # a scalar tensor with grad, finite now
        l0 = measure()
        if not math.isfinite(l0):
            raise RampupError(f"{owner}: the mean loss of the probe batches at the current parameters is {l0!r}; "
                              f"nothing to probe")
        chosen = len(rungs) - 1
        for i in range(len(rungs)):
            if i not in losses:
                losses[i] = trial(rungs[i])
            if i + 1 < len(rungs) and i + 1 not in losses:
                losses[i + 1] = trial(rungs[i + 1])
            below = losses[i + 1] if i + 1 < len(rungs) else math.inf
            if math.isfinite(losses[i]) and losses[i] <= (1 - margin) * l0 and losses[i] <= below:
                chosen = i
                break
        healthy = math.isfinite(losses[chosen]) and losses[chosen] <= (1 - margin) * l0
    finally:
        saved.restore()

    start = rungs[chosen]
    trials = tuple((rungs[i], losses[i]) for i in sorted(losses))
    if chosen == 0:
        warm: Schedule = linear_warmup(0)
        what = "the peak itself trains well: no warmup"
    else:
        warm = geometric_warmup(steps * chosen, start=start)
        what = (f"start at {start:.3g} x peak and climb one rung (x{ladder:g}) per {steps} updates: "
                f"{warm.length} updates")
        if not healthy:
            what += f" (no rung lowered the loss by {margin:.0%} in {steps} updates: the lowest one)"
    lrs = tuple(start * p for p in peaks)
    tried = ", ".join(f"{c:.3g}: {v:.4g}" for c, v in trials)
    sentence = (f"{steps} updates from the current weights at each rung (scale of the peak: mean loss after; "
                f"{tried}; before {l0:.4g}); the highest rung that lowers the loss by {margin:.0%} and not less "
                f"than the rung below is {start:.3g} x the peak; {what}")
    why = Explanation("probe-ladder", {"start_scale": start, "peak_lrs": peaks, "steps": steps, "ladder": ladder,
                                       "margin": margin, "batches": len(evals)}, sentence, _SMITH)
    return ProbeResult(start, lrs, (), chosen == 0, start, warm, counts[0], counts[1], why, steps=steps,
                       trials=trials, start_loss=l0)


def _check_inputs(owner: str, model: Any, optimizer: Any, loss_fn: Any) -> Any:
    """The probes' common arguments: a torch module, a torch optimizer (or a wrapper that holds one: Accelerate,
    DeepSpeed, Lightning; the real optimizer is returned), a callable ``loss_fn(model, batch)``."""
    import torch

    from ..torch.base import unwrap_optimizer

    check_instance(owner, "model", model, torch.nn.Module, "a torch.nn.Module")
    real = unwrap_optimizer(optimizer, owner)
    if not callable(loss_fn):
        raise RampupError(f"{owner}: loss_fn must be callable as loss_fn(model, batch), got {show(loss_fn)}")
    return real


def _take(owner: str, batches: Iterable[Any], n: int) -> list[Any]:
    """The first ``n`` batches (fewer if ``batches`` ends sooner, none is an error)."""
    taken: list[Any] = []
    for b in batches:
        taken.append(b)
        if len(taken) == n:
            break
    if not taken:
        raise RampupError(f"{owner}: batches gave no batch")
    return taken


def _doubling_warmup(start: float, safety: float, doubling: float, limit: str) -> tuple[Schedule, str]:
    """The one-step probes' rule: from ``start`` x peak, doubling every ``doubling`` updates
    (``linear_warmup(0)`` when ``start`` is 1), and the phrase that says so; ``limit`` names what ``start`` is a
    safe fraction of."""
    if start >= 1.0:
        return linear_warmup(0), f"the peak is below the safe fraction of {limit}: no warmup"
    warm = geometric_warmup(max(1, math.ceil(doubling * math.log2(1.0 / start))), start=start)
    return warm, (f"start at {start:.3g} x peak (safety {safety:g} x critical) and double every {doubling:g} "
                  f"updates: {warm.length} updates")


def _line_search(rises: Callable[[float], bool], lo_cap: float, hi_cap: float, bisections: int) -> tuple[float, bool]:
    """The largest ``c`` with ``not rises(c)``, bracketed by doubling/halving from 1, then bisected in log scale.
    Returns ``(c, hit_the_upper_cap)``."""
    c = 1.0
    if rises(c):
        hi = c
        while True:
            c = c / 2
            if c < lo_cap:
                return lo_cap, False
            if not rises(c):
                lo = c
                break
            hi = c
    else:
        lo = c
        while True:
            c = c * 2
            if c > hi_cap:
                return lo, True
            if rises(c):
                hi = c
                break
            lo = c
    for _ in range(bisections):
        mid = math.sqrt(lo * hi)
        if rises(mid):
            hi = mid
        else:
            lo = mid
    return lo, False


class _Saved:
    """Everything the probe may touch, copied, to be put back bit for bit."""

    def __init__(self, model: Any, params: list[Any]) -> None:
        import numpy as np
        import torch

        self.model = model
        self.tensors = list(model.parameters()) + list(model.buffers())
        seen = {id(t) for t in self.tensors}
        self.tensors += [p for p in params if id(p) not in seen]
        self.copies = [t.detach().clone() for t in self.tensors]
        index = {id(t): i for i, t in enumerate(self.tensors)}
        self.params = [self.copies[index[id(p)]] for p in params]
        self.grads = [(p, p.grad) for p in self.tensors if isinstance(p, torch.nn.Parameter) or p.requires_grad]
        self.training = [(m, m.training) for m in model.modules()]
        self.rng = (torch.get_rng_state(), np.random.get_state(), random.getstate())
        self.cuda = torch.cuda.get_rng_state_all() if _cuda_in_use(torch) else None

    def restore(self) -> None:
        import numpy as np
        import torch

        with torch.no_grad():
            for t, c in zip(self.tensors, self.copies, strict=True):
                t.copy_(c)
        for p, g in self.grads:
            p.grad = g
        for m, flag in self.training:
            m.training = flag
        torch.set_rng_state(self.rng[0])
        np.random.set_state(self.rng[1])
        random.setstate(self.rng[2])
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)


def _clone(owner: str, optimizer: Any, peaks: list[float]) -> Any:
    """An optimizer of the same class on the same parameters, with a deep copy of the state and the peak LRs: its
    step is the real update, without touching the original's state or firing its step hooks."""
    groups = [dict(g.items()) for g in optimizer.param_groups]
    try:
        clone = type(optimizer)(groups)
        clone.load_state_dict(copy.deepcopy(optimizer.state_dict()))
    except Exception as e:  # any constructor signature may fail: say what and why
        raise RampupError(f"{owner}: cannot copy the optimizer {type(optimizer).__name__} to take a trial step "
                          f"({type(e).__name__}: {e})") from None
    for g, lr in zip(clone.param_groups, peaks, strict=True):
        g["lr"] = lr
    return clone


def _peak(owner: str, group: dict[str, Any], i: int) -> float:
    v: Any = group.get("initial_lr", group.get("lr"))
    v = float(v.item()) if hasattr(v, "item") else v
    return check_number(owner, f"the peak LR of param group {i}", v, 0.0, lo_open=True)


def _value(owner: str, loss: Any) -> float:
    import torch

    if not isinstance(loss, torch.Tensor) or loss.numel() != 1 or not loss.requires_grad:
        raise RampupError(f"{owner}: loss_fn must return a scalar tensor with grad, got {show(loss)}")
    v = float(loss.detach())
    if not math.isfinite(v):
        raise RampupError(f"{owner}: the loss at the current parameters is {v!r}; nothing to probe")
    return v


def _cuda_in_use(torch: Any) -> bool:
    """CUDA is there and initialised (its RNG states exist and are worth saving)."""
    cuda: Any = torch.cuda
    return bool(cuda.is_available() and cuda.is_initialized())


def _devices(torch: Any) -> list[int]:
    return list(range(torch.cuda.device_count())) if _cuda_in_use(torch) else []
