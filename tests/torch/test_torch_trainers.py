"""rampup.torch.Scheduler inside the real trainers: a few updates of a tiny model in each, checking the LR that the
optimizer actually used at every update against the closed form."""

from __future__ import annotations

import os

import pytest
import torch
from _torch_util import Data, Tiny, expected, one_process_group_env, record

import rampup
from rampup.torch import Scheduler


@pytest.mark.parametrize("accum", [1, 2])
def test_hf_trainer(tmp_path, accum):
    transformers = pytest.importorskip("transformers")
    model = Tiny()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    sched = Scheduler(opt, "linear(2) >> cosine()", total_steps=6)
    used = record(opt)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), max_steps=6, per_device_train_batch_size=2, gradient_accumulation_steps=accum,
        report_to=[], use_cpu=True, save_strategy="no", logging_strategy="no", disable_tqdm=True)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=Data(32), optimizers=(opt, sched))
    trainer.train()
    assert [u[0] for u in used] == pytest.approx(expected(6, 1e-2, 2, 6), rel=1e-12, abs=1e-15)
    assert sched.last_epoch == 6


def test_lightning_step_interval_and_lr_monitor(tmp_path):
    L = pytest.importorskip("lightning.pytorch")
    from rampup.lightning import scheduler_config

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = Tiny()
            self.used = []

        def training_step(self, batch, i):
            return self.model(batch["x"], batch["labels"])["loss"]

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=0.1)
            self.used = record(opt)
            return {"optimizer": opt, "lr_scheduler": scheduler_config(opt, "linear(3) >> cosine(to=0.1)",
                                                                     total_steps=8)}

    module = Module()
    monitor = L.callbacks.LearningRateMonitor(logging_interval="step")
    logger = L.loggers.CSVLogger(str(tmp_path))
    trainer = L.Trainer(max_steps=8, accelerator="cpu", logger=logger, callbacks=[monitor], log_every_n_steps=1,
                        enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
    loader = torch.utils.data.DataLoader(Data(8), batch_size=2)  # 4 updates per epoch, 2 epochs
    trainer.fit(module, loader)
    want = expected(8, 0.1, 3, 8, 0.1)
    assert [u[0] for u in module.used] == pytest.approx(want, rel=1e-12)
    # LearningRateMonitor logged, at each update, the LR that update used
    import csv

    with open(os.path.join(logger.log_dir, "metrics.csv")) as f:
        rows = [r for r in csv.DictReader(f) if r.get("lr-SGD")]
    assert [float(r["lr-SGD"]) for r in rows] == pytest.approx(want, rel=1e-12)


def test_lightning_helper_warns_for_a_step_warmup_stepped_per_epoch():
    from rampup.lightning import StepIntervalWarning, scheduler_config

    opt = torch.optim.SGD(Tiny().parameters(), lr=0.1)
    with pytest.warns(StepIntervalWarning, match="interval='epoch'.*4000 updates"):
        cfg = scheduler_config(opt, "linear(4000) >> cosine()", total_steps=100_000, interval="epoch")
    assert cfg["interval"] == "epoch"
    cfg = scheduler_config(Scheduler(opt, "linear_decay(5)"))
    assert cfg["interval"] == "step" and cfg["frequency"] == 1 and isinstance(cfg["scheduler"], Scheduler)
    with pytest.raises(rampup.RampupError, match=r"interval must be (one of )?'step'"):
        scheduler_config(opt, "linear_decay(5)", interval="batch")


def test_accelerate_single_process_with_accumulation():
    accelerate = pytest.importorskip("accelerate")
    acc = accelerate.Accelerator(cpu=True, gradient_accumulation_steps=2)
    model = Tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    sched = Scheduler(opt, "linear(2) >> cosine()", total_steps=6)  # 12 batches / 2 = 6 updates
    used = record(opt)
    loader = torch.utils.data.DataLoader(Data(24), batch_size=2)
    model, popt, loader, psched = acc.prepare(model, opt, loader, sched)
    for batch in loader:
        with acc.accumulate(model):
            acc.backward(model(batch["x"], batch["labels"])["loss"])
            popt.step()
            psched.step()
            popt.zero_grad()
    assert [u[0] for u in used] == pytest.approx(expected(6, 0.2, 2, 6), rel=1e-12, abs=1e-15)


def test_deepspeed_client_scheduler(monkeypatch):
    deepspeed = pytest.importorskip("deepspeed")
    one_process_group_env(monkeypatch)
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = Scheduler(opt, "linear(2) >> cosine()", total_steps=5)
    used = record(opt)
    engine, _, _, ds_sched = deepspeed.initialize(
        model=model, optimizer=opt, lr_scheduler=sched,
        config={"train_batch_size": 2, "train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 1})
    assert ds_sched is sched
    for _ in range(5):
        loss = engine(torch.randn(2, 4)).pow(2).mean()
        engine.backward(loss)
        engine.step()
    assert [u[0] for u in used] == pytest.approx(expected(5, 0.1, 2, 5), rel=1e-12, abs=1e-15)
    assert engine.get_lr() == sched.get_last_lr()
