"""rampup.sb3 in real Stable-Baselines3 training runs (CartPole, a few hundred steps, CPU)."""

import base64
import math
import pickle

import numpy as np
import pytest

sb3 = pytest.importorskip("stable_baselines3")
gym = pytest.importorskip("gymnasium")
from stable_baselines3 import DQN, PPO  # noqa: E402
from stable_baselines3.common.callbacks import BaseCallback  # noqa: E402
from stable_baselines3.common.utils import LinearSchedule  # noqa: E402

import rampup  # noqa: E402
import rampup.sb3  # noqa: E402

PEAK = 1e-3


def ppo(lr, seed=0):
    # 32 env steps per rollout, 2 epochs of 2 minibatches: 4 gradient updates per train() call
    return PPO("MlpPolicy", gym.make("CartPole-v1"), learning_rate=lr, n_steps=32, batch_size=16, n_epochs=2,
               seed=seed, device="cpu", policy_kwargs={"net_arch": [8]})


def record_updates(model):
    """(num_timesteps, lr) at every optimizer update, read by a torch pre-step hook on the real optimizer."""
    seen = []
    opt = model.policy.optimizer
    opt.register_step_pre_hook(lambda *_: seen.append((model.num_timesteps, opt.param_groups[0]["lr"])))
    return seen


def warmup_cosine(t, w, total, floor=0.1):
    t = np.asarray(t, dtype=np.float64)
    p = np.clip((t - w) / (total - w), 0.0, 1.0)
    return PEAK * np.where(t < w, t / w, floor + (1 - floor) * 0.5 * (1 + np.cos(np.pi * p)))


