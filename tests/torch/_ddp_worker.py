"""Run by tests/torch/test_torch_ddp.py under ``torch.distributed.run`` (2 processes, gloo): a few DDP updates
with rampup's Scheduler, then the same through Accelerate; each rank writes the LRs its optimizer used, as hex
floats, for a bit-for-bit comparison across ranks."""

from __future__ import annotations

import json
import os
import sys


def record(optimizer, out):
    """Record, before each real update, the LR of every param group (what that update uses)."""
    optimizer.register_step_pre_hook(lambda opt, a, k: out.append([float(g["lr"]).hex() for g in opt.param_groups]))


def plain_ddp(rank: int) -> list:
    import torch
    import torch.distributed as dist

    import rampup.torch

    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 1)))
    opt = torch.optim.SGD([{"params": model.module[0].parameters(), "lr": 0.1},
                           {"params": model.module[1].parameters(), "lr": 0.03}], momentum=0.9)
    sched = rampup.torch.Scheduler(opt, "linear(3) >> cosine(to=0.1)", total_steps=8)
    lrs: list = []
    record(opt, lrs)
    g = torch.Generator().manual_seed(rank)
    for _ in range(8):
        loss = model(torch.randn(5, 4, generator=g)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    dist.barrier()
    return lrs


def accelerate_run() -> tuple[list, int]:
    import torch
    from accelerate import Accelerator

    import rampup.torch

    acc = Accelerator(cpu=True)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    sched = rampup.torch.Scheduler(opt, "linear(2) >> linear(4)", total_steps=6)
    calls = [0]
    inner_step = sched.step

    def counted(*a, **k):
        calls[0] += 1
        return inner_step(*a, **k)

    sched.step = counted  # count how often Accelerate calls the scheduler, to show it is more than once per update
    data = torch.utils.data.DataLoader(torch.randn(12 * acc.num_processes, 4), batch_size=2)
    model, opt, data, psched = acc.prepare(model, opt, data, sched)
    lrs: list = []
    record(opt.optimizer, lrs)
    for x in data:
        loss = model(x).pow(2).mean()
        acc.backward(loss)
        opt.step()
        psched.step()
        opt.zero_grad()
    return lrs, calls[0]


def main() -> None:
    out = sys.argv[1]
    import torch.distributed as dist

    dist.init_process_group("gloo")
    rank = dist.get_rank()
    result = {"world": dist.get_world_size(), "ddp": plain_ddp(rank)}
    if len(sys.argv) > 2 and sys.argv[2] == "accelerate":
        result["accelerate"], result["accelerate_calls"] = accelerate_run()
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(result, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
