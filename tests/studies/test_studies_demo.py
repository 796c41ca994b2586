"""The demo in its reduced mode: two runs, a table, one PNG with the loss and the LR curves; one name per run; the
probed run's compute counted."""

from __future__ import annotations

import io

import matplotlib.image
import pytest
import torch
from rich.console import Console

from rampup.studies import demo, get_task, resolve_warmup, run_one


def test_quick_demo_writes_a_png_and_prints_the_table(tmp_path):
    out = io.StringIO()
    r = demo(tmp_path / "demo.png", quick=True, console=Console(file=out, width=140), progress=True)
    image = matplotlib.image.imread(r.png)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 2 * image.shape[0]
    none, warm = r.runs
    assert (none.warmup, warm.warmup) == ("none", "linear(6)")
    assert r.names == ["no warmup", "linear warmup 6"] and r.probe_passes == [0, 0]
    assert none.peak_lr == warm.peak_lr and none.seed == warm.seed
    # the LR curves are the peak times the schedule's factor
    assert none.lr_curve == pytest.approx([none.peak_lr] * 12)
    assert warm.lr_curve == pytest.approx([warm.peak_lr * float(resolve_warmup("linear(6)", 12)(t)) for t in range(12)])
    text = out.getvalue()
    assert "no warmup" in text and "linear warmup 6" in text and "stalled" in text and str(r.png) in text


def test_the_table_is_readable_in_an_80_column_pipe(tmp_path):
    out = io.StringIO()
    demo(tmp_path / "demo.png", quick=True, console=Console(file=out, width=80), progress=False)
    text = out.getvalue()
    assert "…" not in text  # rich cuts a header or a cell that does not fit with an ellipsis
    assert max(len(line) for line in text.splitlines()) <= 80
    for header in ("run", "train", "val", "target at", "ended", "time"):
        assert header in text
    assert "no warmup" in text and "linear warmup 6" in text


def test_one_name_per_run_in_the_full_plan():
    from rampup.studies._demo import _plan

    task = get_task("postln-lm", quick=True)
    names = [name for name, _, _ in _plan(task, 1e-2, "linear(100)", 200, 0, auto=True)]
    # the task's Adam has beta2 0.98: Ma & Yarats' 2 / (1 - 0.98) = 100 updates, within half of the 200
    assert names == ["no warmup", "linear warmup 100", "optimizer rule (100)", "auto (probe + online)"]


def test_the_legend_uses_the_run_names_and_shifts_the_probed_run_by_its_passes():
    from rampup.studies._demo import _figure

    runs = [run_one("postln-lm", 1e-2, spec, 0, 6, task_options={"quick": True}) for spec in ("none", "linear(3)")]
    fig = _figure(runs, ["no warmup", "auto (probe + online)"], [0, 40], 3.0, 2.5, 1e-2)
    ax_loss, ax_lr = fig.axes
    legend = [t.get_text() for t in ax_loss.get_legend().get_texts()]
    assert legend[:2] == ["no warmup", "auto (probe + online), shifted by its probe's 40 passes"]
    assert not any("constant(" in t or "linear_warmup" in t for t in legend)
    # the LR curves on the compute axis: the probed run's first update at pass 40
    assert list(ax_lr.lines[0].get_xdata()) == list(range(6))
    assert list(ax_lr.lines[1].get_xdata()) == [40 + t for t in range(6)]
    assert "forward+backward passes" in ax_loss.get_xlabel() and "warmup" in fig.get_suptitle()


def test_the_demo_s_optimizer_rule_is_the_untuned_rule_for_the_task_s_adam():
    from rampup.studies._demo import _rule_warmup

    task = get_task("postln-lm", quick=True)
    opt = task.optimizer([torch.zeros(1, requires_grad=True)], 1e-2)
    beta2 = opt.param_groups[0]["betas"][1]
    # Ma & Yarats: linear over 2 / (1 - beta2) updates, the first at 1/W of the peak
    w = round(2 / (1 - beta2))
    spec, length = _rule_warmup(task, 1e-2, 200)
    assert length == w and spec.startswith(f"linear_warmup({w}, offset=1)")
    # in a run shorter than 2 W the rule caps itself at half the run instead of failing
    spec, length = _rule_warmup(task, 1e-2, 60)
    assert length == 30 and spec.startswith("linear_warmup(30, offset=1)")


def test_the_demo_s_probed_run_is_auto_warmup_on_the_run_s_own_model():
    from rampup.auto import OnlineWarmup
    from rampup.studies._demo import _Probed

    made = []
    hook = _Probed(0)

    def keep(task, model, opt, n):
        made.append(hook(task, model, opt, n))
        return made[-1]

    r = run_one("postln-lm", 1e-2, "auto_warmup", 0, 12, task_options={"quick": True}, scheduler=keep)
    sched = made[0]
    assert isinstance(sched, OnlineWarmup) and sched.probe_result.steps == 20 and sched.guard == 20
    assert hook.backward_passes == sched.probe_result.backward_passes >= 40  # two rungs of 20 at least
    # the run's LRs are the controller's: the peak times its start at the first update
    assert r.lr_curve[0] == pytest.approx(r.peak_lr * sched.probe_result.start)
