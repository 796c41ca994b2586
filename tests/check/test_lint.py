"""rampup.lint: each check fires on a planted mistake and stays silent on a clean schedule. The expected steps and
values come from the schedules' closed forms (linear: start + (1 - start) t / W; cosine: to + (a - to)(1 + cos)/2)."""

import dataclasses
import math

import pytest

import rampup
from rampup import Finding, lint

CLEAN = [
    ("linear(500, start=0.01) >> cosine(to=0.1)", {"total_steps": 10_000}),
    ("linear(5%, offset=1) >> cosine(to=0.1)", {"total_steps": 10_000}),
    ("linear(2ep, start=0.01) >> cosine()", {"total_steps": 10_000, "steps_per_epoch": 500}),
    ("constant_warmup(100, start=0.1) >> step_decay(1000, gamma=0.5)", {"total_steps": 5000}),
    ("tri_stage(100, 400, 500)", {}),
    ("one_cycle(1000)", {}),
    ("noam(100)", {"total_steps": 1000}),
    ("repeat(linear(10, start=0.1) >> cosine(90), times=3)", {}),
    ("wsd(10%, 20%, start=0.01)", {"total_steps": 1000}),
]


def codes(findings):
    return [f.code for f in findings]


@pytest.mark.parametrize("spec,budget", CLEAN)
def test_clean_schedules_have_no_findings(spec, budget):
    assert lint(spec, **budget) == []


def only(findings, code):
    hits = [f for f in findings if f.code == code]
    assert len(hits) == 1, findings
    return hits[0]


def test_first_update_zero():
    f = only(lint("linear(500) >> cosine(to=0.1)", total_steps=10_000), "first-update-zero")
    assert (f.severity, f.step) == ("info", 0)
    assert "start=" in f.message and "offset=1" in f.message


def test_peak_never_reached_by_saturating_warmup_times_decay():
    # exp_warmup(10) * cosine over 1000: max of (1 - exp(-(t)/10)) (1 + cos(pi t / 1000)) / 2 is below 0.999
    findings = lint("exp_warmup(10, offset=1) * cosine_decay(1000)", total_steps=1000)
    f = only(findings, "peak-not-reached")
    import numpy as np

    t = np.arange(1000)
    closed = (1 - np.exp(-(t + 1) / 10)) * (1 + np.cos(np.pi * t / 1000)) / 2
    assert f.step == int(np.argmax(closed))
    assert f"{closed.max():.4g}" in f.message


def test_peak_reached_only_at_last_update():
    # linear_warmup(999) reaches 1.0 at t = 999, the last update of a 1000-update run
    f = only(lint("linear_warmup(999, start=0.01)", total_steps=1000), "peak-at-end")
    assert f.step == 999


def test_drop_at_join():
    # the warmup ends at (0.01 + 0.99 * 499/500) = 0.99802; the decay restarts at 0.5
    f = only(lint("linear(500, start=0.01) >> cosine(to=0.1, start=0.5)", total_steps=10_000), "jump-at-join")
    assert f.step == 500
    assert "0.998" in f.message and "0.5" in f.message


def test_jump_up_at_join_and_threshold():
    spec = "linear(100, start=0.01) >> constant(100) >> constant(100, value=0.85) >> constant(value=0.8)"
    f = only(lint(spec, total_steps=1000), "jump-at-join")
    assert f.step == 200  # 1.0 -> 0.85: a drop of 0.15 > 0.1; the drop to 0.8 at 300 is only 0.05
    assert not [x for x in lint(spec, total_steps=1000, max_jump=0.2) if x.code.startswith("jump")]


def test_constant_warmup_jump_is_by_design():
    assert lint("constant_warmup(100, start=0.1) >> cosine(to=0.1)", total_steps=1000) == []


def test_jump_inside_a_few_update_phase():
    f = only(lint("linear(2, start=0.01) >> cosine(to=0.1)", total_steps=1000), "jump")
    assert f.step == 1


def test_warmup_as_long_as_the_run_is_an_error():
    f = only(lint("linear(12000, start=0.01) >> cosine(to=0.1)", total_steps=10_000), "warmup-too-long")
    assert f.severity == "error"
    assert "500" in f.message  # 5% of the run, the suggested length


def test_warmup_longer_than_half_the_run_is_a_warning():
    f = only(lint("linear(6000, start=0.01) >> cosine(to=0.1)", total_steps=10_000), "warmup-too-long")
    assert f.severity == "warning" and "60%" in f.message


