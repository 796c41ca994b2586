"""rampup schedules in the real transformers Trainer: epoch-based runs (max_steps=-1) with gradient accumulation, the
TrainingArguments' own scheduler on rampup's clock, resume_from_checkpoint, ReduceLROnPlateau after a warmup.

The LR each update used is read in the Trainer's ``on_pre_optimizer_step`` event (after clipping, before the
update), with the update's step ``state.global_step`` (updates already applied)."""

from __future__ import annotations

import math

import pytest
import torch

transformers = pytest.importorskip("transformers")

import rampup  # noqa: E402
import rampup.torch  # noqa: E402
from rampup.torch.hf import SchedulerMixin, create_scheduler  # noqa: E402

PEAK = 0.01


class Tiny(torch.nn.Module):
    def __init__(self, flat_eval=False):
        super().__init__()
        torch.manual_seed(0)
        self.lin = torch.nn.Linear(4, 1)
        self.flat_eval = flat_eval

    def forward(self, x, labels=None):
        out = self.lin(x).squeeze(-1)
        loss = torch.nn.functional.mse_loss(out, labels)
        if self.flat_eval and not self.training:
            loss = torch.ones_like(loss)  # an evaluation loss that never improves: a plateau
        return {"loss": loss, "logits": out}


class Data(torch.utils.data.Dataset):
    def __init__(self, n):
        g = torch.Generator().manual_seed(0)
        self.x, self.y = torch.randn(n, 4, generator=g), torch.randn(n, generator=g)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"x": self.x[i], "labels": self.y[i]}


class Record(transformers.TrainerCallback):
    """(step, LR) of every update, as the optimizer is about to apply it."""

    def __init__(self):
        self.used = []

    def on_pre_optimizer_step(self, args, state, control, optimizer=None, **kwargs):
        self.used.append((state.global_step, optimizer.param_groups[0]["lr"]))


class RampupTrainer(SchedulerMixin, transformers.Trainer):
    pass


def arguments(tmp_path, **kw):
    base = {"output_dir": str(tmp_path), "num_train_epochs": 3, "per_device_train_batch_size": 2,
            "gradient_accumulation_steps": 3, "learning_rate": PEAK, "report_to": [], "use_cpu": True,
            "save_strategy": "no", "logging_strategy": "no", "disable_tqdm": True, "seed": 0, "data_seed": 0}
    base.update(kw)
    return transformers.TrainingArguments(**base)


def train(trainer_cls, args, resume=None, n=20, flat_eval=False, **kw):
    rec = Record()
    trainer = trainer_cls(model=Tiny(flat_eval), args=args, train_dataset=Data(n), callbacks=[rec], **kw)
    trainer.train(resume_from_checkpoint=resume)
    return trainer, rec.used


def warmup_cosine(t, W, T, floor):
    """Linear warmup over W updates, then a cosine from the peak to ``floor`` over the other T - W (closed form)."""
    if t < W:
        return t / W
    return floor + (1 - floor) * (1 + math.cos(math.pi * min(1.0, (t - W) / (T - W)))) / 2


def test_epoch_based_run_with_accumulation_takes_the_trainers_budget(tmp_path):
    """max_steps=-1: 20 samples in batches of 2 are 10 batches, accumulated by 3 into ceil(10 / 3) = 4 updates
    an epoch, 12 in 3 epochs; "25%" of that is a warmup of 3 updates, and the cosine ends at the last update."""
    args = arguments(tmp_path)
    assert args.max_steps == -1
    trainer, used = train(RampupTrainer, args, schedule="linear(25%) >> cosine(to=0.1)")
    T = 3 * math.ceil(10 / 3)
    assert [t for t, _ in used] == list(range(T))
    assert [lr for _, lr in used] == pytest.approx([PEAK * warmup_cosine(t, 3, T, 0.1) for t in range(T)],
                                                   rel=1e-12, abs=1e-15)
    assert isinstance(trainer.lr_scheduler, rampup.torch.Scheduler)
    assert trainer.lr_scheduler.last_epoch == T
    assert trainer.lr_scheduler.get_last_lr()[0] == pytest.approx(PEAK * 0.1)


@pytest.mark.parametrize("kind,extra", [("cosine", {}), ("linear", {}), ("polynomial", {"power": 2.0}),
                                        ("cosine_with_min_lr", {"min_lr_rate": 0.2})])
