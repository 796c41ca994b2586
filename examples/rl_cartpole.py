"""PPO on CartPole-v1 with and without a learning-rate warmup (rampup.sb3.LRSchedule), several seeds.

Exploratory: no controlled study of plain LR warmup for PPO is known, so this reports what a small run shows.
Every variant uses the same PPO settings and the same peak LR; only the schedule differs:

- ``no warmup``: ``constant()`` at the peak;
- ``warmup``: ``linear(10%) >> constant()``: a linear warmup over the first 10% of the environment steps.

The LR is counted in environment steps (``unit="env_steps"``) and SB3 writes it once per rollout.

    python examples/rl_cartpole.py                       # 3 seeds x 2 variants x 40k steps, writes docs/rl*
    python examples/rl_cartpole.py --seeds 1 --timesteps 5000 --no-write    # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

import rampup.sb3

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = {"no warmup": "constant()", "warmup": "linear(10%) >> constant()"}


def run(spec: str, seed: int, timesteps: int, peak: float) -> dict:
    import gymnasium as gym
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.monitor import Monitor

    class Episodes(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.episodes: list[tuple[int, float]] = []

        def _on_step(self) -> bool:
            for info in self.locals["infos"]:
                if "episode" in info:
                    self.episodes.append((self.num_timesteps, float(info["episode"]["r"])))
            return True

    lr = rampup.sb3.LRSchedule(spec, peak=peak, unit="env_steps", total_steps=timesteps)
    env = Monitor(gym.make("CartPole-v1"))
    model = PPO("MlpPolicy", env, learning_rate=lr, n_steps=512, batch_size=64, n_epochs=10, gamma=0.98,
                seed=seed, device="cpu", verbose=0)
    lr.bind(model)
    cb = Episodes()
    t0 = time.perf_counter()
    model.learn(timesteps, callback=cb)
    seconds = time.perf_counter() - t0
    eval_env = Monitor(gym.make("CartPole-v1"))
    eval_env.reset(seed=10_000 + seed)
    mean, std = evaluate_policy(model, eval_env, n_eval_episodes=20, deterministic=True)
    return {"episodes": cb.episodes, "final": float(mean), "final_std": float(std), "seconds": seconds}


def curve(episodes: list[tuple[int, float]], timesteps: int, bin_size: int) -> np.ndarray:
    """Mean training-episode return in each bin of environment steps (NaN where no episode ended)."""
    edges = np.arange(0, timesteps + bin_size, bin_size)
    t = np.array([e[0] for e in episodes])
    r = np.array([e[1] for e in episodes])
    out = np.full(len(edges) - 1, np.nan)
    for i in range(len(out)):
        m = (t > edges[i]) & (t <= edges[i + 1])
        if m.any():
            out[i] = r[m].mean()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--timesteps", type=int, default=40_000)
    ap.add_argument("--peak", type=float, default=1e-3)
    ap.add_argument("--bin", type=int, default=2_000)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)

    start = time.perf_counter()
    results: dict[str, list[dict]] = {name: [] for name in VARIANTS}
    for seed in range(args.seeds):
        for name, spec in VARIANTS.items():
            r = run(spec, seed, args.timesteps, args.peak)
            results[name].append(r)
            print(f"{name:10s} seed {seed}: final return {r['final']:.1f} +- {r['final_std']:.1f} "
                  f"({r['seconds']:.0f} s)", flush=True)
    total_s = time.perf_counter() - start

    rows = []
    curves = {}
    for name, runs in results.items():
        finals = np.array([r["final"] for r in runs])
        c = np.array([curve(r["episodes"], args.timesteps, args.bin) for r in runs])
        curves[name] = c
        # steps until the mean training return (across seeds) first reaches 195 in a bin
        mean_c = np.nanmean(c, axis=0)
        hit = np.flatnonzero(mean_c >= 195)
        first = f"{(hit[0] + 1) * args.bin:,}" if hit.size else "not reached"
        last = np.nanmean(c[:, -3:])
        rows.append((name, VARIANTS[name], finals, last, first))
        print(f"{name}: final {finals.mean():.1f} +- {finals.std():.1f} (seeds {finals.tolist()}), "
              f"training return over the last {3 * args.bin} steps {last:.1f}, mean curve >= 195 at {first}")
    print(f"total {total_s:.0f} s")
    if args.no_write:
        return

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = ROOT / "docs" / "rl"
    out_dir.mkdir(parents=True, exist_ok=True)
    x = np.arange(1, args.timesteps // args.bin + 1) * args.bin
    fig, (ax_lr, ax) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1, 2]})
    steps = np.arange(args.timesteps + 1)
    for name, spec in VARIANTS.items():
        s = rampup.parse(spec, total_steps=args.timesteps).scale(args.peak)
        ax_lr.plot(steps, s(steps.astype(float)), label=f"{name}: {spec}")
        c = curves[name]
        m = np.nanmean(c, axis=0)
        lo, hi = np.nanmin(c, axis=0), np.nanmax(c, axis=0)
        ax.plot(x, m, label=f"{name} (mean of {args.seeds} seeds)")
        ax.fill_between(x, lo, hi, alpha=0.2)
    ax_lr.set(xlabel="environment steps", ylabel="learning rate", title="schedule")
    ax_lr.legend(fontsize=8)
    ax.set(xlabel="environment steps", ylabel="training episode return",
           title=f"PPO CartPole-v1, peak LR {args.peak:g} (band: min-max over seeds)")
    ax.axhline(500, color="grey", lw=0.5)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "cartpole.png", dpi=110)
    (out_dir / "cartpole.json").write_text(json.dumps(
        {name: [{"final": r["final"], "final_std": r["final_std"], "seconds": r["seconds"]} for r in runs]
         for name, runs in results.items()}, indent=1))

    cmd = (f"python examples/rl_cartpole.py --seeds {args.seeds} --timesteps {args.timesteps} --peak {args.peak:g}"
           f" --bin {args.bin}")
    table = "\n".join(
        f"| {name} | `{spec}` | {finals.mean():.1f} ± {finals.std():.1f} | "
        f"{', '.join(f'{v:.0f}' for v in finals)} | {last:.1f} | {first} |"
        for name, spec, finals, last, first in rows
    )
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores (shared), torch {torch.__version__} CPU, 1 thread"
    (ROOT / "docs" / "rl.md").write_text(f"""# LR warmup in reinforcement learning: PPO on CartPole