def test_decay_ending_above_its_floor():
    # cosine over 20 000 updates cut at 10 000: 0.1 + 0.9 (1 + cos(pi 9500/20000)) / 2 at the last update
    f = only(lint("linear(500, start=0.01) >> cosine(20000, to=0.1)", total_steps=10_000), "decay-unfinished")
    expect = 0.1 + 0.9 * (1 + math.cos(math.pi * 9499 / 20000)) / 2
    assert f.step == 9999 and f"{expect:.4g}" in f.message


def test_lr_zero_for_the_rest_of_the_run():
    f = only(lint("linear(500, start=0.01) >> cosine(5000)", total_steps=10_000), "lr-zero-tail")
    assert f.step == 5500 and "4500 updates" in f.message


def test_bad_value_below_zero():
    # no built-in schedule goes below 0; a user's own subclass can
    @dataclasses.dataclass(frozen=True, repr=False)
    class Falling(rampup.Schedule):
        duration: int = 10

        def _eval(self, t, ops):
            return 1.0 - t / 5.0

    f = only(lint(Falling(), total_steps=10), "bad-value")
    assert f.severity == "error" and f.step == 6  # 1 - t/5 < 0 first at t = 6


def test_epoch_warmup_that_takes_most_of_the_run():
    findings = lint("linear(6ep, start=0.01) >> cosine(to=0.1)", total_steps=10_000, steps_per_epoch=1000)
    f = only(findings, "epoch-warmup")
    assert "6000 updates" in f.message and "linear_warmup(6)" in f.message
    assert "warmup-too-long" not in codes(findings)
    over = lint("linear(12ep, start=0.01) >> cosine(to=0.1)", total_steps=10_000, steps_per_epoch=1000)
    assert only(over, "epoch-warmup").severity == "error"


def test_steps_per_epoch_one_hints_at_per_epoch_stepping():
    f = only(lint("linear(5, start=0.01) >> cosine(to=0.1)", total_steps=100, steps_per_epoch=1,
                  max_jump=0.5), "steps-per-epoch-1")
    assert f.severity == "info"


def test_warmup_shorter_than_untuned_rule_is_a_hint():
    # Ma & Yarats 2021: 2 / (1 - beta2) = 2000 for beta2 = 0.999, 100 for 0.98
    f = only(lint("linear(500, start=0.01) >> cosine(to=0.1)", total_steps=10_000, beta2=0.999),
             "warmup-short-for-beta2")
    assert f.severity == "info" and "2000" in f.message
    assert lint("linear(500, start=0.01) >> cosine(to=0.1)", total_steps=10_000, beta2=0.98) == []
    none = only(lint("cosine_decay(1000)", beta2=0.98), "warmup-short-for-beta2")
    assert "linear_warmup(100)" in none.message
    tau = only(lint("exp_warmup(10, offset=1, duration=100) >> cosine()", total_steps=1000, beta2=0.99),
               "warmup-short-for-beta2")
    assert "tau >= 100" in tau.message


def test_scaled_schedule_is_linted_as_its_factor():
    assert lint(rampup.parse("linear(500, start=0.01) >> cosine(to=0.1)").scale(3e-4), total_steps=10_000) == []


def test_findings_are_sorted_by_step_and_print_as_one_line():
    findings = lint("linear(500) >> cosine(5000)", total_steps=10_000)
    assert codes(findings) == ["first-update-zero", "lr-zero-tail"]
    assert all("\n" not in str(f) for f in findings)
    assert str(findings[0]).startswith("step 0: info [first-update-zero]")


def test_bad_arguments_raise_rampup_errors():
    with pytest.raises(rampup.BudgetError, match="total_steps"):
        lint("linear(5%) >> cosine()")
    with pytest.raises(rampup.BudgetError, match="total_steps"):
        lint("inverse_sqrt()")
    with pytest.raises(rampup.RampupError, match="beta2"):
        lint("cosine_decay(10)", beta2=1.0)
    with pytest.raises(rampup.RampupError, match="max_jump"):
        lint("cosine_decay(10)", max_jump=0)
    with pytest.raises(rampup.RampupError, match="severity"):
        Finding("x", "fatal", "m")
    with pytest.raises(rampup.SpecError):
        lint("linear(5%")


def test_huge_run_is_scanned_in_chunks():
    # 3 M updates: more than one chunk; the drop at the join across a chunk border is still found
    spec = "linear(1100000, start=0.01) >> constant(value=0.5)"
    f = only(lint(spec, total_steps=3_000_000), "jump-at-join")
    assert f.step == 1_100_000
