"""One training run of a study task with an automatic warmup (rule, probe or online controller) or a fixed one.

The loop is the study runner's (``rampup.studies.run_one``) step for step: the same seeding, model, optimizer,
batch generator and divergence test, so a fixed-warmup run here gives the very losses ``run_one`` gives; only the LR
comes from a scheduler object instead of a precomputed list.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

import rampup
import rampup.torch
from rampup.auto import OnlineWarmup, probe, warmup_from_optimizer
from rampup.studies import deterministic, get_task, resolve_warmup

SMOOTH = 10
STALL = 0.05


def train(task_name: str, options: dict[str, Any], lr: float, method: str, seed: int, updates: int,
          steps_per_epoch: int | None = None, online: dict[str, Any] | None = None) -> dict[str, Any]:
    task = get_task(task_name, **options)
    peak = float(task.peak_lr(lr))
    losses: list[float] = []
    lrs: list[float] = []
    info: dict[str, Any] = {}
    diverged_at = None
    t0 = time.perf_counter()
    with deterministic(seed, 1):
        model = task.build_model()
        opt = task.optimizer(model.parameters(), peak)
        gen = torch.Generator().manual_seed(seed)
        batches = task.batches(gen)
        observe = None
        if method == "rule":
            choice = warmup_from_optimizer(opt, then="constant()", total_steps=updates,
                                           steps_per_epoch=steps_per_epoch)
            info["schedule"] = repr(choice.schedule)
            info["why"] = choice.explain()
            sched: Any = rampup.torch.Scheduler(opt, choice.schedule)
        elif method.startswith("probe"):
            pgen = torch.Generator().manual_seed(10_000 + seed)
            r = probe(model, opt, task.loss, task.batches(pgen), n_batches=3)
            info.update(schedule=repr(r.warmup), critical_scale=r.critical_scale, start=r.start,
                        forward=r.forward_passes, backward=r.backward_passes, bounded=r.bounded)
            if method == "probe":
                sched = rampup.torch.Scheduler(opt, r.warmup >> rampup.constant(), total_steps=updates)
            else:  # probe+online: the online controller starting where the probe says
                sched = OnlineWarmup(opt, total_steps=updates, start=r.start, **(online or {}))
                observe = sched.observe
        elif method == "online":
            sched = OnlineWarmup(opt, total_steps=updates, **(online or {}))
            observe = sched.observe
        else:
            sched = rampup.torch.Scheduler(opt, resolve_warmup(method, updates))
        model.train()
        for t in range(updates):
            lr_t = float(opt.param_groups[0]["lr"])
            loss = task.loss(model, next(batches))
            value = float(loss.detach())
            losses.append(value)
            lrs.append(lr_t)
            if not math.isfinite(value) or value > task.diverge_loss:
                diverged_at = t
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if observe is not None:
                observe(loss)
            opt.step()
            sched.step()
        val = metric = float("nan")
        if diverged_at is None:
            model.eval()
            with torch.no_grad():
                val, metric = task.evaluate(model)
        if isinstance(sched, OnlineWarmup):
            info.update(handover=sched.handover, decisions=sched.decisions, final_factor=sched.factor)
    diverged = diverged_at is not None
    final_train = float("nan") if diverged else float(np.mean(losses[-SMOOTH:]))
    to_target = None
    if task.target_loss is not None:
        for t in range(len(losses)):
            w = losses[max(0, t + 1 - SMOOTH):t + 1]
            if len(w) == min(SMOOTH, updates) and all(map(math.isfinite, w)) and np.mean(w) <= task.target_loss:
                to_target = t + 1
                break
    stalled = not diverged and final_train >= (1 - STALL) * task.reference_loss
    return dict(task=task.name, lr=lr, peak_lr=peak, method=method, seed=seed, updates=updates,
                final_train_loss=final_train, final_val_loss=float(val), final_metric=float(metric),
                diverged=diverged, diverged_at=diverged_at, stalled=stalled, updates_to_target=to_target,
                wall_s=time.perf_counter() - t0, info=info, train_loss=losses, lr_curve=lrs)
