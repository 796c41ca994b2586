"""rampup.torch.Scheduler: closed form, per group, other hyperparameters, checkpoints, re-planning, bad input."""

from __future__ import annotations

import math

import pytest
import torch
from _torch_util import make_opt, record, save_load, update, warmup_cosine

import rampup
from rampup.core.spec import FACTORIES
from rampup.torch import Scheduler

# one spec for every factory in rampup (products get explicit durations: an open decay inside a product is not
# given the rest of training)
SPECS = [
    "linear(10) >> cosine(to=0.1)",
    "cosine_warmup(8, start=0.1) >> linear_decay(to=0.0)",
    "poly_warmup(6, power=3) >> poly_decay(power=2, to=0.05)",
    "sqrt_warmup(5) >> sqrt_decay()",
    "log_warmup(7) >> geometric_decay(to=0.01)",
    "geometric_warmup(6, start=0.01) >> constant()",
    "constant_warmup(4, start=0.1) >> exp_decay(0.9)",
    "exp_warmup(3.0) * cosine_decay(40)",
    "radam_warmup(0.99) * step_decay(7, gamma=0.5)",
    "untuned_warmup(0.9) >> multistep([5, 12], gamma=0.3)",
    "linear(5) >> inverse_sqrt()",
    "noam(6)",
    "with_warmup(cosine_decay(), 5)",
    "wsd(5, 10, shape='cosine')",
    "one_cycle(40, pct=0.25)",
    "one_cycle(40, pct=0.25, three_phase=true)",
    "tri_stage(5, 10, 15)",
    "repeat(linear(4) >> cosine(8), mult=2)",
    "repeat(cosine_decay(10), times=3)",
    "clip(linear(5) >> linear_decay(), min=0.2)",
    "0.5 * (linear(5) >> cosine())",
    "scaled(linear(5) >> cosine(), 0.5)",
    "sequence([linear_warmup(4), constant(6), linear_decay()])",
    "product([linear_decay(40), cosine_warmup(10)])",
]
# factories the core is adding: each gets its spec once it is there
_NEWER = {
    "cyclic": "cyclic(5, start=0.2)",
    "linear_growth": "linear_warmup(4) >> linear_growth(0.5, every=2, max=1.5, duration=10) >> cosine_decay(start=1.0)",
    "exp_growth": "exp_growth(2.0, max=8.0) * cosine_decay(40)",
    "inverse_time_decay": "linear_warmup(4) >> inverse_time_decay(2, rate=1.0)",
    "tanh_decay": "linear_warmup(4) >> tanh_decay()",
    "noisy": "noisy(linear_warmup(4) >> constant(), pct=0.5, seed=1)",
}
SPECS += [spec for name, spec in _NEWER.items() if name in FACTORIES]
TOTAL = 40
BASES = (0.1, 0.03)


def test_specs_cover_every_factory():
    text = " ".join(SPECS)
    aliases = {"linear_warmup": "linear(", "cosine_decay": "cosine("}
    missing = [n for n in FACTORIES if f"{n}(" not in text and aliases.get(n, "@") not in text]
    assert not missing


def run(sched_opt, n):
    sched, opt = sched_opt
    used = record(opt)
    for _ in range(n):
        update(opt)
        sched.step()
    return used


