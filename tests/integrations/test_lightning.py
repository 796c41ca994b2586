"""rampup in Lightning: the lr_scheduler config that steps per update, the budget from the trainer, and LightningCLI
with a rampup scheduler in its YAML config. The LR each update used is read in ``on_before_optimizer_step``."""

from __future__ import annotations

import math
import sys
import warnings

import pytest
import torch

L = pytest.importorskip("lightning.pytorch")

import rampup  # noqa: E402
import rampup.lightning  # noqa: E402
import rampup.torch  # noqa: E402
from rampup.lightning import StepIntervalWarning, scheduler_config  # noqa: E402
from rampup.torch import Scheduler  # noqa: E402

TRAINER = {"accelerator": "cpu", "logger": False, "enable_checkpointing": False, "enable_progress_bar": False,
           "enable_model_summary": False}


class Data(torch.utils.data.Dataset):
    def __len__(self):
        return 20

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return torch.randn(4, generator=g), torch.randn(1, generator=g)


class Module(L.LightningModule):
    """A linear model; ``schedule`` (a spec string) becomes a rampup scheduler over the trainer's budget."""

    def __init__(self, schedule: str = "linear(25%) >> cosine(to=0.1)", lr: float = 0.1):
        super().__init__()
        self.lin = torch.nn.Linear(4, 1)
        self.schedule, self.lr, self.used = schedule, lr, []

    def training_step(self, batch, i):
        x, y = batch
        return torch.nn.functional.mse_loss(self.lin(x), y)

    def on_before_optimizer_step(self, optimizer):
        self.used.append(optimizer.param_groups[0]["lr"])

    def train_dataloader(self):
        return torch.utils.data.DataLoader(Data(), batch_size=2)  # 10 batches an epoch

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=self.lr)
        return {"optimizer": opt, "lr_scheduler": scheduler_config(
            opt, self.schedule, total_steps=rampup.lightning.total_steps(self.trainer))}


def warmup_cosine(t, W, T, floor):
    if t < W:
        return t / W
    return floor + (1 - floor) * (1 + math.cos(math.pi * min(1.0, (t - W) / (T - W)))) / 2


def opt():
    return torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)


# -- the budget ----------------------------------------------------------------------------------------------------
def test_epoch_based_run_with_accumulation_takes_the_budget_from_the_trainer():
    """max_steps=-1, 3 epochs of 10 batches accumulated by 3: ceil(10 / 3) = 4 updates an epoch, 12 in all."""
    module = Module()
    trainer = L.Trainer(max_epochs=3, accumulate_grad_batches=3, **TRAINER)
    assert trainer.max_steps == -1
    trainer.fit(module)
    T = 3 * math.ceil(10 / 3)
    assert module.used == pytest.approx([0.1 * warmup_cosine(t, 3, T, 0.1) for t in range(T)], rel=1e-12, abs=1e-15)


def test_max_steps_caps_the_budget():
    module = Module("linear(2) >> cosine()")
    L.Trainer(max_epochs=5, max_steps=7, **TRAINER).fit(module)
    assert module.used == pytest.approx([0.1 * warmup_cosine(t, 2, 7, 0.0) for t in range(7)], rel=1e-12, abs=1e-15)


def test_trainer_max_steps_minus_one_is_refused_with_where_to_get_the_budget():
    with pytest.raises(rampup.RampupError, match=r"total_steps=-1.*estimated_stepping_batches"):
        scheduler_config(opt(), "linear(5%) >> cosine()", total_steps=-1)


def test_an_endless_trainer_has_no_budget_to_give():
    trainer = L.Trainer(max_epochs=-1, **TRAINER)
    with pytest.raises(rampup.RampupError, match=r"total_steps: the trainer runs without end.*max_steps"):
        rampup.lightning.total_steps(trainer)
    with pytest.raises(rampup.RampupError, match=r"total_steps must be a Lightning Trainer"):
        rampup.lightning.total_steps(object())


# -- interval="epoch" ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec,what", [
    ("linear(4000) >> cosine()", "a warmup of 4000 updates"),
    ("cosine_decay(100000) * linear_warmup(4000, offset=1)", "a warmup of 4000 updates"),  # pytorch_warmup style
    ("exp_warmup(2000) * cosine_decay(100000)", "tau=2000"),
    ("noam(4000)", "a warmup of 4000 updates"),
    ("clip(linear(4000) >> cosine(), min=0.1)", "a warmup of 4000 updates"),
    ("radam_warmup(0.999) * cosine_decay(100000)", "warmup"),
])
def test_interval_epoch_warns_for_every_kind_of_warmup(spec, what):
    with pytest.warns(StepIntervalWarning, match=rf"interval='epoch'.*{what}.*interval='step'"):
        cfg = scheduler_config(opt(), spec, total_steps=100_000, interval="epoch")
    assert cfg["interval"] == "epoch"


