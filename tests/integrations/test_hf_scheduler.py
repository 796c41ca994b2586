"""rampup.torch.get_scheduler against the installed transformers' own get_scheduler, name by name, at every update.

Offset: none. HF's schedulers are ``LambdaLR`` lambdas of ``current_step`` (torch's ``last_epoch``), 0 at
construction and one more after each ``scheduler.step()`` that follows ``optimizer.step()``; rampup's ``step`` counts
the same updates. Both are driven here by a real torch optimizer, and the LR each update uses is compared for every
update of the run (``t < num_training_steps``). Past the end HF's cosine lambdas climb back up the wave while rampup
holds the final value (pinned down by ``test_past_the_end_rampup_holds_the_last_value``).

Expected values come from transformers itself: its ``get_scheduler``, its ``TrainingArguments.get_warmup_steps`` for
fractional warmups, and the numbers in its test files (``tests/optimization/test_optimization.py``,
``tests/trainer/test_trainer_optimizers.py``).
"""

from __future__ import annotations

import math
import warnings

import pytest
import torch

transformers = pytest.importorskip("transformers")
from transformers import optimization as hf  # noqa: E402
from transformers.trainer_utils import SchedulerType  # noqa: E402

import rampup  # noqa: E402
import rampup.torch  # noqa: E402
from rampup.torch.hf import HF_NAMES, hf_schedule, warmup_steps  # noqa: E402

BASE = 0.1


def make_opt(lr=BASE, groups=1):
    return torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr * (i + 1)}
                            for i in range(groups)], lr=lr)


def lrs_of(build, n, lr=BASE, groups=1):
    """The LR of each group at each of ``n`` updates of a real optimizer stepped by the scheduler ``build`` makes."""
    opt = make_opt(lr, groups)
    sched = build(opt)
    out = []
    for t in range(n):
        out.append([g["lr"] for g in opt.param_groups])
        if t < n - 1:  # HF's polynomial divides by zero when asked for update T with W = T
            opt.step()
            sched.step()
    return out


def hf_lrs(name, W, T, kw, n, lr=BASE, groups=1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # HF's own notices (wsd's "both specified") are not under test
        return lrs_of(lambda o: hf.get_scheduler(name, o, num_warmup_steps=W, num_training_steps=T,
                                                 scheduler_specific_kwargs=kw), n, lr, groups)


def ours_lrs(name, W, T, kw, n, lr=BASE, groups=1):
    return lrs_of(lambda o: rampup.torch.get_scheduler(name, o, W, T, kw), n, lr, groups)


def assert_same(ours, theirs, what):
    assert len(ours) == len(theirs)
    for t, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15), f"{what}: update {t}: rampup {a}, HF {b}"


GRID = [(0, 10), (2, 10), (4, 10), (1, 2), (7, 7), (10, 100), (1, 1), (3, 4), (50, 1000)]
KWARGS = {
    "linear": [{}],
    "cosine": [{}, {"num_cycles": 0.25}],
    "cosine_with_restarts": [{}, {"num_cycles": 2}, {"num_cycles": 3}],
    "polynomial": [{}, {"power": 2.0, "lr_end": 1e-3}, {"power": 0.5, "lr_end": 0.0}],
    "constant": [{}],
    "constant_with_warmup": [{}],
    "inverse_sqrt": [{}, {"timescale": 5}],
    "cosine_with_min_lr": [{"min_lr": 1e-3}, {"min_lr_rate": 0.1}, {"min_lr_rate": 0.1, "num_cycles": 0.25}],
    "cosine_warmup_with_min_lr": [{"min_lr": 1e-3}, {"min_lr_rate": 0.1, "warmup_lr_rate": 0.2}],
}
CASES = [(name, W, T, kw) for name, kws in KWARGS.items() for kw in kws for W, T in GRID
         # HF's own edge: W = 0 starts its cosine one update in (rejected, see the errors test)
         if not (name == "cosine_warmup_with_min_lr" and W == 0)
         and not (name == "constant" and W)]
WSD = [(W, T, kw) for W, T in [(5, 20), (0, 15), (10, 60)] for kw in [
    {"num_decay_steps": 5},
    {"num_decay_steps": 8, "warmup_type": "cosine", "decay_type": "1-sqrt", "min_lr_ratio": 0.1},
    {"num_decay_steps": 4, "warmup_type": "1-sqrt", "decay_type": "linear", "min_lr_ratio": 0.25},
    {"num_decay_steps": 3, "num_stable_steps": T - W - 3},
]]


