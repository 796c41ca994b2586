"""One training run of a study task with an automatic warmup (rule, probe or online controller) or a fixed one.

The run is the study runner's (``rampup.studies.run_one``): the same seeding, model, optimizer, batches and
divergence test, with the LR coming from a scheduler object built by ``run_one``'s ``scheduler`` hook.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import torch

import rampup
import rampup.torch
from rampup.auto import (
    OnlineSettings,
    OnlineWarmup,
    auto_warmup,
    critical_lr_probe,
    ladder_probe,
    sharpness_probe,
    warmup_from_optimizer,
)
from rampup.studies import resolve_warmup, run_one


def _probed(r: Any) -> dict[str, Any]:
    """What every probe's result records: the warmup it chose, where it starts, and its cost."""
    return {"schedule": repr(r.warmup), "critical_scale": r.critical_scale, "start": r.start,
            "forward": r.forward_passes, "backward": r.backward_passes}


def probe_cost(task_name: str, options: dict[str, Any], lr: float, seed: int) -> int:
    """The backward passes ``auto_warmup``'s probe takes on this run (the same model, optimizer and probe batches):
    the updates a run with compute charged trains fewer. Measured by the probe itself, which restores everything."""
    cost: list[int] = []

    def measure(task: Any, model: Any, opt: Any, n: int) -> Any:
        pgen = torch.Generator().manual_seed(10_000 + seed)
        cost.append(ladder_probe(model, opt, task.loss, task.batches(pgen), n_batches=3, steps=20).backward_passes)
        return rampup.torch.Scheduler(opt, "constant()", total_steps=n)

    run_one(task_name, lr, "probe cost", seed, 1, task_options=options, scheduler=measure)
    return cost[0]


def train(task_name: str, options: dict[str, Any], lr: float, method: str, seed: int, updates: int,
          steps_per_epoch: int | None = None, settings: OnlineSettings | None = None,
          then: str | None = None, charge: bool = False) -> dict[str, Any]:
    """One run; ``then`` is the schedule after an automatic warmup (default: the constant peak); ``charge``: an
    ``auto`` run trains as many updates fewer than ``updates`` as its probe takes backward passes."""
    budget = updates
    if charge and method.startswith("auto"):
        updates -= probe_cost(task_name, options, lr, seed)
    info: dict[str, Any] = {}
    made: list[Any] = []

    def scheduler(task: Any, model: Any, opt: Any, n: int) -> Any:
        if method == "rule":
            choice = warmup_from_optimizer(opt, then="constant()", total_steps=n, steps_per_epoch=steps_per_epoch)
            info["schedule"] = repr(choice.schedule)
            info["why"] = choice.explain()
            sched: Any = rampup.torch.Scheduler(opt, choice.schedule)
        elif method.startswith("auto"):  # rampup.auto.auto_warmup
            # "auto(guard=K)": with the controller's guard at K updates (K may be a duration: "100%")
            guard: int | str | None = None
            if method.startswith("auto(guard="):
                g = method[len("auto(guard="):-1]
                guard = int(g) if g.isdigit() else g
            pgen = torch.Generator().manual_seed(10_000 + seed)
            sched = auto_warmup(model, opt, task.loss, task.batches(pgen), then, total_steps=n,
                                steps_per_epoch=steps_per_epoch, n_batches=3, steps=20, guard=guard,
                                settings=settings)
            r = sched.probe_result
            info.update(_probed(r), bounded=r.bounded, trials=[list(t) for t in r.trials])
            if charge:
                assert r.backward_passes == budget - n, "the charged probe cost differs from the measured one"
                info["budget"] = budget
        elif method == "sharpness":  # the top Hessian eigenvalue against the optimizer's edge of stability
            pgen = torch.Generator().manual_seed(10_000 + seed)
            r = sharpness_probe(model, opt, task.loss, task.batches(pgen), n_batches=3, iters=20)
            info.update(_probed(r), sharpness=r.sharpness)
            sched = rampup.torch.Scheduler(opt, r.warmup >> rampup.constant(), total_steps=n)
        elif method.startswith("probe"):
            # "probe": the one-step line search; "probe-20": the multi-step ladder (20 updates per rung);
            # "probe-20+online": the online controller starting where the ladder says (growth 0.1)
            pgen = torch.Generator().manual_seed(10_000 + seed)
            if method.startswith("probe-20"):
                r = ladder_probe(model, opt, task.loss, task.batches(pgen), n_batches=3, steps=20)
            else:
                r = critical_lr_probe(model, opt, task.loss, task.batches(pgen), n_batches=3)
            info.update(_probed(r), bounded=r.bounded, trials=[list(t) for t in r.trials])
            if "+online" in method:
                sched = OnlineWarmup(opt, total_steps=n, steps_per_epoch=steps_per_epoch, start=r.start,
                                     growth=0.1, settings=settings)
            else:
                sched = rampup.torch.Scheduler(opt, r.warmup >> rampup.constant(), total_steps=n)
        elif method == "online":  # the defaults: +10% per healthy update (the peak from 0.05 in 32 updates)
            sched = OnlineWarmup(opt, total_steps=n, steps_per_epoch=steps_per_epoch, settings=settings)
        elif method.startswith("online(uw"):  # the defaults plus the update-to-weight ratio every k-th update
            k = int(method[len("online(uw"):-1])
            sched = OnlineWarmup(opt, total_steps=n, steps_per_epoch=steps_per_epoch,
                                 settings=dataclasses.replace(settings or OnlineSettings(), update_ratio_every=k))
        elif method.startswith("online(gn"):  # the defaults, with the gradient norm measured every k-th update
            k = int(method[len("online(gn"):-1])
            sched = OnlineWarmup(opt, total_steps=n, steps_per_epoch=steps_per_epoch,
                                 settings=dataclasses.replace(settings or OnlineSettings(), grad_norm_every=k))
        elif method == "online(rule)":  # the nominal ramp takes the optimizer rule's warmup length
            sched = OnlineWarmup(opt, total_steps=n, steps_per_epoch=steps_per_epoch, growth="rule",
                                 settings=settings)
        else:
            sched = rampup.torch.Scheduler(opt, resolve_warmup(method, n))
        made.append(sched)
        return sched

    t0 = time.perf_counter()
    r = run_one(task_name, lr, method, seed, updates, task_options=options, eval_every=updates, scheduler=scheduler)
    sched = made[0]
    if isinstance(sched, OnlineWarmup):
        info.update(handover=sched.handover, decisions=sched.decisions, final_factor=sched.factor,
                    growth=sched.growth, growth_rule=sched.growth_rule)
    return {"task": r.task, "lr": lr, "peak_lr": r.peak_lr, "method": method, "seed": seed, "updates": updates,
            "final_train_loss": r.final_train_loss, "final_val_loss": r.final_val_loss,
            "final_metric": r.final_metric, "diverged": r.diverged, "diverged_at": r.diverged_at, "stalled": r.stalled,
            "updates_to_target": r.updates_to_target, "wall_s": time.perf_counter() - t0, "info": info,
            "train_loss": r.train_loss, "lr_curve": r.lr_curve}
