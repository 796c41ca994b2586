"""rampup.torch.log_lr writes the LR each update used, per group, into a real TensorBoard event file."""

from __future__ import annotations

import pytest
import torch
from _torch_util import make_opt, update

import rampup
from rampup.torch import Scheduler, log_lr


def test_summary_writer_event_file(tmp_path):
    tb = pytest.importorskip("torch.utils.tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    opt = make_opt((0.1, 0.03), names=["body", "head"], cls=torch.optim.AdamW, weight_decay=0.1)
    sched = Scheduler(opt, "linear(4) >> linear_decay()", total_steps=8, hparams={"beta2": "constant()"})
    writer = tb.SummaryWriter(str(tmp_path))
    handle = log_lr(opt, writer, keys=("lr", "beta2"))
    for _ in range(8):
        update(opt)
        sched.step()
    handle.remove()
    update(opt)  # not logged any more
    writer.close()
    ea = EventAccumulator(str(tmp_path))
    ea.Reload()
    assert sorted(ea.Tags()["scalars"]) == ["beta2/body", "beta2/head", "lr/body", "lr/head"]
    for name, base in (("body", 0.1), ("head", 0.03)):
        events = ea.Scalars(f"lr/{name}")
        assert [e.step for e in events] == list(range(8))
        want = [base * (t / 4 if t < 4 else 1 - (t - 4) / 4) for t in range(8)]
        assert [e.value for e in events] == pytest.approx(want, rel=1e-6)  # stored as float32
    assert [e.value for e in ea.Scalars("beta2/head")] == pytest.approx([0.999] * 8, rel=1e-6)


def test_bad_writer():
    with pytest.raises(rampup.RampupError, match="writer must have add_scalar"):
        log_lr(make_opt(), 42)