def test_every_hf_scheduler_type_is_covered():
    """Each name of the installed transformers' SchedulerType is built by get_scheduler or rejected with a reason."""
    names = {t.value for t in SchedulerType}
    assert set(hf.TYPE_TO_SCHEDULER_FUNCTION) == set(SchedulerType)
    assert names - set(HF_NAMES) == {"greedy"}
    assert set(HF_NAMES) <= names
    with pytest.raises(rampup.RampupError, match=r"'greedy' is HF's GreedyLR.*no closed form"):
        rampup.torch.get_scheduler("greedy", make_opt())


@pytest.mark.parametrize("name,W,T,kw", CASES)
def test_same_lr_as_hf_at_every_update(name, W, T, kw):
    assert_same(ours_lrs(name, W, T, kw, T), hf_lrs(name, W, T, kw, T), f"{name} W={W} T={T} {kw}")


@pytest.mark.parametrize("W,T,kw", WSD)
def test_warmup_stable_decay(W, T, kw):
    n = T + 3  # HF's WSD holds min_lr_ratio after its decay, as rampup does: the same past the end too
    assert_same(ours_lrs("warmup_stable_decay", W, T, kw, n), hf_lrs("warmup_stable_decay", W, T, kw, n),
                f"wsd W={W} T={T} {kw}")


@pytest.mark.parametrize("name", ["linear", "cosine", "polynomial", "cosine_with_min_lr"])
def test_param_groups_and_the_enum_name(name):
    """Several groups with their own LRs (each scaled by the factor, as LambdaLR does), the name as HF's enum."""
    kw = KWARGS[name][-1]
    ours = lrs_of(lambda o: rampup.torch.get_scheduler(SchedulerType(name), o, 3, 12, kw), 12, groups=3)
    assert_same(ours, hf_lrs(name, 3, 12, kw, 12, groups=3), name)


def test_cosine_with_cycles_that_rise_again():
    """num_cycles = 1: the cosine falls to 0 at mid-run and climbs back to the peak, as HF's formula does."""
    for W, T in [(2, 10), (0, 8), (4, 104)]:
        kw = {"num_cycles": 1.0}
        assert_same(ours_lrs("cosine", W, T, kw, T), hf_lrs("cosine", W, T, kw, T), f"cosine c=1 W={W} T={T}")


@pytest.mark.parametrize("frac", [0.05, 0.07, 0.1, 0.3, 0.5, 0.999])
@pytest.mark.parametrize("T", [37, 100, 10_000])
def test_fractional_warmup_as_training_arguments_reads_it(tmp_path, frac, T):
    """A warmup below 1 is a fraction of num_training_steps, rounded as TrainingArguments.get_warmup_steps rounds
    it (0.07 of 10 000 is 701 there, from the float product)."""
    W = transformers.TrainingArguments(output_dir=str(tmp_path), warmup_steps=frac).get_warmup_steps(T)
    assert warmup_steps(frac, T) == W
    s = hf_schedule("linear", frac, T)
    assert s.phases[0].duration == W
    if T <= 100:
        assert_same(ours_lrs("linear", frac, T, None, T), hf_lrs("linear", W, T, None, T), f"linear {frac} of {T}")


def test_whole_float_counts_as_training_arguments_store_them(tmp_path):
    args = transformers.TrainingArguments(output_dir=str(tmp_path), warmup_steps=4.0)
    assert warmup_steps(args.warmup_steps, 10) == args.get_warmup_steps(10) == 4


@pytest.mark.parametrize("name,W", [("cosine", 2), ("polynomial", 3), ("cosine_with_restarts", 1),
                                    ("cosine_with_min_lr", 2)])
def test_past_the_end_rampup_holds_the_last_value(name, W):
    T = 10
    kw = {"min_lr_rate": 0.1} if name == "cosine_with_min_lr" else {}
    ours = ours_lrs(name, W, T, kw, T + 6)
    theirs = hf_lrs(name, W, T, kw, T + 6)
    assert_same(ours[:T], theirs[:T], name)
    assert all(lr == ours[T] for lr in ours[T:])


