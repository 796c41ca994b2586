"""A probe before training from the curvature: the top eigenvalue of the (preconditioned) Hessian by power
iteration, against the optimizer's edge of stability."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from typing import Any

from ..core.errors import RampupError
from ..core.validate import check_int, check_number
from ._probe import ProbeResult, _check_inputs, _devices, _doubling_warmup, _peak, _Saved, _take, _value
from ._rules import Explanation

__all__ = ["sharpness_probe"]

_COHEN = ("Cohen et al., edge of stability: 2/eta for GD (arXiv 2103.00065), (2 + 2 beta1) / ((1 - beta1) eta) for "
          "the preconditioned sharpness of Adam (arXiv 2207.14484)")
_ADAM = ("Adam", "AdamW", "NAdam", "Adamax")


def _threshold(owner: str, optimizer: Any, group: dict[str, Any]) -> tuple[float, str]:
    """``K`` with the update stable along a direction of curvature ``lam`` iff ``eta * lam < K`` (the
    preconditioned curvature for Adam), for this param group's hyperparameters."""
    import torch

    if isinstance(optimizer, torch.optim.SGD):
        beta = float(group.get("momentum", 0.0) or 0.0)
        damp = float(group.get("dampening", 0.0) or 0.0)
        if group.get("nesterov", False):
            return 2 * (1 + beta) / (1 + 2 * beta), f"SGD, Nesterov momentum {beta:g}: 2(1+b)/(1+2b)"
        if beta == 0.0:
            return 2.0, "SGD: 2"
        return 2 * (1 + beta) / (1 - damp), f"SGD, momentum {beta:g}, dampening {damp:g}: 2(1+b)/(1-d)"
    if type(optimizer).__name__ in _ADAM:
        b1 = float(group["betas"][0])
        return (2 + 2 * b1) / (1 - b1), f"{type(optimizer).__name__}, beta1 {b1:g}: (2+2b1)/(1-b1)"
    raise RampupError(f"{owner}: no edge-of-stability threshold for {type(optimizer).__name__}; use "
                      f"ladder_probe(...) or critical_lr_probe(...) (any optimizer) instead")


def _power(apply: Callable[[list[Any]], list[Any]], v: list[Any], iters: int, tol: float, shift: float) -> float:
    """The dominant eigenvalue of ``A - shift I`` by power iteration (Rayleigh quotients), plus ``shift``: with
    ``shift`` the most negative eigenvalue, the most positive one. NaN when the products are not finite."""
    lam = math.nan
    for _ in range(iters):
        norm = math.sqrt(math.fsum(float((x * x).sum()) for x in v))
        if not math.isfinite(norm) or norm == 0.0:
            return lam if norm == 0.0 else math.nan
        v = [x / norm for x in v]
        av = [a - shift * x for a, x in zip(apply(v), v, strict=True)]
        new = math.fsum(float((x * a).sum()) for x, a in zip(v, av, strict=True))  # Rayleigh quotient, |v| = 1
        # converged when the eigenvalue sought (new + shift, not the shifted one) changes by less than tol
        done = math.isfinite(lam) and abs(new - lam) <= tol * abs(new + shift)
        lam, v = new, av
        if done:
            break
    return lam + shift


def _math_attention(torch: Any) -> Any:
    """A context selecting the math kernel of scaled_dot_product_attention (twice differentiable)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([SDPBackend.MATH])


def _adam_scale(optimizer: Any, p: Any, g: Any, group: dict[str, Any], peak: float) -> Any:
    """``sqrt(peak / P)`` for this parameter, ``P`` the denominator of Adam's coming update with gradient ``g``:
    ``sqrt(v_hat) + eps`` (Adam, AdamW, NAdam; the running maximum with amsgrad) or ``u`` (Adamax), from the
    optimizer's state as it is (nothing is stepped)."""
    st = optimizer.state.get(p, {})
    b2 = group["betas"][1]
    step = float(st["step"]) + 1 if "step" in st else 1.0
    if type(optimizer).__name__ == "Adamax":
        u = st["exp_inf"] * b2 if "exp_inf" in st else g.new_zeros(g.shape)
        denom = u.maximum(g.abs() + group["eps"])
    else:
        v = st["exp_avg_sq"] * b2 + (1 - b2) * g * g if "exp_avg_sq" in st else (1 - b2) * g * g
        if group.get("amsgrad") and "max_exp_avg_sq" in st:
            v = v.maximum(st["max_exp_avg_sq"])
        denom = (v / (1 - b2 ** step)).sqrt() + group["eps"]
    return (peak / denom).sqrt()


