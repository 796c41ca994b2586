"""Every class that takes an optimizer accepts the wrappers that expose the real one: Accelerate's
AcceleratedOptimizer, HF Trainer's create_scheduler hook, DeepSpeed's ZeRO optimizer, Lightning's
LightningOptimizer. Each wrapper is the real framework's, and the LR each update used is read from a hook on the
real optimizer and checked against the closed form."""

from __future__ import annotations

import pytest
import torch
from _torch_util import Data, Tiny, expected, one_process_group_env, record

import rampup
import rampup.torch
from rampup.torch import Scheduler, WarmupThen, log_lr, unwrap_optimizer


def test_a_plain_optimizer_is_its_own_real_optimizer():
    opt = torch.optim.SGD(Tiny().parameters(), lr=0.1)
    assert unwrap_optimizer(opt) is opt


@pytest.mark.parametrize("bad", [None, 3, "adam", torch.nn.Linear(2, 1)])
def test_not_an_optimizer_names_the_value_and_the_wrappers(bad):
    with pytest.raises(rampup.RampupError, match=r"Scheduler: optimizer must be a torch\.optim\.Optimizer.*got"):
        Scheduler(bad, "linear_decay(2)")


def test_an_optimizer_without_param_groups_is_refused():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    opt.param_groups.clear()
    with pytest.raises(rampup.RampupError, match="no param groups"):
        Scheduler(opt, "linear_decay(2)")


# -- Accelerate ---------------------------------------------------------------------------------------------------
def _accelerated(accum=1):
    accelerate = pytest.importorskip("accelerate")
    acc = accelerate.Accelerator(cpu=True, gradient_accumulation_steps=accum)
    torch.manual_seed(0)
    model = Tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    loader = torch.utils.data.DataLoader(Data(24), batch_size=2)
    model, popt, loader = acc.prepare(model, opt, loader)
    return acc, model, opt, popt, loader


def _train(acc, model, popt, loader, sched):
    for batch in loader:
        with acc.accumulate(model):
            acc.backward(model(batch["x"], batch["labels"])["loss"])
            popt.step()
            sched.step()
            popt.zero_grad()


@pytest.mark.parametrize("accum", [1, 2])
def test_scheduler_built_after_accelerate_prepare(accum):
    # the order Accelerate's docs suggest: prepare, then build the scheduler on the prepared optimizer
    acc, model, opt, popt, loader = _accelerated(accum)
    assert type(popt).__name__ == "AcceleratedOptimizer" and unwrap_optimizer(popt) is opt
    n = 12 // accum  # 12 batches
    sched = Scheduler(popt, "linear(2) >> cosine()", total_steps=n)
    used = record(opt)
    _train(acc, model, popt, loader, sched)
    assert [u[0] for u in used] == pytest.approx(expected(n, 0.2, 2, n), rel=1e-12, abs=1e-15)
    assert sched.last_epoch == n