# -- the numbers in transformers' own test files ---------------------------------------------------------------
# tests/optimization/test_optimization.py, ScheduleInitTest: AdamW at lr=10, 10 updates, tolerance 1e-2
HF_TEST_VALUES = {
    "constant": ({}, None, [10.0] * 10),
    "constant_with_warmup": ({}, 4, [0.0, 2.5, 5.0, 7.5, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0]),
    "linear": ({}, 2, [0.0, 5.0, 10.0, 8.75, 7.5, 6.25, 5.0, 3.75, 2.5, 1.25]),
    "cosine": ({}, 2, [0.0, 5.0, 10.0, 9.61, 8.53, 6.91, 5.0, 3.08, 1.46, 0.38]),
    "cosine_with_restarts": ({"num_cycles": 2}, 2, [0.0, 5.0, 10.0, 8.53, 5.0, 1.46, 10.0, 8.53, 5.0, 1.46]),
    "polynomial": ({"power": 2.0, "lr_end": 1e-7}, 2, [0.0, 5.0, 10.0, 7.656, 5.625, 3.906, 2.5, 1.406, 0.625,
                                                       0.156]),
    "inverse_sqrt": ({}, 2, [0.0, 5.0, 10.0, 8.165, 7.071, 6.325, 5.774, 5.345, 5.0, 4.714]),
}


@pytest.mark.parametrize("name", sorted(HF_TEST_VALUES))
def test_hf_test_file_values_and_save_reload(name):
    kw, W, expected = HF_TEST_VALUES[name]

    def run(reload):
        opt = torch.optim.AdamW(torch.nn.Linear(50, 50).parameters(), lr=10.0)
        sched = rampup.torch.get_scheduler(name, opt, W, 10, kw)
        lrs = []
        for step in range(10):
            lrs.append(sched.get_lr()[0])
            opt.step()
            sched.step()
            if reload and step == 5:
                state = torch.load(_saved(sched.state_dict()), weights_only=True)
                sched = rampup.torch.get_scheduler(name, opt, W, 10, kw)
                sched.load_state_dict(state)
        return lrs

    lrs = run(False)
    assert lrs == pytest.approx(expected, abs=1e-2)
    assert run(True) == lrs


def _saved(obj):
    import io

    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return buf


def test_hf_trainer_test_values_for_the_min_lr_types(tmp_path):
    """tests/trainer/test_trainer_optimizers.py: lr 0.2, 10 updates, 2 of warmup, min_lr 1e-5. cosine_with_min_lr
    ends at exactly 1e-5; cosine_warmup_with_min_lr uses 0.1, 0.2, ..., 1e-5."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    sched = rampup.torch.get_scheduler("cosine_with_min_lr", opt, 2, 10, {"min_lr": 1e-5})
    for _ in range(10):
        opt.step()
        sched.step()
    assert sched.get_last_lr()[0] == 1e-5
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    sched = rampup.torch.get_scheduler("cosine_warmup_with_min_lr", opt, 2, 10, {"min_lr": 1e-5})
    used = []
    for _ in range(10):
        used.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert used[0] == 0.1 and used[1] == 0.2 and used[-1] == 1e-5


# -- reduce_lr_on_plateau ----------------------------------------------------------------------------------------
def test_plateau_without_warmup_is_hfs_reduce_lr_on_plateau():
    """The same metric sequence gives the same LRs as HF's ReduceLROnPlateau (HF steps it with the metric only)."""
    kw = {"factor": 0.5, "patience": 1}
    metrics = [1.0, 0.9, 0.95, 0.97, 0.99, 0.8, 0.85, 0.86, 0.87]

    def run(make):
        opt = make_opt()
        sched = make(opt)
        out = []
        for m in metrics:
            opt.step()
            if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
                sched.step(m)
            else:
                sched.step()
                sched.step(m)
            out.append(opt.param_groups[0]["lr"])
        return out

    theirs = run(lambda o: hf.get_scheduler("reduce_lr_on_plateau", o, scheduler_specific_kwargs=kw))
    ours = run(lambda o: rampup.torch.get_scheduler("reduce_lr_on_plateau", o, 0, None, kw))
    assert ours == theirs
    assert min(theirs) < BASE  # the metric did plateau


def test_plateau_warms_up_first_where_hf_drops_the_warmup():
    opt = make_opt()
    sched = rampup.torch.get_scheduler("reduce_lr_on_plateau", opt, 4, None, {"factor": 0.5, "patience": 0})
    assert isinstance(sched, rampup.torch.WarmupThen)
    used = []
    for t in range(8):
        used.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        if t >= 4:
            sched.step(1.0)  # a flat metric: halved each evaluation after the first
    assert used[:5] == pytest.approx([0.0, 0.025, 0.05, 0.075, 0.1])
    assert used[5:] == pytest.approx([0.1, 0.05, 0.025])


