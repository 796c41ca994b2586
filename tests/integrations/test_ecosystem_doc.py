"""docs/ecosystem.md runs as written: each Python block in a fresh interpreter, without the suite's conftest
settings (no KERAS_BACKEND, no TOKENIZERS_PARALLELISM), in an empty folder holding the page's config files. After a
block has run, a few lines of this test check what it built against the closed form; rampup must have warned about
nothing (a correct snippet gets no StepWarning and no notice that a setting is ignored)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import rampup

DOC = Path(__file__).parents[2] / "docs" / "ecosystem.md"
FENCE = re.compile(r"^```(\w+)[ \t]*([^\n]*)\n(.*?)^```", re.S | re.M)


def sections():
    """(heading, [(language, info, code), ...]) for each ``##``/``###`` section of the page."""
    out = []
    for part in re.split(r"^(?=##+ )", DOC.read_text(), flags=re.M):
        heading = part.splitlines()[0].lstrip("# ").strip() if part.startswith("#") else ""
        out.append((heading, FENCE.findall(part)))
    return out


BLOCKS = [(heading, i, code, [b for b in blocks if b[0] == "yaml"])
          for heading, blocks in sections()
          for i, code in enumerate(code for lang, _, code in blocks if lang == "python")]

# what each block must have done, by (section, index of the block in its section); closed-form values
CHECKS = {
    ("Plain PyTorch", 0): "assert abs(scheduler.get_last_lr()[0] - 0.1 * 3e-4) < 1e-15, scheduler.get_last_lr()",
    ("Plain PyTorch", 1): (
        "import math\n"
        "s = scheduler.schedules['lr'][0]\n"
        "assert s.phases[0].duration == math.ceil(0.05 * 200), s\n"
        "assert scheduler.values(10)['lr'] == [3e-4]"),
    ("HF Trainer", 0): (
        "assert type(trainer.lr_scheduler).__name__ == 'Scheduler'\n"
        "assert trainer.lr_scheduler.last_epoch == 2 * 4  # 64 / 8 = 8 batches an epoch, by 2: 4 updates\n"
        "assert abs(trainer.lr_scheduler.get_last_lr()[0] - 0.1 * args.learning_rate) < 1e-15"),
    ("HF Trainer", 1): (
        "import torch\n"
        "class M(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.lin = torch.nn.Linear(2, 1)\n"
        "    def forward(self, x, labels):\n"
        "        return {'loss': (self.lin(x).squeeze(-1) - labels).pow(2).mean()}\n"
        "data = [{'x': torch.randn(2), 'labels': torch.randn(())} for _ in range(16)]\n"
        "args = transformers.TrainingArguments('out', num_train_epochs=2, per_device_train_batch_size=4,\n"
        "                                      report_to=[], use_cpu=True)\n"
        "t = Trainer(model=M(), args=args, train_dataset=data)\n"
        "t.train()\n"
        "assert t.lr_scheduler.last_epoch == 8\n"
        "assert abs(t.lr_scheduler.get_last_lr()[0] - 0.1 * args.learning_rate) < 1e-15"),
    ("Lightning", 0): (
        "config = trainer.lr_scheduler_configs[0]\n"
        "assert config.interval == 'step'\n"
        "assert config.scheduler.last_epoch == 2 * 4  # 8 batches an epoch, accumulated by 2\n"
        "assert abs(config.scheduler.get_last_lr()[0] - 1e-4) < 1e-15"),
    ("LightningCLI", 0): (
        "config = cli.trainer.lr_scheduler_configs[0]\n"
        "assert config.interval == 'step' and config.scheduler.last_epoch == 16\n"
        "assert abs(config.scheduler.get_last_lr()[0] - 1e-4) < 1e-15"),
    ("Accelerate", 0): (
        "assert scheduler.last_epoch == 2 * 4\n"
        "assert abs(scheduler.get_last_lr()[0] - 1e-4) < 1e-15"),
    ("DeepSpeed", 0): (
        "assert scheduler.last_epoch == 20\n"
        "assert abs(scheduler.get_last_lr()[0] - 1e-4) < 1e-15"),
    ("timm-style epoch loops", 0): (
        "assert scheduler.last_epoch == 5 * 8\n"
        "assert abs(scheduler.values(16)['lr'][0] - 0.1) < 1e-15  # the peak after 2 epochs of 8 updates\n"
        "assert abs(scheduler.get_last_lr()[0] - 0.1 * 0.01) < 1e-15"),
    ("optax", 0): (
        "assert float(lr(0)) == 0.0 and abs(float(lr(5)) - 1e-3) < 1e-12 and abs(float(lr(100)) - 1e-4) < 1e-12\n"
        "assert int(state[0].count) == 100 if hasattr(state[0], 'count') else True"),
    ("Keras", 0): (
        "assert os.environ['KERAS_BACKEND'] == keras.backend.backend() == 'torch'\n"
        "assert int(model.optimizer.iterations) == 16\n"
        "assert abs(float(lr(16)) - 1e-4) < 1e-9"),
    ("Stable-Baselines3", 0): (
        "assert model.num_timesteps == 512\n"
        "# SB3 sets the LR before each rollout's training, at the step count then: 512, the floor\n"
        "assert all(abs(g['lr'] - 0.1 * 3e-4) < 1e-15 for g in model.policy.optimizer.param_groups)"),
}
# a warning of rampup's: the clock's, the interval one, or a notice that a setting does not apply
RAMPUP_WARNING = re.compile(r"(StepWarning|StepIntervalWarning): |UserWarning: (get_scheduler|create_scheduler|"
                            r"configure_optimizers|scheduler_config|warmup_steps): ")


def test_every_ecosystem_has_a_block_and_a_check():
    headings = {h for h, *_ in BLOCKS}
    for name in ("Plain PyTorch", "HF Trainer", "Lightning", "LightningCLI", "Accelerate", "DeepSpeed",
                 "timm-style epoch loops", "optax", "Keras", "Stable-Baselines3"):
        assert name in headings
    assert {(h, i) for h, i, *_ in BLOCKS} == set(CHECKS)
    assert "KERAS_BACKEND" in DOC.read_text()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


@pytest.mark.parametrize("heading,index,code,files", BLOCKS, ids=[f"{h}-{i}" for h, i, *_ in BLOCKS])
def test_block_runs_as_written(tmp_path, heading, index, code, files):
    for _, name, text in files:
        (tmp_path / name.strip()).write_text(text)
    env = {k: v for k, v in os.environ.items()
           if k not in ("KERAS_BACKEND", "TOKENIZERS_PARALLELISM") and not k.startswith("PYTEST")}
    # the rampup under test, whatever checkout the installed one points to
    env["PYTHONPATH"] = os.pathsep.join([str(Path(rampup.__file__).parents[1]), env.get("PYTHONPATH", "")])
    env["MASTER_PORT"] = _free_port()  # the DeepSpeed block's setdefault keeps it: no clash with other runs
    program = code + "\n# --- the test's checks ---\n" + CHECKS[(heading, index)] + "\n"
    r = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, f"{heading} block {index} failed:\n{r.stderr[-4000:]}"
    warned = [line for line in r.stderr.splitlines() if RAMPUP_WARNING.search(line)]
    assert not warned, f"{heading} block {index}: rampup warned: {warned}"