def test_warmup_then_and_log_lr_take_the_accelerated_optimizer():
    acc, model, opt, popt, loader = _accelerated()
    # ``after`` may be built on the wrapper or on the real optimizer: both schedule the same one
    for after_opt in (popt, opt):
        for g in opt.param_groups:
            g["lr"] = 0.2
            g.pop("initial_lr", None)
        sched = WarmupThen(popt, 2, torch.optim.lr_scheduler.StepLR(after_opt, step_size=3, gamma=0.5))
        assert sched.optimizer is opt
    seen = []
    handle = log_lr(popt, lambda tag, v, t: seen.append((t, v)))
    _train(acc, model, popt, loader, sched)
    handle.remove()
    # warmup 0, 0.1; then StepLR from 0.2 halving every 3 of its steps (its step k at update 2 + k)
    want = [0.0, 0.1] + [0.2 * 0.5 ** (k // 3) for k in range(10)]
    assert [t for t, _ in seen] == list(range(12))
    assert [v for _, v in seen] == pytest.approx(want, rel=1e-12)


# -- HF Trainer ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("accum", [1, 2])
def test_hf_trainer_create_scheduler_override_in_an_epoch_based_run(tmp_path, accum):
    transformers = pytest.importorskip("transformers")
    made = {}

    class RampupTrainer(transformers.Trainer):
        def create_scheduler(self, num_training_steps, optimizer=None):
            # Trainer 5 calls this after accelerator.prepare: self.optimizer is an AcceleratedOptimizer
            if self.lr_scheduler is None:
                opt = optimizer if optimizer is not None else self.optimizer
                made["wrapper"] = type(opt).__name__
                made["total"] = num_training_steps
                self.lr_scheduler = Scheduler(opt, "linear(25%) >> cosine(to=0.1)", total_steps=num_training_steps)
            return self.lr_scheduler

    torch.manual_seed(0)
    model = Tiny()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    used = record(opt)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), num_train_epochs=2, per_device_train_batch_size=2,
        gradient_accumulation_steps=accum, report_to=[], use_cpu=True, save_strategy="no", logging_strategy="no",
        disable_tqdm=True)
    assert args.max_steps == -1  # an epoch-based run: the documented total_steps=args.max_steps would be -1
    trainer = RampupTrainer(model=model, args=args, train_dataset=Data(32), optimizers=(opt, None))
    trainer.train()
    n = 2 * (16 // accum)  # 2 epochs of 16 batches, one update per accum batches
    assert made == {"wrapper": "AcceleratedOptimizer", "total": n}
    assert [u[0] for u in used] == pytest.approx(expected(n, 1e-2, n // 4, n, 0.1), rel=1e-12, abs=1e-15)


# -- DeepSpeed ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", [1, 2])
def test_scheduler_on_a_deepspeed_zero_optimizer(monkeypatch, stage):
    deepspeed = pytest.importorskip("deepspeed")
    one_process_group_env(monkeypatch)
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    engine, dopt, _, _ = deepspeed.initialize(
        model=model, optimizer=opt,
        config={"train_batch_size": 2, "train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 1,
                "zero_optimization": {"stage": stage}})
    assert not isinstance(dopt, torch.optim.Optimizer)  # DeepSpeedZeroOptimizer holds the torch one
    assert unwrap_optimizer(dopt) is opt and unwrap_optimizer(engine) is opt
    sched = Scheduler(dopt, "linear(2) >> cosine()", total_steps=5)
    used = record(opt)
    for _ in range(5):
        engine.backward(engine(torch.randn(2, 4)).pow(2).mean())
        engine.step()
        sched.step()
    assert [u[0] for u in used] == pytest.approx(expected(5, 0.1, 2, 5), rel=1e-12, abs=1e-15)
    assert engine.get_lr() == sched.get_last_lr()


# -- Lightning ----------------------------------------------------------------------------------------------------
def test_scheduler_on_a_lightning_optimizer_in_manual_optimization(tmp_path):
    L = pytest.importorskip("lightning.pytorch")

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.automatic_optimization = False
            self.model = Tiny()
            self.used = []
            self.wrapper = ""

        def configure_optimizers(self):
            self.opt = torch.optim.SGD(self.parameters(), lr=0.1)
            self.used = record(self.opt)
            return self.opt

        def on_train_start(self):
            lopt = self.optimizers()  # a LightningOptimizer around self.opt
            self.wrapper = type(lopt).__mro__[1].__name__
            assert unwrap_optimizer(lopt) is self.opt
            self.sched = Scheduler(lopt, "linear(3) >> cosine(to=0.1)", total_steps=8)

        def training_step(self, batch, i):
            lopt = self.optimizers()
            lopt.zero_grad()
            self.manual_backward(self.model(batch["x"], batch["labels"])["loss"])
            lopt.step()
            self.sched.step()

    module = Module()
    trainer = L.Trainer(max_steps=8, accelerator="cpu", logger=False, enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False)
    trainer.fit(module, torch.utils.data.DataLoader(Data(8), batch_size=2))
    assert module.wrapper == "LightningOptimizer"
    assert [u[0] for u in module.used] == pytest.approx(expected(8, 0.1, 3, 8, 0.1), rel=1e-12)