@pytest.mark.parametrize("spec", SPECS)
def test_state_dict_round_trip_through_torch_save(spec):
    opt = make_opt(BASES)
    straight = run((Scheduler(opt, spec, total_steps=TOTAL), opt), TOTAL + 3)
    s = rampup.parse(spec, total_steps=TOTAL)
    assert straight == [[b * s(t) for b in BASES] for t in range(TOTAL + 3)]
    warm = s.length if isinstance(s, rampup.Sequence) else None
    for at in sorted({0, 2, 7, 23, TOTAL}):  # 2 and 7 are inside most warmups
        opt = make_opt(BASES)
        first = Scheduler(opt, spec, total_steps=TOTAL)
        head = run((first, opt), at)
        ckpt = save_load({"opt": opt.state_dict(), "sched": first.state_dict()})
        # resume in a fresh process: new optimizer at the same LRs, new scheduler, then the checkpoint
        opt2 = make_opt(BASES)
        second = Scheduler(opt2, spec, total_steps=TOTAL)
        opt2.load_state_dict(ckpt["opt"])
        second.load_state_dict(ckpt["sched"])
        assert head + run((second, opt2), TOTAL + 3 - at) == straight, (spec, at, warm)
        # the checkpoint alone rebuilds the scheduler
        opt3 = make_opt(BASES)
        opt3.load_state_dict(ckpt["opt"])
        third = Scheduler.from_state_dict(opt3, ckpt["sched"])
        assert head + run((third, opt3), TOTAL + 3 - at) == straight


def test_state_dict_is_plain_and_holds_no_function():
    opt = make_opt(BASES)
    sched = Scheduler(opt, [rampup.linear_warmup(3) >> rampup.cosine_decay(7), "linear(2) >> constant()"],
                      total_steps=10)
    state = sched.state_dict()
    assert state["hparams"]["lr"] == {"schedules": ["linear_warmup(3) >> cosine_decay(7)",
                                                    "linear_warmup(2) >> constant(8)"], "groups": [0, 1]}
    assert state["step"] == 0 and state["blend"] is None

    def plain(x):
        if isinstance(x, dict):
            return all(isinstance(k, str) and plain(v) for k, v in x.items())
        if isinstance(x, list):
            return all(plain(v) for v in x)
        return x is None or isinstance(x, (str, int, float, bool))

    assert plain(state)


def test_closed_form_equals_the_textbook_formula_and_a_stepped_loop():
    opt = make_opt(BASES)
    sched = Scheduler(opt, "linear(4) >> cosine(to=0.1)", total_steps=12)
    used = run((sched, opt), 14)
    for t, lrs in enumerate(used):
        for lr, b in zip(lrs, BASES, strict=False):
            assert lr == pytest.approx(b * warmup_cosine(t, 4, 12, 0.1), rel=1e-12, abs=1e-15)
    assert used[4] == list(BASES)  # the peak is reached exactly, at update 4
    # jumping to update t gives the same value as stepping there
    for t in (0, 3, 9, 13):
        sched.step(t)
        assert sched.get_last_lr() == used[t] == sched.get_lr()


def test_per_group_list_and_names_each_relative_to_its_own_base():
    opt = make_opt((1.0, 0.5, 0.2), names=["body", "head", "norm"])
    sched = Scheduler(opt, {"head": "linear(2) >> constant()", "*": "linear(4) >> linear_decay(to=0.5)"},
                      total_steps=8)
    used = run((sched, opt), 8)
    for t, (body, head, norm) in enumerate(used):
        slow = t / 4 if t < 4 else 1 - 0.5 * (t - 4) / 4
        assert body == pytest.approx(1.0 * slow) and norm == pytest.approx(0.2 * slow)
        assert head == pytest.approx(0.5 * min(1.0, t / 2))
    assert len(sched._scheds) == 2  # the groups that share a schedule share one evaluation per step

    opt = make_opt((1.0, 0.5))
    used = run((Scheduler(opt, ["linear(2) >> constant()", "constant()"], total_steps=4), opt), 4)
    assert used == [[0.0, 0.5], [0.5, 0.5], [1.0, 0.5], [1.0, 0.5]]


