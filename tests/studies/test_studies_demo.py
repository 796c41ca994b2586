"""The demo in its reduced mode: two runs, a table, one PNG with the loss and the LR curves."""

from __future__ import annotations

import io

import matplotlib.image
import pytest
import torch
from rich.console import Console

from rampup.studies import demo, resolve_warmup


def test_quick_demo_writes_a_png_and_prints_the_table(tmp_path):
    out = io.StringIO()
    r = demo(tmp_path / "demo.png", quick=True, console=Console(file=out, width=140), progress=True)
    image = matplotlib.image.imread(r.png)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 2 * image.shape[0]
    none, warm = r.runs
    assert (none.warmup, warm.warmup) == ("none", "linear(6)")
    assert none.peak_lr == warm.peak_lr and none.seed == warm.seed
    # the LR curves are the peak times the schedule's factor
    assert none.lr_curve == pytest.approx([none.peak_lr] * 12)
    assert warm.lr_curve == pytest.approx([warm.peak_lr * float(resolve_warmup("linear(6)", 12)(t)) for t in range(12)])
    text = out.getvalue()
    assert "none" in text and "linear(6)" in text and "stalled" in text and str(r.png) in text


def test_the_demo_s_automatic_warmup_is_the_untuned_rule_for_the_task_s_adam():
    from rampup.studies._demo import _auto_warmup
    from rampup.studies import get_task

    task = get_task("postln-lm", quick=True)
    opt = task.optimizer([torch.zeros(1, requires_grad=True)], 1e-2)
    beta2 = opt.param_groups[0]["betas"][1]
    # Ma & Yarats: linear over 2 / (1 - beta2) updates, the first at 1/W of the peak
    assert _auto_warmup(task, 1e-2) == f"linear_warmup({round(2 / (1 - beta2))}, offset=1)"


def test_the_demo_s_probed_run_is_auto_warmup_on_the_run_s_own_model():
    from rampup.auto import OnlineWarmup
    from rampup.studies import run_one
    from rampup.studies._demo import _probed

    made = []
    hook = _probed(0)

    def keep(task, model, opt, n):
        made.append(hook(task, model, opt, n))
        return made[-1]

    r = run_one("postln-lm", 1e-2, "auto_warmup", 0, 12, task_options={"quick": True}, scheduler=keep)
    sched = made[0]
    assert isinstance(sched, OnlineWarmup) and sched.probe_result.steps == 20 and sched.guard == 20
    # the run's LRs are the controller's: the peak times its start at the first update
    assert r.lr_curve[0] == pytest.approx(r.peak_lr * sched.probe_result.start)
