"""Run by test_auto_ddp.py under torch.distributed.run (2 processes, gloo): DDP training with OnlineWarmup where the
ranks see different data and different losses (rank 1 gets planted spikes, rank 0 a NaN). Writes each rank's LR
sequence (hex floats) for the agreed controller and for a controller that only looks at its own rank."""

import json
import os
import sys

import torch
import torch.distributed as dist

from rampup.auto import OnlineSettings, OnlineWarmup


def run(rank, group, every):
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = OnlineWarmup(opt, start=0.05, growth=0.15, process_group=group,
                         settings=OnlineSettings(every=every, min_history=3))
    gen = torch.Generator().manual_seed(100 + rank)
    lrs = []
    for t in range(40):
        x = torch.randn(8, 4, generator=gen)
        loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        seen = loss.detach()
        if rank == 1 and t in (12, 13, 25):
            seen = seen * 50  # what this rank reports: a spike only it sees
        if rank == 0 and t == 20:
            seen = seen * float("nan")
        sched.observe(seen)
        lrs.append(opt.param_groups[0]["lr"].hex())
        opt.step()
        sched.step()
    return lrs, sched.decisions


def main():
    out = sys.argv[1]
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    alone = [dist.new_group([r]) for r in range(2)]  # every rank must take part in creating each group
    result = {}
    for every in (1, 3):
        result[f"agreed{every}"], result[f"decisions{every}"] = run(rank, None, every)
    result["alone"], result["alone_decisions"] = run(rank, alone[rank], 1)
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(result, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