def test_env_step_clock_is_continuous_across_learn_calls():
    total = 256
    split = rampup.sb3.LRSchedule("linear(25%) >> cosine(to=0.1)", peak=PEAK, total_steps=total)
    model = split.bind(ppo(split))
    seen = record_updates(model)
    model.learn(128)
    model.learn(128, reset_num_timesteps=False)

    once = rampup.sb3.LRSchedule("linear(25%) >> cosine(to=0.1)", peak=PEAK, total_steps=total)
    one = once.bind(ppo(once, seed=1))
    seen_once = record_updates(one)
    one.learn(256)

    assert len(seen) == len(seen_once) == 4 * (total // 32)
    assert seen == seen_once  # the same LR at the same env step, however learn() is split
    steps = np.array([n for n, _ in seen])
    np.testing.assert_allclose([lr for _, lr in seen], warmup_cosine(steps, 64, total), rtol=1e-12, atol=0)


def test_sb3_native_progress_restarts_on_a_second_learn_call():
    # the problem LRSchedule solves: SB3's progress_remaining restarts for each learn() call
    native = rampup.sb3.progress_schedule("linear(25%) >> cosine(to=0.1)", peak=PEAK, total_timesteps=128)
    model = ppo(native)
    seen = record_updates(model)
    model.learn(128)
    first = [lr for _, lr in seen]
    seen.clear()
    model.learn(128)  # reset_num_timesteps=True: progress and the warmup start again
    assert [lr for _, lr in seen] == first
    # within one call, it is the step-based schedule at num_timesteps
    np.testing.assert_allclose(first, warmup_cosine([32, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 96, 128, 128, 128,
                                                     128], 32, 128), rtol=1e-12)


def test_update_clock_counts_every_minibatch_update_and_survives_save_load(tmp_path):
    lr = rampup.sb3.LRSchedule("linear(8) >> constant()", peak=PEAK, unit="updates")
    model = lr.bind(ppo(lr))
    seen = record_updates(model)
    model.learn(96)
    # SB3 sets the LR once per train() call (4 updates here), at the updates applied so far: 0, 4, 8
    assert [x for _, x in seen] == [0.0] * 4 + [PEAK / 2] * 4 + [PEAK] * 4
    assert lr.step == 12 and model._n_updates == 6  # SB3's _n_updates counts PPO epochs, not updates

    seen.clear()
    model.learn(64)  # reset_num_timesteps=True resets SB3's counters, not the update count
    assert lr.step == 20 and [x for _, x in seen] == [PEAK] * 8

    model.save(tmp_path / "ppo")
    loaded = PPO.load(tmp_path / "ppo", env=gym.make("CartPole-v1"), device="cpu")
    restored = loaded.learning_rate
    assert isinstance(restored, rampup.sb3.LRSchedule) and restored.step == 20
    assert restored.schedule == lr.schedule
    with pytest.raises(rampup.RampupError, match=r"bind\(model\)"):
        loaded.learn(32)
    restored.bind(loaded)
    seen_loaded = record_updates(loaded)
    loaded.learn(32)
    assert restored.step == 24 and [x for _, x in seen_loaded] == [PEAK] * 4


def test_warmup_in_updates_matches_closed_form_per_train_call():
    lr = rampup.sb3.LRSchedule("linear(10) >> cosine(30, to=0.1)", peak=PEAK, unit="updates")
    model = lr.bind(ppo(lr))
    seen = record_updates(model)
    model.learn(320)
    starts = 4 * (np.arange(40) // 4)  # updates applied when each train() call began
    np.testing.assert_allclose([x for _, x in seen], warmup_cosine(starts, 10, 40), rtol=1e-12, atol=0)


class _Eps(BaseCallback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def _on_step(self):
        # DQN updates exploration_rate after the callback, so this is the value for num_timesteps - 1
        self.seen.append((self.model.num_timesteps - 1, self.model.exploration_rate))
        return True


def _dqn(seed=0):
    return DQN("MlpPolicy", gym.make("CartPole-v1"), learning_starts=50, buffer_size=500, train_freq=4,
               batch_size=16, seed=seed, device="cpu", policy_kwargs={"net_arch": [8]})


def test_epsilon_schedule_reproduces_sb3_default_and_drives_dqn():
    total = 200
    native = _dqn()
    cb_native = _Eps()
    native.learn(total, callback=cb_native)

    eps = rampup.sb3.EpsilonSchedule("linear_decay(10%, to=0.05)", total_steps=total)
    ours = eps.bind(_dqn())
    cb_ours = _Eps()
    ours.learn(total, callback=cb_ours)
    assert len(cb_ours.seen) == total
    # SB3's LinearSchedule(1.0, 0.05, 0.1) against rampup's linear decay, step by step in a real run
    np.testing.assert_allclose(np.array(cb_ours.seen[1:]), np.array(cb_native.seen[1:]), rtol=1e-12, atol=1e-15)
    sb3_default = LinearSchedule(1.0, 0.05, 0.1)
    for n in range(total + 1):
        assert eps.schedule(n) == pytest.approx(sb3_default(1 - n / total), rel=1e-12, abs=1e-15)

    # a shape SB3 does not have: hold epsilon at 1 for 50 steps (the learning_starts), then cosine to 0.02
    eps2 = rampup.sb3.EpsilonSchedule("constant(50) >> cosine(100, to=0.02)")
    model = eps2.bind(_dqn())
    cb = _Eps()
    model.learn(total, callback=cb)
    n = np.array([k for k, _ in cb.seen[1:]])
    expected = np.where(n < 50, 1.0, 0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * np.clip((n - 50) / 100, 0, 1))))
    np.testing.assert_allclose([e for _, e in cb.seen[1:]], expected, rtol=1e-12, atol=1e-15)


def test_bad_input_is_refused_with_named_values():
    with pytest.raises(rampup.RampupError, match=r"total_steps must be >= 1.*got 0"):
        rampup.sb3.LRSchedule("linear(5%) >> cosine()", peak=PEAK, total_steps=0)
    with pytest.raises(rampup.RampupError, match=r"total_timesteps.*got 0"):
        rampup.sb3.progress_schedule("linear(5%) >> cosine()", peak=PEAK, total_timesteps=0)
    with pytest.raises(rampup.BudgetError, match=r"5%.*total_steps"):
        rampup.sb3.LRSchedule("linear(5%) >> cosine()", peak=PEAK)
    with pytest.raises(rampup.BudgetError, match=r"10%.*total_steps"):
        rampup.sb3.EpsilonSchedule("linear_decay(10%, to=0.05)")
    with pytest.raises(rampup.RampupError, match=r"count.*'epochs'"):
        rampup.sb3.LRSchedule("linear(10) >> constant()", peak=PEAK, unit="epochs")
    with pytest.raises(rampup.RampupError, match=r"peak.*nan"):
        rampup.sb3.LRSchedule("linear(10) >> constant()", peak=float("nan"))
    with pytest.raises(rampup.RampupError, match=r"progress_remaining.*1\.5"):
        rampup.sb3.progress_schedule("linear(10%) >> cosine()", peak=PEAK, total_timesteps=100)(1.5)
    lr = rampup.sb3.LRSchedule("linear(10) >> constant()", peak=PEAK, unit="updates")
    with pytest.raises(rampup.RampupError, match=r"count='updates'.*object"):
        lr.bind(object())
    with pytest.raises(rampup.RampupError, match="exploration_schedule"):
        rampup.sb3.EpsilonSchedule("linear_decay(10, to=0.05)").bind(ppo(1e-3))


def test_unbound_schedule_refuses_to_train():
    lr = rampup.sb3.LRSchedule("linear(10) >> constant()", peak=PEAK)
    model = ppo(lr)  # building the optimizer calls lr(1.0): allowed, the start value
    with pytest.raises(rampup.RampupError, match=r"not bound.*bind\(model\)"):
        model.learn(32)


# rampup 0.1 saved these (cloudpickle, as SB3's model.save does): LRSchedule("linear(100) >> cosine(to=0.1)",
# peak=1e-3, unit="updates", total_steps=1000) after 250 updates, and EpsilonSchedule("linear(10%, to=0.05)",
# total_steps=10_000), with the attribute layout of the time (unit=, scale=, a hook handle) and the classes under
# their old module paths
OLD_LR = (
    "gAWV9wEAAAAAAACMCnJhbXB1cC5zYjOUjApMUlNjaGVkdWxllJOUKYGUfZQojARwZWFrlEc/UGJN0vGp/IwIc2NoZWR1bGWUjA9y"
    "YW1wdXAuX2NvbXBvc2WUjAhTZXF1ZW5jZZSTlCmBlH2UKIwGcGhhc2VzlIwOcmFtcHVwLl93YXJtdXCUjAZXYXJtdXCUk5QpgZR9"
    "lCiMBXNoYXBllIwGbGluZWFylIwIZHVyYXRpb26US2SMBXN0YXJ0lEcAAAAAAAAAAIwFcG93ZXKURz/wAAAAAAAAjAZvZmZzZXSU"
    "SwCMCF9taXNzaW5nlE51YowNcmFtcHVwLl9kZWNheZSMBURlY2F5lJOUKYGUfZQoaBKMBmNvc2luZZRoFE2EA4wCdG+URz+5mZmZ"
    "mZmaaBVOaBZHP/AAAAAAAACMBmN5Y2xlc5RLAWgYTnVihpSMBl9ib3VuZJRoEGgbKYGUfZQoaBJoHmgUTYQDaB9HP7mZmZmZmZpo"
    "FUc/8AAAAAAAAGgWRz/wAAAAAAAAaCBLAXVihpRoGE51YowEdW5pdJSMB3VwZGF0ZXOUjAdfc2NhbGVklGgHjAZTY2FsZWSUk5Qp"
    "gZR9lChoBmgKjAZmYWN0b3KURz9QYk3S8an8dWKMBl9tb2RlbJROjAVfaG9va5ROjAhfdXBkYXRlc5RL+nViLg=="
)
OLD_EPS = (
    "gAWVPgEAAAAAAACMCnJhbXB1cC5zYjOUjA9FcHNpbG9uU2NoZWR1bGWUk5QpgZR9lCiMBXNjYWxllEc/8AAAAAAAAIwIc2NoZWR1"
    "bGWUjA1yYW1wdXAuX2RlY2F5lIwFRGVjYXmUk5QpgZR9lCiMBXNoYXBllIwGbGluZWFylIwIZHVyYXRpb26UTegDjAJ0b5RHP6mZ"
    "mZmZmZqMBXN0YXJ0lE6MBXBvd2VylEc/8AAAAAAAAIwGY3ljbGVzlEsBjAhfbWlzc2luZ5ROdWKMBHVuaXSUjAllbnZfc3RlcHOU"
    "jAdfc2NhbGVklIwPcmFtcHVwLl9jb21wb3NllIwGU2NhbGVklJOUKYGUfZQoaAZoCowGZmFjdG9ylEc/8AAAAAAAAHVijAZfbW9k"
    "ZWyUTowFX2hvb2uUTowIX3VwZGF0ZXOUSwB1Yi4="
)
def test_schedules_saved_by_rampup_0_1_load_with_their_clock():
    lr = pickle.loads(base64.b64decode(OLD_LR))  # as SB3's model.load does, old module paths and all
    assert isinstance(lr, rampup.sb3.LRSchedule) and lr.count == "updates" and lr.step == 250
    # update 250 is 150 updates into the 900-update cosine from 1 to 0.1
    assert lr(1.0) == pytest.approx(1e-3 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 150 / 900))), rel=1e-12)
    model = lr.bind(ppo(lr))
    model.learn(32)  # one train() call: 4 updates on the restored clock
    assert lr.step == 254
    eps = pickle.loads(base64.b64decode(OLD_EPS))
    assert isinstance(eps, rampup.sb3.EpsilonSchedule) and eps.peak == 1.0 and eps.count == "env_steps"
    assert [eps.schedule(t) for t in (0, 500, 1000, 5000)] == pytest.approx([1.0, 0.525, 0.05, 0.05], rel=1e-12)