def test_other_hyperparameters_follow_their_schedules_in_a_real_adamw():
    opt = make_opt((1e-2,), cls=torch.optim.AdamW, betas=(0.95, 0.99), weight_decay=0.1)
    sched = Scheduler(opt, "linear(4) >> constant()", total_steps=6, hparams={
        "weight_decay": "linear(4) >> constant()",
        "beta1": rampup.constant(2, value=1.0) >> rampup.constant(value=0.9 / 0.95),
        "beta2": rampup.linear_warmup(3, start=0.95) >> rampup.constant()})
    seen = []
    opt.register_step_pre_hook(lambda o, a, k: seen.append(
        (o.param_groups[0]["lr"], o.param_groups[0]["weight_decay"], *o.param_groups[0]["betas"])))
    for _ in range(6):
        update(opt)
        sched.step()
    for t, (lr, wd, b1, b2) in enumerate(seen):
        assert lr == pytest.approx(1e-2 * min(1, t / 4)) and wd == pytest.approx(0.1 * min(1, t / 4))
        assert b1 == pytest.approx(0.95 if t < 2 else 0.9) and b2 == pytest.approx(0.99 * min(1, 0.95 + 0.05 * t / 3))

    opt = make_opt((0.1,), momentum=0.9)
    sched = Scheduler(opt, hparams={"momentum": "linear(3) >> constant()"}, total_steps=4)
    assert run((sched, opt), 4) == [[0.1]] * 4
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.9)


def test_tensor_lr_is_filled_in_place():
    opt = make_opt((0.0,), cls=torch.optim.Adam)
    opt.param_groups[0]["lr"] = torch.tensor(0.01)
    lr_tensor = opt.param_groups[0]["lr"]
    sched = Scheduler(opt, "linear_decay(4)")
    update(opt)
    sched.step()
    assert opt.param_groups[0]["lr"] is lr_tensor and float(lr_tensor) == pytest.approx(0.01 * 0.75)


def test_optimizer_load_state_dict_after_the_scheduler_is_followed():
    opt = make_opt(BASES)
    sched = Scheduler(opt, "linear_decay(4)")
    opt.load_state_dict(opt.state_dict())  # new param-group dicts, as a resume or Accelerate's prepare makes
    update(opt)
    sched.step()
    assert sched.get_last_lr() == [b * 0.75 for b in BASES]


def test_count_calls_advances_on_every_call():
    opt = make_opt((1.0,))
    sched = Scheduler(opt, "linear_warmup(4)", count="calls")
    for _ in range(2):
        sched.step()
    assert sched.get_last_lr() == [0.5]


@pytest.mark.parametrize("new_total", [60, 25])
def test_replan_on_resume_keeps_the_step_and_blends_continuously(new_total):
    spec = "linear(5%) >> cosine(to=0.1)"
    opt = make_opt((1.0,))
    first = Scheduler(opt, spec, total_steps=40)
    head = run((first, opt), 20)
    old_next = first.get_last_lr()[0]
    state = save_load(first.state_dict())
    opt2 = make_opt((1.0,))
    second = Scheduler(opt2, spec, total_steps=new_total, replan_blend=10)
    second.load_state_dict(state)
    assert second.last_epoch == 20
    new = rampup.parse(spec, total_steps=new_total)
    d = old_next - new(20)
    assert second.get_last_lr()[0] == pytest.approx(old_next)  # continuous at the resume point
    tail = run((second, opt2), new_total - 20)
    for k, (lr,) in enumerate(tail):
        t = 20 + k
        expect = new(t) + d * max(0.0, 1 - k / 10)
        assert lr == pytest.approx(max(0.0, expect), abs=1e-12)
    assert tail[10:] == [[new(20 + k)] for k in range(10, new_total - 20)]  # the new plan after the blend
    # resuming in the middle of the blend is exact too
    opt3 = make_opt((1.0,))
    third = Scheduler(opt3, spec, total_steps=new_total, replan_blend=10)
    third.load_state_dict(second.state_dict() | {"step": 24, "blend": second.state_dict()["blend"]})
    assert run((third, opt3), new_total - 24) == tail[4:]
    assert head[-1][0] > 0


