"""The out-of-sample RL task of the rampup.auto evaluation (docs/auto.md): PPO on CartPole-v1, the LR warmed up
and decayed per gradient update, fixed warmups against rampup.auto.auto_warmup.

The PPO is Stable-Baselines3's (its policy, rollout collection, buffer, advantage estimation and clip-range
schedule); only the update loop of ``PPO.train`` is written out here, so that an LR scheduler on the policy's
optimizer can be stepped at every gradient update and an online controller can see each update's loss. The loop is
the PPO objective of SB3's defaults (clipped surrogate on normalised advantages, unclipped value loss, entropy
bonus, gradient clipping at ``max_grad_norm``); ``check_same_as_sb3`` holds it to SB3's own ``PPO.train`` bit for
bit at a constant LR.

Compute is charged: an automatic run trains as many gradient updates fewer as its probe took backward passes.

    python benchmarks/auto/rl_cartpole.py --lrs 2e-3,8e-3 --methods none --seeds 0,1,2,3,4 --out /tmp/rl/rows.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

N_STEPS, BATCH, EPOCHS = 512, 64, 10
ROLLOUTS = 40
UPDATES = ROLLOUTS * (N_STEPS // BATCH) * EPOCHS  # 3,200 gradient updates, 20,480 environment steps
THEN = "cosine_decay(to=0.1)"
FIXED = {"none": "constant(0) >> cosine(to=0.1)", "linear(5%)": "linear(5%) >> cosine(to=0.1)",
         "linear(20%)": "linear(20%) >> cosine(to=0.1)"}
SOLVED = 195.0  # CartPole's "solved" return; a run whose final evaluation is below it has collapsed
WINDOW = 10  # training episodes averaged for "updates to target"


def ppo_loss(policy: Any, data: Any, clip_range: float, ent_coef: float, vf_coef: float) -> Any:
    """The PPO loss of one minibatch: -min(A r, A clip(r, 1 -+ eps)) + vf_coef (R - V)^2 - ent_coef H, with the
    advantages A normalised over the minibatch and r = exp(log pi - log pi_old) (SB3's defaults: no value clipping)."""
    import torch as th
    import torch.nn.functional as F

    values, log_prob, entropy = policy.evaluate_actions(data.observations, data.actions.long().flatten())
    values = values.flatten()
    adv = data.advantages
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    ratio = th.exp(log_prob - data.old_log_prob)
    policy_loss = -th.min(adv * ratio, adv * th.clamp(ratio, 1 - clip_range, 1 + clip_range)).mean()
    value_loss = F.mse_loss(data.returns, values)
    entropy_loss = -th.mean(entropy)
    return policy_loss + ent_coef * entropy_loss + vf_coef * value_loss


def _ppo_class():
    import numpy as np
    import torch as th
    from stable_baselines3 import PPO

    class ObservedPPO(PPO):
        """SB3's PPO with its update loop written out: ``make_scheduler(model)`` builds an LR scheduler on the
        policy's optimizer at the first ``train()`` (after the first rollout, before any update); it is stepped
        after every gradient update and, when it has ``observe``, sees each update's loss and gradient norm. At
        most ``max_updates`` gradient updates are applied."""

        make_scheduler: Any = None
        max_updates: int | None = None

        def _setup_model(self) -> None:
            super()._setup_model()
            self.sched: Any = None
            self.updates = 0
            self.lr_log: list[float] = []  # the LR of every 10th gradient update

        def train(self) -> None:
            self.policy.set_training_mode(True)
            if self.make_scheduler is None:  # the check against SB3: the LR exactly as SB3 would set it
                self._update_learning_rate(self.policy.optimizer)
            elif self.sched is None:
                self.sched = self.make_scheduler(self)
            clip_range = self.clip_range(self._current_progress_remaining)
            observe = getattr(self.sched, "observe", None)
            for _ in range(self.n_epochs):
                for data in self.rollout_buffer.get(self.batch_size):
                    if self.max_updates is not None and self.updates >= self.max_updates:
                        return
                    loss = ppo_loss(self.policy, data, clip_range, self.ent_coef, self.vf_coef)
                    self.policy.optimizer.zero_grad()
                    loss.backward()
                    norm = th.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
                    if observe is not None:
                        observe(loss, grad_norm=norm)
                    if self.updates % 10 == 0:
                        self.lr_log.append(float(self.policy.optimizer.param_groups[0]["lr"]))
                    self.policy.optimizer.step()
                    if self.sched is not None:
                        self.sched.step()
                    self.updates += 1
                self._n_updates += 1

        def probe_batches(self) -> list[Any]:
            """The first rollout's minibatches for a probe, three passes over it (the numpy RNG left as it was)."""
            state = np.random.get_state()
            out = [d for _ in range(3) for d in self.rollout_buffer.get(self.batch_size)]
            np.random.set_state(state)
            return out

    return ObservedPPO


def make_model(cls: Any, lr: float, seed: int) -> Any:
    import gymnasium as gym
    from stable_baselines3.common.monitor import Monitor

    return cls("MlpPolicy", Monitor(gym.make("CartPole-v1")), learning_rate=lr, n_steps=N_STEPS, batch_size=BATCH,
               n_epochs=EPOCHS, gamma=0.98, seed=seed, device="cpu", verbose=0)


def check_same_as_sb3(rollouts: int = 2) -> None:
    """At a constant LR, the written-out loop trains the same parameters as SB3's own PPO.train, bit for bit."""
    import torch
    from stable_baselines3 import PPO

    cls = _ppo_class()
    a = make_model(PPO, 3e-3, 1)  # each model made just before it learns: both draw from torch's global RNG
    a.learn(rollouts * N_STEPS)
    b = make_model(cls, 3e-3, 1)
    b.learn(rollouts * N_STEPS)
    for (name, p), q in zip(a.policy.state_dict().items(), b.policy.state_dict().values(), strict=True):
        if not torch.equal(p, q):
            raise SystemExit(f"the written-out PPO update differs from SB3's PPO.train at {name}")
    if b.updates != rollouts * UPDATES // ROLLOUTS:
        raise SystemExit(f"expected {rollouts * UPDATES // ROLLOUTS} updates, counted {b.updates}")


def train(lr: float, method: str, seed: int) -> dict[str, Any]:
    import torch
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.monitor import Monitor

    import rampup.torch
    from rampup.auto import auto_warmup, ladder_probe

    torch.set_num_threads(1)
    cls = _ppo_class()
    info: dict[str, Any] = {}
    loss_fn = None

    def make_scheduler(model: Any) -> Any:
        nonlocal loss_fn
        opt = model.policy.optimizer
        if method != "auto":
            return rampup.torch.Scheduler(opt, FIXED[method], total_steps=UPDATES)
        clip = model.clip_range(1.0)

        def loss_fn(policy: Any, data: Any) -> Any:
            return ppo_loss(policy, data, clip, model.ent_coef, model.vf_coef)

        batches = model.probe_batches()
        # the probe's cost is known only once it has run: a first probe (it restores everything) measures it, the
        # run then trains that many updates fewer, and auto_warmup's own probe (the same result) is the charged one
        charged = ladder_probe(model.policy, opt, loss_fn, batches).backward_passes
        model.max_updates = UPDATES - charged
        sched = auto_warmup(model.policy, opt, loss_fn, batches, THEN, total_steps=UPDATES - charged)
        r = sched.probe_result
        assert r.backward_passes == charged
        info.update(start=r.start, forward=r.forward_passes, backward=r.backward_passes, trials=r.trials,
                    growth=sched.growth, growth_rule=sched.growth_rule)
        return sched

    class Episodes(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.episodes: list[tuple[int, int, float]] = []

        def _on_step(self) -> bool:
            for i in self.locals["infos"]:
                if "episode" in i:
                    self.episodes.append((self.num_timesteps, self.model.updates, float(i["episode"]["r"])))
            return True

    t0 = time.perf_counter()
    model = make_model(cls, lr, seed)
    model.make_scheduler = make_scheduler
    model.max_updates = UPDATES
    cb = Episodes()
    model.learn(ROLLOUTS * N_STEPS, callback=cb)
    if method == "auto":
        info.update(handover=model.sched.handover, decisions=model.sched.decisions, final_factor=model.sched.factor)
    env = Monitor(__import__("gymnasium").make("CartPole-v1"))
    env.reset(seed=10_000 + seed)
    mean, std = evaluate_policy(model, env, n_eval_episodes=20, deterministic=True)
    rets = [e[2] for e in cb.episodes]
    to_target = None
    for k in range(WINDOW, len(rets) + 1):
        if sum(rets[k - WINDOW:k]) / WINDOW >= SOLVED:
            to_target = cb.episodes[k - 1][1]
            break
    return {"task": "cartpole", "lr": lr, "method": method, "seed": seed, "updates": model.updates,
            "final_return": float(mean), "final_return_std": float(std), "collapsed": float(mean) < SOLVED,
            "updates_to_target": to_target, "episodes": cb.episodes, "lr_every_10": model.lr_log,
            "wall_s": time.perf_counter() - t0, "info": info}


def _job(args: tuple[float, str, int]) -> dict[str, Any]:
    return train(*args)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--lrs", required=True)
    ap.add_argument("--methods", default="none,linear(5%),linear(20%),auto")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--out", default="/tmp/rl/rows.jsonl")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-check", action="store_true")
    a = ap.parse_args()
    if not a.no_check:
        check_same_as_sb3()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    done = set()
    if os.path.exists(a.out):
        done = {(r["lr"], r["method"], r["seed"]) for r in map(json.loads, open(a.out))}
    todo = [(float(lr), m, int(s)) for lr, m, s in itertools.product(a.lrs.split(","), a.methods.split(","),
                                                                       a.seeds.split(","))
            if (float(lr), m, int(s)) not in done]
    print(f"{len(todo)} runs to do", flush=True)
    with open(a.out, "a") as f, ProcessPoolExecutor(a.workers) as pool:
        for r in pool.map(_job, todo):
            f.write(json.dumps(r) + "\n")
            f.flush()
            print(r["lr"], r["method"], r["seed"], r["final_return"], r["updates_to_target"], r["updates"],
                  round(r["wall_s"], 1), flush=True)


if __name__ == "__main__":
    main()
