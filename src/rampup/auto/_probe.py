"""A probe before training: how far can the LR go now, measured along the optimizer's real first update."""

from __future__ import annotations

import copy
import math
import random
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .._errors import RampupError
from .._schedule import Schedule
from .._warmup import geometric_warmup, linear_warmup
from ._rules import Explanation

__all__ = ["ProbeResult", "probe"]

_KALRA = "Kalra et al., critical learning rate along the update direction, arXiv 2601.16979"


@dataclass(frozen=True)
class ProbeResult:
    """What :func:`probe` measured, and the warmup it turns that into.

    Attributes:
        critical_scale: the median over batches of the largest multiple ``c`` of the optimizer's (peak) LRs at which
            one update does not raise the loss of its batch.
        critical_lrs: ``critical_scale`` times each param group's peak LR.
        per_batch: ``c`` for each probed batch.
        bounded: True when some batch did not raise its loss even at ``max_scale`` (``c`` is then a lower bound).
        start: the factor of the peak the warmup starts from, ``min(1, safety * critical_scale)``.
        warmup: ``geometric_warmup(W, start=start)`` (or ``linear_warmup(0)``: no warmup needed).
        forward_passes, backward_passes: what the probe cost.
        explanation: the rule, its inputs and a sentence.
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


def probe(model: Any, optimizer: Any, loss_fn: Callable[[Any, Any], Any], batches: Iterable[Any], *,
          n_batches: int = 3, safety: float = 0.5, doubling: float = 16.0, max_scale: float = 64.0,
          min_scale: float = 1.0 / 1024, bisections: int = 4, seed: int = 0) -> ProbeResult:
    r"""Measure the critical LR along the optimizer's real update direction and turn it into a warmup.

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
    updates. When :math:`s = 1` the peak is safe now: ``linear_warmup(0)``.

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
        safety: the fraction of the critical LR to start from.
        doubling: updates per doubling of the LR during the warmup.
        max_scale, min_scale: the range of ``c`` searched.
        bisections: bisection steps after bracketing.
        seed: the seed of the dropout masks used during the probe.

    Returns:
        A :class:`ProbeResult`, with the forward and backward passes it cost: per batch 1 backward, and
        1 + (bracketing trials) + ``bisections`` forward passes.

    Example:
        >>> import torch
        >>> from rampup.auto import probe
        >>> w = torch.nn.Parameter(torch.tensor([1.0]))
        >>> model = torch.nn.Module(); model.w = w
        >>> opt = torch.optim.SGD([w], lr=0.1)
        >>> r = probe(model, opt, lambda m, b: 0.5 * 40.0 * (m.w ** 2).sum(), [None], n_batches=1, bisections=8)
        >>> round(r.critical_lrs[0], 3)   # 2 / h = 2 / 40
        0.05
        >>> r.warmup, r.forward_passes, r.backward_passes
        (geometric_warmup(32, start=0.25), 11, 1)
    """
    import torch

    owner = "probe"
    if not isinstance(model, torch.nn.Module):
        raise RampupError(f"{owner}: model must be a torch.nn.Module, got {model!r}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise RampupError(f"{owner}: optimizer must be a torch.optim.Optimizer, got {optimizer!r}")
    if not callable(loss_fn):
        raise RampupError(f"{owner}: loss_fn must be callable as loss_fn(model, batch), got {loss_fn!r}")
    _check_int(owner, "n_batches", n_batches, 1)
    _check_int(owner, "bisections", bisections, 0)
    _check_int(owner, "seed", seed, 0)
    for name, value, lo, hi in (("safety", safety, 0.0, 1.0), ("doubling", doubling, 0.0, math.inf),
                                ("max_scale", max_scale, 1.0, math.inf), ("min_scale", min_scale, 0.0, 1.0)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or not (lo < value <= hi if name != "max_scale" else lo <= value < hi):
            raise RampupError(f"{owner}: {name} must be a finite number in ({lo:g}, {hi:g}], got {value!r}")

    taken = []
    for b in batches:
        taken.append(b)
        if len(taken) == n_batches:
            break
    if not taken:
        raise RampupError(f"{owner}: batches gave no batch")

    peaks = [_peak(owner, g, i) for i, g in enumerate(optimizer.param_groups)]
    params = [p for g in optimizer.param_groups for p in g["params"]]
    saved = _Saved(model, params)
    counts = [0, 0]  # forward, backward

    def loss_at(batch: Any, i: int) -> Any:
        with torch.random.fork_rng(devices=_devices(torch)):
            torch.manual_seed(seed + i)
            counts[0] += 1
            return loss_fn(model, batch)

    per_batch: list[float] = []
    bounded = False
    try:
        model.train()
        for i, batch in enumerate(taken):
            with torch.no_grad():  # every batch starts from the real parameters and optimizer state
                for p, p0 in zip(params, saved.params):
                    p.copy_(p0)
                    p.grad = None
            clone = _clone(owner, optimizer, peaks)
            loss0 = loss_at(batch, i)
            l0 = _value(owner, loss0)
            loss0.backward()
            counts[1] += 1
            with torch.no_grad():
                clone.step()
                delta = [p.detach() - p0 for p, p0 in zip(params, saved.params)]

            def rises(c: float) -> bool:
                with torch.no_grad():
                    for p, p0, d in zip(params, saved.params, delta):
                        p.copy_(p0 + c * d)
                    value = float(loss_at(batch, i))
                return not value <= l0  # a NaN loss counts as a rise

            c, hit = _line_search(rises, min_scale, max_scale, bisections)
            bounded = bounded or hit
            per_batch.append(c)
    finally:
        saved.restore()

    crit = float(statistics.median(per_batch))
    start = min(1.0, safety * crit)
    if start >= 1.0:
        warm: Schedule = linear_warmup(0)
        what = "the peak is below the safe fraction of it: no warmup"
    else:
        warm = geometric_warmup(max(1, math.ceil(doubling * math.log2(1.0 / start))), start=start)
        what = (f"start at {start:.3g} x peak (safety {safety:g} x critical) and double every {doubling:g} "
                f"updates: {warm.length} updates")
    lrs = tuple(crit * p for p in peaks)
    sentence = (f"one update at {crit:.3g} x the peak LR (critical LR {lrs[0]:.3g}{' or more' if bounded else ''}) "
                f"is the most that does not raise the loss on {len(per_batch)} batches; {what}")
    why = Explanation("probe-critical-lr", {"critical_scale": crit, "peak_lrs": peaks, "safety": safety,
                                            "doubling": doubling, "batches": len(per_batch)}, sentence, _KALRA)
    return ProbeResult(crit, lrs, tuple(per_batch), bounded, start, warm, counts[0], counts[1], why)


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
        self.tensors = list(model.parameters()) + [b for b in model.buffers()]
        seen = {id(t) for t in self.tensors}
        self.tensors += [p for p in params if id(p) not in seen]
        self.copies = [t.detach().clone() for t in self.tensors]
        index = {id(t): i for i, t in enumerate(self.tensors)}
        self.params = [self.copies[index[id(p)]] for p in params]
        self.grads = [(p, p.grad) for p in self.tensors if isinstance(p, torch.nn.Parameter) or p.requires_grad]
        self.training = [(m, m.training) for m in model.modules()]
        self.rng = (torch.get_rng_state(), np.random.get_state(), random.getstate())
        self.cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() \
            else None

    def restore(self) -> None:
        import numpy as np
        import torch

        with torch.no_grad():
            for t, c in zip(self.tensors, self.copies):
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
    groups = [{k: v for k, v in g.items()} for g in optimizer.param_groups]
    try:
        clone = type(optimizer)(groups)
        clone.load_state_dict(copy.deepcopy(optimizer.state_dict()))
    except Exception as e:  # any constructor signature may fail: say what and why
        raise RampupError(f"{owner}: cannot copy the optimizer {type(optimizer).__name__} to take a trial step "
                          f"({type(e).__name__}: {e})") from None
    for g, lr in zip(clone.param_groups, peaks):
        g["lr"] = lr
    return clone


def _peak(owner: str, group: dict[str, Any], i: int) -> float:
    v = group.get("initial_lr", group.get("lr"))
    v = float(v.item()) if hasattr(v, "item") else v
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise RampupError(f"{owner}: the peak LR of param group {i} must be a finite number > 0, got {v!r}")
    return float(v)


def _value(owner: str, loss: Any) -> float:
    import torch

    if not isinstance(loss, torch.Tensor) or loss.numel() != 1 or not loss.requires_grad:
        raise RampupError(f"{owner}: loss_fn must return a scalar tensor with grad, got {loss!r}")
    v = float(loss.detach())
    if not math.isfinite(v):
        raise RampupError(f"{owner}: the loss at the current parameters is {v!r}; nothing to probe")
    return v


def _devices(torch: Any) -> list[int]:
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() and torch.cuda.is_initialized() \
        else []


def _check_int(owner: str, name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise RampupError(f"{owner}: {name} must be a whole number >= {low}, got {value!r}")
