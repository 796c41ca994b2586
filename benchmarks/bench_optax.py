"""A jitted optax Adam update with a rampup warmup + cosine schedule vs optax's own warmup_cosine_decay_schedule.

Both schedules are the same function (linear warmup over 500 updates from 0 to the peak, then cosine to 0.1 of the
peak at update 10 000; optax counts the warmup inside ``decay_steps``). The update (gradient of a small MLP's
loss, Adam, apply) is compiled once per variant; the timing is the median wall time of one call, after warmup
calls, with the two variants interleaved in rounds so machine noise hits both alike.

    python benchmarks/bench_optax.py                # print
    python benchmarks/bench_optax.py --write        # and write docs/benchmarks_frameworks.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import optax

import rampup.optax

PEAK, WARMUP, TOTAL = 1e-3, 500, 10_000


def mlp_params(key, sizes=(32, 64, 64, 1)):
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        key, k = jax.random.split(key)
        params.append({"w": jax.random.normal(k, (n_in, n_out)) / jnp.sqrt(n_in), "b": jnp.zeros(n_out)})
    return params


def loss(params, x, y):
    h = x
    for layer in params[:-1]:
        h = jnp.tanh(h @ layer["w"] + layer["b"])
    out = h @ params[-1]["w"] + params[-1]["b"]
    return jnp.mean((out - y) ** 2)


def make_step(schedule):
    opt = optax.adam(learning_rate=schedule)

    @jax.jit
    def step(params, state, x, y):
        grads = jax.grad(loss)(params, x, y)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    return opt, step


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--calls", type=int, default=500, help="timed calls per variant per round")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()

    variants = {
        "rampup": rampup.optax.schedule(f"linear({WARMUP}) >> cosine(to=0.1)", peak=PEAK, total_steps=TOTAL),
        "optax": optax.warmup_cosine_decay_schedule(0.0, PEAK, WARMUP, TOTAL, end_value=0.1 * PEAK),
    }
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (64, 32))
    y = jnp.sum(x[:, :4], axis=1, keepdims=True)
    runs = {}
    for name, sched in variants.items():
        opt, step = make_step(sched)
        params = mlp_params(jax.random.PRNGKey(1))
        state = opt.init(params)
        for _ in range(50):  # compile and warm up
            params, state = step(params, state, x, y)
        jax.block_until_ready(params)
        runs[name] = [step, params, state, []]

    for _ in range(args.rounds):
        for name, run in runs.items():
            step, params, state, times = run
            for _ in range(args.calls):
                t0 = time.perf_counter()
                params, state = step(params, state, x, y)
                jax.block_until_ready(params)
                times.append(time.perf_counter() - t0)
            run[1], run[2] = params, state

    # same schedule, same updates: the two parameter sets must agree (float32)
    diff = max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(jax.tree.leaves(runs["rampup"][1]),
                                                             jax.tree.leaves(runs["optax"][1])))
    med = {name: statistics.median(run[3]) * 1e6 for name, run in runs.items()}
    ratio = med["rampup"] / med["optax"]
    n = len(runs["rampup"][3])
    lines = [
        f"jitted Adam update, MLP 32-64-64-1, batch 64, {n} timed calls per variant ({args.rounds} interleaved rounds)",
        f"  rampup.optax.schedule('linear({WARMUP}) >> cosine(to=0.1)'): median {med['rampup']:.2f} us",
        f"  optax.warmup_cosine_decay_schedule:                  median {med['optax']:.2f} us",
        f"  ratio rampup / optax: {ratio:.3f}  (goal <= 1.05)",
        f"  max |params difference| after {50 + n} updates: {diff:.2e}",
    ]
    print("\n".join(lines))
    if args.write:
        machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores visible, "
                   f"Python {sys.version.split()[0]}, jax {jax.__version__} (CPU), optax {optax.__version__}")
        doc = Path(__file__).resolve().parents[1] / "docs" / "benchmarks_frameworks.md"
        doc.write_text(
            "# Framework adapter benchmarks\n\n"
            "## optax: rampup schedule vs optax's own, inside a jitted Adam update\n\n"
            "The rampup schedule is compiled into the same XLA program as optax's "
            "`warmup_cosine_decay_schedule` would be; this measures what that costs per update.\n\n"
            f"Command: `python benchmarks/bench_optax.py --rounds {args.rounds} --calls {args.calls} --write`\n\n"
            f"Machine: {machine}\n\n"
            "| schedule | median time per update (us) |\n|---|---|\n"
            f"| `rampup.optax.schedule(\"linear({WARMUP}) >> cosine(to=0.1)\", peak={PEAK}, total_steps={TOTAL})` "
            f"| {med['rampup']:.2f} |\n"
            f"| `optax.warmup_cosine_decay_schedule(0, {PEAK}, {WARMUP}, {TOTAL}, end_value={0.1 * PEAK:g})` "
            f"| {med['optax']:.2f} |\n\n"
            f"Ratio rampup / optax: **{ratio:.3f}** (goal: at most 1.05). The two runs apply the same updates: the "
            f"largest parameter difference after {50 + n} updates is {diff:.1e} (float32).\n\n"
            "Each variant is compiled once and warmed up with 50 calls; timed calls alternate between the "
            "variants in rounds, and each call waits for its result (`block_until_ready`). The machine is "
            "shared, so single calls are noisy; the median over all calls is the figure reported.\n"
        )
        print(f"wrote {doc}")


if __name__ == "__main__":
    main()