def _hessian_product(owner: str, grads: list[Any], params: list[Any], scale: list[Any],
                     counts: list[int]) -> Callable[[list[Any]], list[Any]]:
    """``v -> S H S v`` over ``params``, from their ``grads`` (with the graph kept) and the scaling ``S``; each
    product is counted as a backward pass in ``counts[1]``."""
    import torch

    def apply(v: list[Any]) -> list[Any]:
        sv = [s * x for s, x in zip(scale, v, strict=True)]
        try:
            hv = torch.autograd.grad(grads, params, grad_outputs=sv, retain_graph=True, allow_unused=True)
        except RuntimeError as e:
            raise RampupError(f"{owner}: a Hessian-vector product needs the second derivative of every op in the "
                              f"loss, and torch has none for one of them ({e}); use critical_lr_probe(...) or "
                              f"ladder_probe(...)") from None
        counts[1] += 1
        return [s * (torch.zeros_like(x) if h is None else h.detach()) for s, x, h in zip(scale, v, hv, strict=True)]

    return apply


def _start_vector(params: list[Any], used: list[int], gen: Any) -> list[Any]:
    """A random start for power iteration over the parameters ``used``, drawn from ``gen``."""
    import torch

    return [torch.randn(params[j].shape, generator=gen, dtype=params[j].dtype).to(params[j].device) for j in used]