An exploratory run, not a controlled study: no published study of plain LR warmup for PPO is known (Ellis et al.,
arXiv 2412.17113, study Adam's oversized updates after target-network changes in value-based RL, a different
question). The numbers below are what this small run measured, on few seeds; read them as such.

Setup: Stable-Baselines3 PPO, `MlpPolicy`, one `CartPole-v1` environment, `n_steps=512`, `batch_size=64`,
`n_epochs=10`, `gamma=0.98`, other settings SB3's defaults; peak LR {args.peak:g}; {args.timesteps:,} environment
steps per run; seeds 0..{args.seeds - 1}; `device="cpu"`. The LR comes from `rampup.sb3.LRSchedule(spec,
peak={args.peak:g}, unit="env_steps", total_steps={args.timesteps})`; SB3 writes it once per rollout (every 512 steps).
Final return: mean of 20 deterministic evaluation episodes after training (500 is the maximum).

![PPO CartPole returns with and without LR warmup](rl/cartpole.png)

| variant | schedule | final return (mean ± std over seeds) | per seed | training return, last {3 * args.bin:,} steps | mean curve first >= 195 at step |
|---|---|---|---|---|---|
{table}

Command: `{cmd}`

Machine: {machine}. Run time: {total_s / 60:.1f} minutes for all {args.seeds * len(VARIANTS)} runs.

What it shows: see the table; with {args.seeds} seeds the seed-to-seed spread is of the same order as any
difference between the variants, so no conclusion about warmup in PPO should be drawn from it.
""")
    print(f"wrote {out_dir / 'cartpole.png'} and {ROOT / 'docs' / 'rl.md'}")


if __name__ == "__main__":
    main()
