"""The evaluation harness of rampup.auto (benchmarks/auto) holds the two properties its figures rest on: the
written-out PPO update trains what SB3's own PPO.train trains, and a run with compute charged trains exactly as many
updates fewer as its probe took backward passes."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "auto"))


def test_written_out_ppo_update_is_sb3s_bit_for_bit():
    pytest.importorskip("stable_baselines3")
    import rl_cartpole

    rl_cartpole.check_same_as_sb3(rollouts=1)  # raises SystemExit with the first parameter that differs


def test_written_out_ppo_detects_a_different_update():
    pytest.importorskip("stable_baselines3")
    import rl_cartpole

    real = rl_cartpole.ppo_loss
    try:  # a value coefficient off by a factor 2: the check must see it
        rl_cartpole.ppo_loss = lambda policy, data, clip, ent, vf: real(policy, data, clip, ent, 2 * vf)
        with pytest.raises(SystemExit, match="differs"):
            rl_cartpole.check_same_as_sb3(rollouts=1)
    finally:
        rl_cartpole.ppo_loss = real


def test_charged_auto_run_trains_its_probe_cost_fewer_updates():
    pytest.importorskip("torch")
    from _train import probe_cost, train

    cost = probe_cost("digits-largebatch", {"quick": True}, 0.4, 0)
    r = train("digits-largebatch", {"quick": True}, 0.4, "auto", 0, 100, steps_per_epoch=1,
              then="cosine_decay(to=0.1)", charge=True)
    assert cost >= 40 and cost % 20 == 0  # 20 updates per rung, at least two rungs
    assert r["info"]["backward"] == cost and r["info"]["budget"] == 100
    assert r["updates"] == 100 - cost and len(r["train_loss"]) == 100 - cost