def test_a_schedule_pickles_as_plain_values_and_comes_back():
    lr = rampup.sb3.LRSchedule("linear(10) >> cosine(30, to=0.1)", peak=PEAK, count="updates")
    model = lr.bind(ppo(lr))
    model.learn(32)
    back = pickle.loads(pickle.dumps(lr))
    assert back.step == lr.step == 4 and back.schedule == lr.schedule and back.peak == PEAK
    assert repr(back) == ("rampup.sb3.LRSchedule('linear_warmup(10) >> cosine_decay(30, to=0.1)', peak=0.001, "
                          "count='updates')")
    state = lr.__getstate__()
    assert state == {"format": "rampup.sb3/1", "schedule": "linear_warmup(10) >> cosine_decay(30, to=0.1)",
                     "peak": PEAK, "count": "updates", "updates": 4}


def test_the_old_spellings_unit_and_scale_are_read():
    a = rampup.sb3.LRSchedule("linear(10) >> constant()", peak=PEAK, unit="updates")
    assert a.count == "updates"
    with pytest.raises(rampup.RampupError, match="not both"):
        rampup.sb3.LRSchedule("linear(10) >> constant()", peak=PEAK, unit="updates", count="updates")
    e = rampup.sb3.EpsilonSchedule("linear_decay(10, to=0.05)", scale=0.5)
    assert e.peak == 0.5 and e(1.0) == 0.5
