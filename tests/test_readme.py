"""The README's example runs and says what it claims."""

import re
from pathlib import Path

import rampup

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_ten_line_example_runs_and_its_comments_are_true():
    block = re.search(r"## Ten lines\n\n```python\n(.*?)```", README, re.S).group(1)
    ns: dict = {}
    exec(compile(block, "README.md", "exec"), ns)  # the README's own example, as a user would paste it
    s = ns["s"]
    assert repr(s) == "linear_warmup(500) >> cosine_decay(9500, to=0.1)"
    assert (s(0), s(250), s(500)) == (0.0, 0.5, 1.0)
    assert s(10_000) == 0.1
    assert ns["lr"](500) == 3e-4


def test_every_spec_in_the_shape_tables_is_a_known_name():
    names = set(re.findall(r"^\| `([a-z_]+)\(", README, re.M))
    assert names, "no specs found"
    unknown = {n for n in names if n not in rampup.core.spec.FACTORIES}
    assert not unknown


def test_training_loop_lines_run_as_written():
    import torch

    import rampup.auto
    import rampup.keras
    import rampup.optax
    import rampup.sb3
    import rampup.torch

    block = re.search(r"## In your training loop\n\n```python\n(.*?)```", README, re.S).group(1)
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.98))
    batches = [torch.randn(8, 2) for _ in range(20)]

    def loss_fn(model, x):
        return ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()

    ns = {"rampup": rampup, "optimizer": optimizer, "model": model, "loss_fn": loss_fn, "batches": batches}
    exec(compile(block, "README.md", "exec"), ns)
    assert isinstance(ns["sched"], torch.optim.lr_scheduler.LRScheduler)
    assert isinstance(ns["auto"], rampup.auto.OnlineWarmup) and ns["auto"].probe_result.backward_passes >= 40
    assert ns["choice"].schedule(99) == 1.0  # the untuned rule for beta2 = 0.98: the peak at update 2/(1-0.98) - 1
