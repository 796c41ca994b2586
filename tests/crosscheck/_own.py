"""Helpers for the ports of the peers' own test cases (``test_own_*.py``).

Each ``test_own_<peer>.py`` takes the configurations and expected numbers that the peer's authors wrote in their
own test files, builds the rampup equivalent that the README's "Coming from another library" table gives, and
checks it through the adapter a user of that peer would use (``rampup.torch.Scheduler`` on a real torch optimizer,
``rampup.optax`` under ``jax.jit``, ``rampup.keras.LRSchedule``), with the peer's own tolerance. Where the peer is
installed, the same configuration also runs through the peer itself.

Every test names, in a comment, the peer's file (its path in the peer's repository) and the test the numbers come
from. ``docs/peers.md`` keeps the tally of cases per peer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def torch_group_lrs(schedule: Any, bases: Sequence[float], updates: int, *,
                    hparams: dict[str, Any] | None = None, momentum: float | None = None,
                    save_at: int | None = None, read: str = "lr") -> np.ndarray:
    """What ``param_groups[g][read]`` holds at each of ``updates`` real SGD updates driven by
    ``rampup.torch.Scheduler(optimizer, schedule)``; one row per update, one column per group (base LR
    ``bases[g]``). ``scheduler.step()`` follows each ``optimizer.step()``, as torch documents.

    ``save_at=k``: after update k the scheduler is saved with ``torch.save(state_dict())``, and a new optimizer
    (its state loaded) and a new scheduler (built the same way, its state loaded) carry on: the LRs must not change.
    """
    import io

    import torch

    import rampup.torch

    params = [torch.nn.Parameter(torch.zeros((), dtype=torch.float64)) for _ in bases]

    def build(state_opt: Any = None, state_sched: Any = None) -> tuple[Any, Any]:
        extra = {} if momentum is None else {"momentum": momentum}
        groups = [{"params": [p], "lr": b} for p, b in zip(params, bases, strict=True)]
        opt = torch.optim.SGD(groups, lr=bases[0], **extra)
        if state_opt is not None:
            opt.load_state_dict(state_opt)
        sched = rampup.torch.Scheduler(opt, schedule, hparams=hparams)
        if state_sched is not None:
            sched.load_state_dict(state_sched)
        return opt, sched

    opt, sched = build()
    out = []
    for i in range(updates):
        out.append([float(g[read]) for g in opt.param_groups])
        opt.zero_grad()
        sum(p.sum() for p in params).backward()
        opt.step()
        sched.step()
        if save_at is not None and i == save_at:
            buf = io.BytesIO()
            torch.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, buf)
            buf.seek(0)
            saved = torch.load(buf, weights_only=True)
            opt, sched = build(saved["opt"], saved["sched"])
    return np.array(out, dtype=np.float64)


def assert_peer(got: Any, expected: Any, *, what: str, atol: float = 0.0, rtol: float = 0.0) -> None:
    """``|got - expected| <= atol + rtol * |expected|`` element-wise (numpy's ``assert_allclose`` rule, the one
    most peers use), naming each failing index with both values."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        raise AssertionError(f"{what}: shape {got.shape} vs the peer's {expected.shape}")
    bad = ~(np.abs(got - expected) <= atol + rtol * np.abs(expected))
    if bad.any():
        idx = np.argwhere(bad)[:10]
        rows = "\n".join(f"  at {tuple(int(j) for j in i)}: peer expects {float(expected[tuple(i)])!r}, "
                         f"rampup gives {float(got[tuple(i)])!r}" for i in idx)
        raise AssertionError(f"{what}: {int(bad.sum())} of {bad.size} values differ (atol={atol}, rtol={rtol})\n"
                             f"{rows}")


def peer_lrs(make: Callable[[Any], Any], bases: Sequence[float], updates: int,
             step: Callable[[Any], None] | None = None) -> np.ndarray:
    """The installed torch-style peer scheduler ``make(optimizer)`` on the same optimizer as
    :func:`torch_group_lrs`: ``param_groups[g]['lr']`` before each of ``updates`` updates."""
    import torch

    params = [torch.nn.Parameter(torch.zeros((), dtype=torch.float64)) for _ in bases]
    opt = torch.optim.SGD([{"params": [p], "lr": b} for p, b in zip(params, bases, strict=True)], lr=bases[0])
    sched = make(opt)
    out = []
    for _ in range(updates):
        out.append([float(g["lr"]) for g in opt.param_groups])
        opt.zero_grad()
        sum(p.sum() for p in params).backward()
        opt.step()
        (step or (lambda s: s.step()))(sched)
    return np.array(out, dtype=np.float64)
