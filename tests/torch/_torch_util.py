"""Helpers shared by the tests of rampup.torch: tiny optimizers and a record of the LR each update used."""

from __future__ import annotations

import io
import math
import socket

import torch


def make_opt(lrs=(0.1, 0.03), cls=torch.optim.SGD, names=None, **kwargs):
    """An optimizer with one small parameter per group, group i at LR lrs[i]."""
    groups = []
    for i, lr in enumerate(lrs):
        g = {"params": [torch.zeros(3, requires_grad=True)], "lr": lr}
        if names is not None:
            g["name"] = names[i]
        groups.append(g)
    return cls(groups, **kwargs)


def record(opt, key="lr"):
    """A list that gets, before each real update, the value of ``key`` in every group (what that update uses)."""
    out = []
    opt.register_step_pre_hook(lambda o, a, k: out.append([float(g[key]) for g in o.param_groups]))
    return out


def update(opt):
    for g in opt.param_groups:
        for p in g["params"]:
            p.grad = torch.ones_like(p)
    opt.step()


def save_load(obj):
    """Through torch.save / torch.load(weights_only=True), as a checkpoint would go."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def warmup_cosine(t, warmup, total, floor):
    """Linear warmup from 0 over ``warmup`` updates, then cosine to ``floor`` at ``total``: the textbook formula."""
    if t < warmup:
        return t / warmup
    p = min(1.0, (t - warmup) / (total - warmup))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p))


# a tiny model and data set in the shape HF Trainer and Accelerate take (dict batches, a loss in the output)
def expected(n, base, warmup, total, floor=0.0):
    """The LR of updates 0..n-1 under linear warmup then cosine to ``floor``, times ``base`` (closed form)."""
    return [base * warmup_cosine(t, warmup, total, floor) for t in range(n)]


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 1)

    def forward(self, x, labels=None):
        out = self.lin(x).squeeze(-1)
        loss = torch.nn.functional.mse_loss(out, labels) if labels is not None else None
        return {"loss": loss, "logits": out}


class Data(torch.utils.data.Dataset):
    def __init__(self, n):
        g = torch.Generator().manual_seed(0)
        self.x, self.y = torch.randn(n, 4, generator=g), torch.randn(n, generator=g)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"x": self.x[i], "labels": self.y[i]}


def one_process_group_env(monkeypatch):
    """The environment torch.distributed reads for a one-process group on a free local port (DeepSpeed's init)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for k, v in {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": "0", "WORLD_SIZE": "1",
                 "LOCAL_RANK": "0"}.items():
        monkeypatch.setenv(k, v)