def sharpness_probe(model: Any, optimizer: Any, loss_fn: Callable[[Any, Any], Any], batches: Iterable[Any], *,
                    n_batches: int = 1, iters: int = 20, tol: float = 1e-3, safety: float = 0.5,
                    doubling: float = 16.0, seed: int = 0) -> ProbeResult:
    r"""The largest LR the optimizer can take now, from the top eigenvalue of the Hessian, and a warmup toward the peak.

    For each of ``n_batches`` batches, power iteration with Hessian-vector products (double backward) finds the top
    eigenvalue :math:`\lambda` of :math:`S H S`, where :math:`S = \mathrm{diag}(\sqrt{\eta_g} P^{-1/2})`:
    :math:`\eta_g` the param group's peak LR and :math:`P` the preconditioner (1 for SGD; for Adam
    :math:`\sqrt{\hat v} + \epsilon` with :math:`\hat v` the bias-corrected second moment the coming update will
    use, these gradients included: at the first update :math:`|g| + \epsilon`). Along that direction the update
    is stable while :math:`c\,\lambda < K` for the common multiple ``c`` of the peaks, with ``K`` the optimizer's
    edge of stability on a quadratic (heavy-ball SGD: :math:`2(1+\beta)/(1-d)`, Nesterov
    :math:`2(1+\beta)/(1+2\beta)`; Adam: :math:`(2+2\beta_1)/(1-\beta_1)` for the preconditioned sharpness,
    Cohen et al.). The critical scale is :math:`c^* = K/\lambda` (median over the
    batches); the warmup is the one of :func:`rampup.auto.critical_lr_probe`:

    .. math:: s = \min(1, \mathrm{safety} \cdot c^*), \qquad W = \lceil \mathrm{doubling} \cdot \log_2(1/s) \rceil

    ``geometric_warmup(W, start=s)``, or ``linear_warmup(0)`` when ``s = 1``. When the dominant eigenvalue is
    negative (a saddle direction dominates), a second power iteration on :math:`A - \lambda_- I` finds the most
    positive one. ``bounded`` is True when no batch has a positive eigenvalue: nothing bounds the LR along the
    curvature, and ``critical_scale`` is ``inf``. Exact for one param group and a shared momentum; with several
    groups the momenta of the first are used.

    Cost: per batch one forward pass, one backward pass with the graph kept, and one Hessian-vector product (about
    one more backward pass) per iteration, counted as backward passes: ``n_batches * (1 + 2 iters)`` at most
    (power iteration stops early when the eigenvalue changes by less than ``tol``, relative). Model, buffers,
    gradients, optimizer state and RNGs are restored bit for bit, as by :func:`rampup.auto.critical_lr_probe`.

    Example:
        >>> import torch
        >>> from rampup.auto import sharpness_probe
        >>> m = torch.nn.Linear(3, 1, bias=False); _ = torch.nn.init.ones_(m.weight)
        >>> h = torch.tensor([1.0, 10.0, 40.0])               # 0.5 sum h_i w_i^2: the top eigenvalue is 40
        >>> opt = torch.optim.SGD(m.parameters(), lr=0.1)    # GD's edge: 2 / 40 = 0.05, half the peak
        >>> r = sharpness_probe(m, opt, lambda m, b: 0.5 * (h * m.weight[0] ** 2).sum(), [None])
        >>> round(r.sharpness, 3), round(r.critical_lrs[0], 4), round(r.start, 3), r.warmup.length  # tol 1e-3
        (4.0, 0.05, 0.25, 32)
    """
    import torch

    owner = "sharpness_probe"
    optimizer = _check_inputs(owner, model, optimizer, loss_fn)
    check_int(owner, "n_batches", n_batches, 1)
    check_int(owner, "iters", iters, 1)
    check_int(owner, "seed", seed, 0)
    check_number(owner, "tol", tol, 0.0, 1.0, lo_open=True)
    check_number(owner, "safety", safety, 0.0, 1.0, lo_open=True)
    check_number(owner, "doubling", doubling, 0.0, lo_open=True)
    k, k_why = _threshold(owner, optimizer, optimizer.param_groups[0])
    taken = _take(owner, batches, n_batches)

    peaks = [_peak(owner, g, i) for i, g in enumerate(optimizer.param_groups)]
    params = [p for g in optimizer.param_groups for p in g["params"]]
    group_of = [i for i, g in enumerate(optimizer.param_groups) for _ in g["params"]]
    adam = "betas" in optimizer.param_groups[0]
    saved = _Saved(model, params)
    counts = [0, 0]
    per_batch: list[float] = []
    lams: list[float] = []
    try:
        model.train()
        for i, batch in enumerate(taken):
            saved.restore()
            model.train()
            for p in params:
                p.grad = None
            # the fused attention kernels have no second derivative: the math one, the same function, has
            with torch.random.fork_rng(devices=_devices(torch)), _math_attention(torch):
                torch.manual_seed(seed + i)
                loss = loss_fn(model, batch)
                counts[0] += 1
                _value(owner, loss)
                grads = torch.autograd.grad(loss, params, create_graph=True, allow_unused=True)
                counts[1] += 1
            if adam:  # the preconditioner of the coming update: the second moment after these gradients
                scale = [None if g is None else _adam_scale(optimizer, p, g.detach(), optimizer.param_groups[gi],
                                                            peaks[gi])
                         for p, g, gi in zip(params, grads, group_of, strict=True)]
            else:
                scale = [torch.full_like(p, math.sqrt(peaks[gi])) for p, gi in zip(params, group_of, strict=True)]
            if all(g is None for g in grads):
                raise RampupError(f"{owner}: the loss does not depend on the optimizer's parameters")
            # a gradient with no graph is constant: its rows of the Hessian are zero
            used = [j for j, (g, s) in enumerate(zip(grads, scale, strict=True))
                    if g is not None and s is not None and g.requires_grad]
            gen = torch.Generator().manual_seed(seed + i)
            if used:
                apply = _hessian_product(owner, [grads[j] for j in used], [params[j] for j in used],
                                         [scale[j] for j in used], counts)
                lam = _power(apply, _start_vector(params, used, gen), iters, tol, 0.0)
                if lam < 0:  # the dominant eigenvalue is negative: the top one is that of A - lam I, plus lam
                    lam = _power(apply, _start_vector(params, used, gen), iters, tol, lam)
                del apply  # the product holds the double-backward graph: free it before the next batch
            else:
                lam = 0.0  # a linear loss: H = 0
            del grads
            if not math.isfinite(lam):
                raise RampupError(f"{owner}: the Hessian-vector products are not finite (batch {i})")
            lams.append(lam)
            per_batch.append(k / lam if lam > 0 else math.inf)
    finally:
        saved.restore()

    crit = float(statistics.median(per_batch))
    bounded = not math.isfinite(crit)
    start = 1.0 if bounded else min(1.0, safety * crit)
    warm, what = _doubling_warmup(start, safety, doubling, "the edge")
    lam = float(statistics.median(lams))
    lrs = tuple(crit * p for p in peaks)
    sentence = (f"the top eigenvalue of the {'preconditioned ' if adam else ''}Hessian scaled by the peak LRs is "
                f"{lam:.4g} (median of {len(lams)} batches); the edge of stability for {k_why} = {k:.4g} puts the "
                f"critical LR at {crit:.3g} x the peak; {what}")
    why = Explanation("probe-sharpness", {"sharpness": lam, "threshold": k, "critical_scale": crit,
                                          "peak_lrs": peaks, "safety": safety, "doubling": doubling,
                                          "batches": len(lams)}, sentence, _COHEN)
    return ProbeResult(crit, lrs, tuple(per_batch), bounded, start, warm, counts[0], counts[1], why,
                       sharpness=lam)
