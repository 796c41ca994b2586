"""OnlineWarmup under torch.distributed (gloo, 2 processes on CPU): the ranks see different losses, spikes and NaNs,
and still use the bit-identical LR at every update, because every decision comes from the signals gathered from all
ranks. A controller that looks only at its own rank (a process group of one) gives different LRs: the test can fail."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

pytest.importorskip("torch")

WORKER = os.path.join(os.path.dirname(__file__), "_auto_ddp_worker.py")


def test_two_ranks_make_the_same_decisions(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(port),
           WORKER, str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r0, r1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2))
    for every in (1, 3):
        assert r0[f"agreed{every}"] == r1[f"agreed{every}"]  # hex floats: bit for bit
        assert r0[f"decisions{every}"] == r1[f"decisions{every}"]
        d = r0[f"decisions{every}"]
        assert d["backoff"] >= 1 and d["skip"] >= 1  # rank 1's spikes and rank 0's NaN moved both ranks
        lrs = [float.fromhex(x) for x in r0[f"agreed{every}"]]
        assert all(0 < x <= 0.1 for x in lrs)
    assert r0["alone"] != r1["alone"]  # on its own, each rank would have decided otherwise
    assert r0["alone_decisions"]["skip"] >= 1 and r1["alone_decisions"]["backoff"] >= 1
