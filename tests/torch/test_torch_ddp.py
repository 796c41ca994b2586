"""DDP with torch.distributed (gloo, 2 processes on CPU) and Accelerate under torchrun: every rank uses the same
LR at every update, bit for bit, and it is the closed form."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from _torch_util import warmup_cosine

WORKER = os.path.join(os.path.dirname(__file__), "_ddp_worker.py")


def test_two_ranks_see_the_identical_lr_sequence(tmp_path):
    pytest.importorskip("accelerate")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(port),
           WORKER, str(tmp_path), "accelerate"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert ranks[0]["world"] == ranks[1]["world"] == 2
    assert ranks[0]["ddp"] == ranks[1]["ddp"]  # hex floats: bit for bit
    ddp = [[float.fromhex(x) for x in row] for row in ranks[0]["ddp"]]
    assert len(ddp) == 8
    for t, (a, b) in enumerate(ddp):
        w = warmup_cosine(t, 3, 8, 0.1)
        assert a == pytest.approx(0.1 * w, rel=1e-12, abs=1e-15) and b == pytest.approx(0.03 * w, rel=1e-12,
                                                                                           abs=1e-15)
    # Accelerate (split_batches=False) calls the prepared scheduler once per process per update: 2 x 6 calls;
    # rampup's scheduler counts the 6 updates, so the plan in updates holds on every rank
    assert ranks[0]["accelerate"] == ranks[1]["accelerate"]
    assert ranks[0]["accelerate_calls"] == 12
    acc = [float.fromhex(row[0]) for row in ranks[0]["accelerate"]]
    want = [0.2 * (t / 2 if t < 2 else 1 - (t - 2) / 4) for t in range(6)]
    assert acc == pytest.approx(want, rel=1e-12, abs=1e-15)