def test_interval_epoch_warns_for_an_update_counted_decay_too():
    with pytest.warns(StepIntervalWarning, match=r"interval='epoch'.*once per epoch.*interval='step'"):
        scheduler_config(opt(), "cosine_decay(to=0.1)", total_steps=1000, interval="epoch")


def test_a_schedule_counted_in_epochs_may_step_per_epoch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg = scheduler_config(opt(), "linear(5) >> cosine()", total_steps=90, count="calls", interval="epoch")
    assert cfg["interval"] == "epoch"


def test_the_default_is_step_and_bad_values_are_named():
    cfg = scheduler_config(Scheduler(opt(), "linear_warmup(5)"))
    assert cfg["interval"] == "step" and cfg["frequency"] == 1
    with pytest.raises(rampup.RampupError, match="interval must be one of 'step', 'epoch', got 'batch'"):
        scheduler_config(opt(), "linear_warmup(5)", interval="batch")
    with pytest.raises(rampup.RampupError, match="frequency must be a whole number >= 1, got 0"):
        scheduler_config(opt(), "linear_warmup(5)", frequency=0)


# -- LightningCLI --------------------------------------------------------------------------------------------------
class CLIModule(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 1)
        self.used = []

    def training_step(self, batch, i):
        x, y = batch
        return torch.nn.functional.mse_loss(self.lin(x), y)

    def on_before_optimizer_step(self, optimizer):
        self.used.append(optimizer.param_groups[0]["lr"])

    def train_dataloader(self):
        return torch.utils.data.DataLoader(Data(), batch_size=5)  # 4 batches an epoch


YAML = """\
seed_everything: 0
trainer:
  max_epochs: 3
  accelerator: cpu
  logger: false
  enable_checkpointing: false
  enable_progress_bar: false
  enable_model_summary: false
optimizer:
  class_path: torch.optim.SGD
  init_args: {lr: 0.1}
lr_scheduler:
  class_path: rampup.torch.Scheduler
  init_args:
    schedule: "linear(4) >> cosine(to=0.1)"
    total_steps: %d
"""


def run_cli(tmp_path, cli_cls, total=12):
    pytest.importorskip("jsonargparse")
    config = tmp_path / "config.yaml"
    config.write_text(YAML % total)
    cli = cli_cls(CLIModule, args=["fit", "--config", str(config)], save_config_callback=None)
    return cli.model.used


def test_lightning_cli_recipe_steps_a_yaml_scheduler_per_update(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["cli"])
    """The recipe: a LightningCLI whose configure_optimizers is rampup.lightning.configure_optimizers."""
    from lightning.pytorch.cli import LightningCLI

    class CLI(LightningCLI):
        configure_optimizers = staticmethod(rampup.lightning.configure_optimizers)

    used = run_cli(tmp_path, CLI)
    assert used == pytest.approx([0.1 * warmup_cosine(t, 4, 12, 0.1) for t in range(12)], rel=1e-12, abs=1e-15)


def test_lightning_cli_recipe_warns_when_the_yaml_budget_is_not_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["cli"])
    from lightning.pytorch.cli import LightningCLI

    class CLI(LightningCLI):
        configure_optimizers = staticmethod(rampup.lightning.configure_optimizers)

    with pytest.warns(UserWarning, match=r"lasts 40 updates.*the run 12.*total_steps: 12"):
        run_cli(tmp_path, CLI, total=40)


def test_lightning_cli_default_steps_per_epoch_and_that_warns(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["cli"])
    """LightningCLI's own configure_optimizers returns [optimizer], [scheduler]: Lightning steps it once per epoch,
    so the first epoch (4 updates) would run at LR 0. rampup's update clock notices and warns."""
    from lightning.pytorch.cli import LightningCLI

    habit = r"4 optimizer updates .*since the previous step\(\).*interval='step'"
    with pytest.warns(rampup.torch.StepWarning, match=habit):
        used = run_cli(tmp_path, LightningCLI)
    assert used[:4] == [0.0] * 4  # the habit's LR: what the warning is about