# -- errors --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,match", [
    (lambda o: rampup.torch.get_scheduler("cosine_with_warmup", o, 2, 10),
     r"name must be one of HF's scheduler types.*got 'cosine_with_warmup'; did you mean"),
    (lambda o: rampup.torch.get_scheduler("linear", o, 2, -1),
     r"num_training_steps=-1 .*epoch-based.*create_scheduler"),
    (lambda o: rampup.torch.get_scheduler("linear", o, 2, None), r"'linear' needs num_training_steps, got None"),
    (lambda o: rampup.torch.get_scheduler("linear", o, None, 10), r"'linear' needs num_warmup_steps"),
    (lambda o: rampup.torch.get_scheduler("linear", o, 2.5, 10), r"num_warmup_steps must be a whole number.*2\.5"),
    (lambda o: rampup.torch.get_scheduler("linear", o, -1, 10), r"num_warmup_steps must be in \[0, inf\), got -1"),
    (lambda o: rampup.torch.get_scheduler("linear", o, 0.1, None), r"0\.1 is a fraction of the run.*num_training"),
    (lambda o: rampup.torch.get_scheduler("linear", o, 12, 10), r"num_warmup_steps=12 is longer than num_training"),
    (lambda o: rampup.torch.get_scheduler("linear", o, 2, 10, {"num_cycles": 2}), (r"'linear' takes no keyword "
                                                                                  r"num_cycles \(it takes: none\)")),
    (lambda o: rampup.torch.get_scheduler("polynomial", o, 2, 10, {"lr_end": 0.5}), (r"lr_end \(0\.5\) must be "
                                                                                    r"smaller")),
    (lambda o: rampup.torch.get_scheduler("cosine_with_min_lr", o, 2, 10), r"needs min_lr or min_lr_rate"),
    (lambda o: rampup.torch.get_scheduler("cosine_with_min_lr", o, 2, 10, {"min_lr": 1e-3, "min_lr_rate": 0.1}),
     r"min_lr or min_lr_rate, not both"),
    (lambda o: rampup.torch.get_scheduler("cosine", o, 2, 11, {"num_cycles": 1.0}), r"half-waves of 4\.5"),
    (lambda o: rampup.torch.get_scheduler("cosine_warmup_with_min_lr", o, 0, 10, {"min_lr": 1e-3}),
     r"num_warmup_steps=0 starts HF's cosine one update in"),
    (lambda o: rampup.torch.get_scheduler("warmup_stable_decay", o, 2, 10), r"needs num_decay_steps"),
    (lambda o: rampup.torch.get_scheduler("warmup_stable_decay", o, 4, 10, {"num_decay_steps": 8}),
     r"num_warmup_steps=4 \+ num_decay_steps=8 is longer than num_training_steps=10"),
    (lambda o: rampup.torch.get_scheduler("warmup_stable_decay", o, 2, 10, {"num_decay_steps": 4,
                                                                            "decay_type": "exp"}),
     r"decay_type must be one of 'linear', 'cosine', '1-sqrt', got 'exp'"),
    (lambda o: rampup.torch.get_scheduler("reduce_lr_on_plateau", o, 0, None, {"mode": "up"}), r"mode"),
    (lambda o: rampup.torch.get_scheduler("linear", "sgd", 2, 10),
     r"optimizer must be a torch.optim.Optimizer, or a wrapper.*got .sgd."),
])
def test_bad_arguments_name_the_argument_and_value(call, match):
    with pytest.raises(rampup.RampupError, match=match):
        call(make_opt())


def test_settings_hf_ignores_are_warned_about():
    """HF's 'constant' ignores num_warmup_steps; rampup gives the same LR and says how to get the warmup."""
    with pytest.warns(UserWarning, match="'constant' ignores num_warmup_steps=5.*'constant_with_warmup'"):
        sched = rampup.torch.get_scheduler("constant", make_opt(), 5, 10)
    assert sched.get_last_lr() == [BASE]
    with pytest.warns(UserWarning, match=r"warmup 2 \+ stable 3 \+ decay 2 = 7 updates, the run 10.*last 3 updates"):
        s = hf_schedule("warmup_stable_decay", 2, 10, {"num_decay_steps": 2, "num_stable_steps": 3})
    assert s(7) == 0.0 and s(6) > 0.0


def test_the_mapping_is_a_printable_rampup_schedule():
    assert repr(hf_schedule("linear", 0.05, 2000)) == "linear_warmup(100) >> linear_decay(1900)"
    assert repr(hf_schedule("cosine_with_min_lr", 100, 1000, {"min_lr_rate": 0.1})) == (
        "linear_warmup(100) >> cosine_decay(900, to=0.1)")
    s = hf_schedule("cosine_warmup_with_min_lr", 10, 100, {"min_lr_rate": 0.1})
    assert rampup.parse(repr(s)) == s
    assert math.isclose(s(9), 1.0) and s(99) == pytest.approx(0.1)