def test_training_arguments_scheduler_gives_hfs_lrs(tmp_path, kind, extra):
    """No rampup schedule: the Trainer's lr_scheduler_type, warmup_steps (a fraction, as in transformers 5) and
    lr_scheduler_kwargs, the very LRs of HF's own scheduler in the same run."""
    kw = {"lr_scheduler_type": kind, "warmup_steps": 0.2, "lr_scheduler_kwargs": extra}
    _, theirs = train(transformers.Trainer, arguments(tmp_path / "hf", **kw))
    trainer, ours = train(RampupTrainer, arguments(tmp_path / "rampup", **kw))
    assert isinstance(trainer.lr_scheduler, rampup.torch.Scheduler)
    assert len(ours) == len(theirs) == 12
    for (t, a), (u, b) in zip(ours, theirs, strict=True):
        assert t == u and a == pytest.approx(b, rel=1e-12, abs=1e-15), f"update {t}: rampup {a}, HF {b}"


@pytest.mark.parametrize("schedule,kw", [("linear(3) >> cosine(to=0.1)", {}),
                                         (None, {"lr_scheduler_type": "cosine", "warmup_steps": 0.25})])
def test_resume_from_checkpoint_gives_the_uninterrupted_lrs_bit_for_bit(tmp_path, schedule, kw):
    args = dict(save_strategy="steps", save_steps=5, **kw)
    _, whole = train(RampupTrainer, arguments(tmp_path / "whole", **args), schedule=schedule)
    _, first = train(RampupTrainer, arguments(tmp_path / "cut", **args), schedule=schedule)
    ckpt = tmp_path / "cut" / "checkpoint-5"
    assert ckpt.is_dir()
    _, resumed = train(RampupTrainer, arguments(tmp_path / "cut", **args), resume=str(ckpt), schedule=schedule)
    assert [t for t, _ in resumed] == list(range(5, 12))
    assert resumed == whole[5:]  # the same floats, not merely close
    assert first == whole


def test_a_create_scheduler_override_with_the_helper(tmp_path):
    """The usual HF hook, written by hand: it receives the Accelerate-wrapped optimizer and the run's budget."""

    class Mine(transformers.Trainer):
        def create_scheduler(self, num_training_steps, optimizer=None):
            if self.lr_scheduler is None:
                self.lr_scheduler = create_scheduler(self, num_training_steps, optimizer,
                                                     "linear(25%) >> cosine(to=0.1)")
            return self.lr_scheduler

    _, used = train(Mine, arguments(tmp_path))
    assert [lr for _, lr in used] == pytest.approx([PEAK * warmup_cosine(t, 3, 12, 0.1) for t in range(12)],
                                                   rel=1e-12, abs=1e-15)


def test_training_arguments_that_a_rampup_schedule_overrides_are_warned_about(tmp_path):
    args = arguments(tmp_path, warmup_steps=100, lr_scheduler_type="cosine")
    with pytest.warns(UserWarning, match=r"lr_scheduler_type='cosine', warmup_steps=100 do not apply"):
        train(RampupTrainer, args, schedule="linear(3) >> cosine()")


def test_reduce_lr_on_plateau_warms_up_then_follows_the_evaluation_metric(tmp_path):
    """warmup_steps=2 (HF itself drops it for this type), then ReduceLROnPlateau(factor=0.5, patience=0) stepped
    with eval_loss after each evaluation (every 2 updates). The evaluation loss is flat, so the first evaluation
    after the warmup sets the best value and each later one halves the LR."""
    args = arguments(tmp_path, lr_scheduler_type="reduce_lr_on_plateau", warmup_steps=2, eval_strategy="steps",
                     eval_steps=2, lr_scheduler_kwargs={"factor": 0.5, "patience": 0}, num_train_epochs=1,
                     gradient_accumulation_steps=1)
    trainer, used = train(RampupTrainer, args, eval_dataset=Data(4), flat_eval=True)
    want = [0.0, 0.5, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]
    assert [lr for _, lr in used] == pytest.approx([PEAK * f for f in want])
    assert isinstance(trainer.lr_scheduler, rampup.torch.WarmupThen)


def test_greedy_stays_hfs_own(tmp_path):
    from transformers.optimization import GreedyLR

    args = arguments(tmp_path, lr_scheduler_type="greedy", eval_strategy="epoch", num_train_epochs=1)
    trainer, _ = train(RampupTrainer, args, eval_dataset=Data(4))
    assert isinstance(trainer.lr_scheduler, GreedyLR)


def test_max_steps_minus_one_is_refused_with_where_to_get_the_budget(tmp_path):
    args = arguments(tmp_path)
    trainer = RampupTrainer(model=Tiny(), args=args, train_dataset=Data(20))
    trainer.create_optimizer()
    with pytest.raises(rampup.RampupError, match=r"num_training_steps=-1 .*epoch-based.*create_scheduler"):
        create_scheduler(trainer, args.max_steps, schedule="linear(5%) >> cosine()")