def test_replan_blend_zero_switches_at_once_and_default_is_a_tenth_of_the_rest():
    opt = make_opt((1.0,))
    first = Scheduler(opt, "linear(4) >> cosine()", total_steps=20)
    first.step(10)
    jump = Scheduler(make_opt((1.0,)), "linear(4) >> cosine()", total_steps=40, replan_blend=0)
    jump.load_state_dict(first.state_dict())
    assert jump.get_last_lr()[0] == rampup.parse("linear(4) >> cosine()", total_steps=40)(10)
    auto = Scheduler(make_opt((1.0,)), "linear(4) >> cosine()", total_steps=40)
    auto.load_state_dict(first.state_dict())
    assert auto.state_dict()["blend"]["steps"] == 3  # ceil(10% of the 30 updates left)


def test_bad_input_is_rejected_at_construction():
    opt = make_opt(BASES)
    with pytest.raises(rampup.RampupError, match=r"must be a torch\.optim\.Optimizer.*got"):
        Scheduler("adam", "linear_decay(5)")
    with pytest.raises(rampup.RampupError, match="3 lr schedules for 2 param groups"):
        Scheduler(opt, ["linear_decay(5)"] * 3)
    with pytest.raises(rampup.BudgetError, match="total_steps"):
        Scheduler(opt, "linear(5%) >> cosine()")
    with pytest.raises(rampup.BudgetError, match="steps_per_epoch"):
        Scheduler(opt, "linear(1ep) >> cosine()", total_steps=100)
    with pytest.raises(rampup.RampupError, match="name param groups \\['head'\\]"):
        Scheduler(opt, {"head": "linear_decay(5)"})
    with pytest.raises(rampup.RampupError, match="has no hyperparameter 'momentun'"):
        Scheduler(opt, hparams={"momentun": "linear_decay(5)"})
    with pytest.raises(rampup.RampupError, match="needs Adam-style betas"):
        Scheduler(opt, hparams={"beta2": "linear_decay(5)"})
    with pytest.raises(rampup.RampupError, match="replan_blend"):
        Scheduler(opt, "linear_decay(5)", replan_blend="ten")
    with pytest.raises(rampup.RampupError, match="must be a rampup schedule"):
        Scheduler(opt, lambda t: 1.0)
    for bad in (-0.1, math.nan, math.inf):
        opt = make_opt((bad,))
        with pytest.raises(rampup.RampupError, match=f"base lr of param group 0 must be a finite number >= 0, "
                                                     f"got {bad!r}"):
            Scheduler(opt, "linear_decay(5)")
    with pytest.raises(rampup.RampupError, match=r"not a rampup\.torch\.Scheduler state"):
        Scheduler(make_opt(), "linear_decay(5)").load_state_dict({"last_epoch": 3})


def test_a_state_saved_by_rampup_0_1_resumes_exactly():
    # Scheduler(opt, "linear(5) >> cosine(to=0.1)", total_steps=20) at step 7, as rampup 0.1 saved it
    state = {"format": "rampup.torch.Scheduler/1", "step": 7, "count": "updates",
             "hparams": {"lr": {"schedules": ["linear_warmup(5) >> cosine_decay(15, to=0.1)"], "groups": [0, 0]}},
             "blend": None}
    opt = make_opt(BASES)
    sched = Scheduler.from_state_dict(opt, state)
    assert sched.get_last_lr() == pytest.approx([b * warmup_cosine(7, 5, 20, 0.1) for b in BASES], rel=1e-12)
    same = Scheduler(make_opt(BASES), "linear(5) >> cosine(to=0.1)", total_steps=20)
    same.load_state_dict(state)
    assert same._blend is None and same.get_last_lr() == sched.get_last_lr()


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_scheduler_counts_the_updates_of_the_copied_optimizer(how):
    import copy
    import pickle

    opt = make_opt((1.0,))
    sched = Scheduler(opt, "linear_warmup(4) >> constant()")
    update(opt)
    sched.step()
    twin = copy.deepcopy(sched) if how == "deepcopy" else pickle.loads(pickle.dumps(sched))
    assert twin.optimizer is not opt and twin.last_epoch == 1
    update(twin.optimizer)
    twin.step()
    assert twin.last_epoch == 2 and twin.get_last_lr() == [0.5]
    assert sched.last_epoch == 1  # the original's clock is its own
