"""Helpers shared by the cross-checks: drive a real torch optimizer and compare learning rates step by step.

rampup's convention, used everywhere here: ``step`` = optimizer updates already applied, the first update is
step 0. Each peer module states how its own counter maps to that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

#: the relative tolerance of every float64 cross-check
RTOL = 1e-9

#: how many updates past the end of a run are compared as well
PAST_END = 5


def sgd(lr: float = 0.1, *, adam_beta2: float | None = None) -> Any:
    """A real torch optimizer on one float64 parameter: plain SGD (no momentum, no weight decay), or Adam with
    ``betas=(0.9, adam_beta2)`` for the peers that read beta2 from the optimizer."""
    import torch

    p = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))
    if adam_beta2 is not None:
        return torch.optim.Adam([p], lr=lr, betas=(0.9, adam_beta2))
    return torch.optim.SGD([p], lr=lr)


def scheduler_lrs(make: Callable[[Any], Any], updates: int, base: float) -> np.ndarray:
    """LRs of ``updates`` real SGD updates with ``scheduler.step()`` after each, scheduler = ``make(optimizer)``."""
    opt = sgd(base)
    sched = make(opt)
    return run_torch(opt, sched.step, updates)


def run_torch(optimizer: Any, after_update: Callable[[], None], updates: int) -> np.ndarray:
    """The learning rate in effect at each of ``updates`` real updates: ``param_groups[0]['lr']`` when
    ``optimizer.step()`` is called; ``after_update()`` (the scheduler's step, as the peer documents it) runs after
    each update.

    For plain SGD the parameter is reset to 0 and its gradient is 1 (loss = p), so the update writes exactly
    ``-lr`` into it: the loop checks that the LR read from the param group is the one the update really used.
    """
    import torch

    group = optimizer.param_groups[0]
    (p,) = group["params"]
    plain_sgd = type(optimizer).__name__ == "SGD"
    out = []
    for i in range(updates):
        optimizer.zero_grad()
        if plain_sgd:
            with torch.no_grad():
                p.zero_()
        p.sum().backward()
        lr = float(group["lr"])
        optimizer.step()
        if plain_sgd and float(-p.detach()) != lr:
            raise AssertionError(f"update {i}: param group says lr={lr!r}, the update applied {float(-p)!r}")
        out.append(lr)
        after_update()
    return np.array(out, dtype=np.float64)


def rampup_values(schedule: Any, steps: Sequence[int] | np.ndarray) -> np.ndarray:
    """rampup's factors at ``steps`` through the scalar path (Python ints), after checking that the vectorised
    numpy path gives the same numbers."""
    steps = np.asarray(steps)
    scalar = np.array([schedule(int(t)) for t in steps], dtype=np.float64)
    vector = np.asarray(schedule(steps.astype(np.float64)), dtype=np.float64)
    assert_close(vector, scalar, what=f"{schedule!r}: numpy path vs scalar path", rtol=1e-12)
    return scalar


def assert_close(got: Any, expected: Any, *, what: str, rtol: float = RTOL, atol: float = 0.0,
                 steps: Sequence[int] | np.ndarray | None = None) -> None:
    """Element-wise ``|got - expected| <= max(atol, rtol * max(|got|, |expected|))`` (math.isclose), with a
    message that names every failing step (the first ten) with both values."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        raise AssertionError(f"{what}: shape {got.shape} vs {expected.shape}")
    diff = np.abs(got - expected)
    ok = diff <= np.maximum(atol, rtol * np.maximum(np.abs(got), np.abs(expected)))
    if not ok.all():
        idx = np.flatnonzero(~ok)
        at = np.arange(got.size) if steps is None else np.asarray(steps)
        rows = "\n".join(
            f"  step {int(at[i])}: expected (peer) {float(expected[i])!r}, got (rampup) {float(got[i])!r}, "
            f"relative difference {max_rel(got[i], expected[i]):.3g}"
            for i in idx[:10]
        )
        raise AssertionError(f"{what}: {idx.size} of {got.size} steps differ (rtol={rtol}, atol={atol})\n{rows}")


def max_rel(a: Any, b: Any) -> float:
    """The largest relative difference between two arrays (0 where both are 0)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = np.maximum(np.abs(a), np.abs(b))
    rel = np.divide(np.abs(a - b), scale, out=np.zeros_like(scale), where=scale > 0)
    return float(rel.max(initial=0.0))
