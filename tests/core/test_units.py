"""Durations and the budget."""

import math

import pytest

import rampup as r
from rampup import Budget, BudgetError, Duration, RampupError


@pytest.mark.parametrize("text,expected", [
    ("500", 500), ("10k", 10_000), ("2M", 2_000_000), ("1e3", 1000),
    ("2ep", Duration(2, "epochs")), ("2.5 epochs", Duration(2.5, "epochs")),
    ("5%", Duration(5, "percent")), ("0.05", Duration(0.05, "ratio")),
    ("1M tok", Duration(1_000_000, "tokens")), ("1.5Mtok", Duration(1_500_000, "tokens")),
    ("50k samples", Duration(50_000, "samples")), ("300 steps", 300),
])
def test_parse_durations(text, expected):
    assert Duration.parse(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "-5", "1.5", "5%%", "2 ep ep", "150%", "1.0", "nan", "inf", "1e4005%",
                                  "1e999 tok"])
def test_bad_durations_name_the_text(text):
    with pytest.raises(RampupError) as e:
        Duration.parse(text)
    assert repr(text) in str(e.value) or text in str(e.value)


@pytest.mark.parametrize("duration,budget,steps", [
    ("5%", Budget(total_steps=10_000), 500),
    ("0.07", Budget(total_steps=10_000), 700),           # exact decimal: not 701
    ("0.1", Budget(total_steps=10_000), 1000),
    ("3%", Budget(total_steps=333), 10),                 # 9.99 rounds up, as HF's ceil(ratio * total)
    ("2ep", Budget(steps_per_epoch=391), 782),
    ("0.5ep", Budget(steps_per_epoch=391), 196),
    ("1M tok", Budget(tokens_per_step=4096), 245),       # ceil(1e6 / 4096)
    ("1M tok", Budget(tokens_per_step=1000), 1000),
    ("50k samples", Budget(batch_size=32, grad_accum=4), 391),  # ceil(50000 / 128)
])
def test_resolution(duration, budget, steps):
    assert budget.steps(Duration.parse(duration)) == steps


def test_budget_derives_total_from_epochs_and_checks_agreement():
    assert Budget(epochs=3, steps_per_epoch=100).total_steps == 300
    with pytest.raises(RampupError, match="disagrees"):
        Budget(total_steps=299, epochs=3, steps_per_epoch=100)


@pytest.mark.parametrize("field,value", [("total_steps", -1), ("steps_per_epoch", 0), ("batch_size", 1.5),
                                         ("grad_accum", 0), ("tokens_per_step", True), ("epochs", float("nan"))])
def test_bad_budget_fields(field, value):
    with pytest.raises(RampupError, match=field):
        Budget(**{field: value})


@pytest.mark.parametrize("spec,field", [("linear(5%) >> cosine()", "total_steps"),
                                        ("linear_warmup(2ep)", "steps_per_epoch"),
                                        ("linear_warmup(1M tok)", "tokens_per_step"),
                                        ("linear_warmup(10k samples)", "batch_size"),
                                        ("linear(100) >> cosine()", "total_steps")])
def test_unresolved_schedules_name_the_missing_field(spec, field):
    s = r.parse(spec)
    with pytest.raises(BudgetError, match=field):
        s(0)
    with pytest.raises(BudgetError, match=field):
        s.resolve(Budget())


def test_rest_of_training_and_runs_that_are_too_short():
    s = r.parse("linear(500) >> constant() >> sqrt(20%)", total_steps=10_000)
    assert s == r.linear_warmup(500) >> r.constant(7500) >> r.sqrt_decay(2000)
    with pytest.raises(BudgetError, match="more than total_steps=400"):
        r.parse("linear(500) >> cosine()", total_steps=400)
    with pytest.raises(BudgetError, match="more than total_steps"):
        r.linear_warmup(2000).resolve(total_steps=1000)
    with pytest.raises(RampupError, match="only one phase"):
        r.parse("linear(5) >> constant() >> cosine()", total_steps=100)


def test_a_lone_decay_takes_the_whole_run():
    assert r.parse("cosine_decay(to=0.1)", total_steps=100) == r.cosine_decay(100, to=0.1)
    assert r.parse("3e-4 * cosine_decay()", total_steps=100) == r.cosine_decay(100).scale(3e-4)


def test_open_phases_inside_a_product_take_the_rest_too():
    s = r.parse("linear(5) >> with_warmup(cosine_decay(), radam_warmup(), overlap=true)", total_steps=40)
    assert s == r.linear_warmup(5) >> r.cosine_decay(35) * r.radam_warmup()
    end = r.parse("exp_warmup(3.0) * cosine_decay(to=0.1)", total_steps=40)(40)
    assert end == pytest.approx(0.1 * (1 - math.exp(-40 / 3)), rel=1e-12)


def test_unknown_budget_fields_are_named():
    with pytest.raises(RampupError, match="unknown budget field 'total'; the fields are total_steps"):
        r.parse("linear(5%) >> cosine()").resolve(total=100)
    with pytest.raises(RampupError, match="unknown budget field 'steps'"):
        r.parse("linear(5%) >> cosine()", steps=100)
    with pytest.raises(RampupError, match="MyTrainer: unknown budget field 'total'"):
        r.as_schedule("linear(5%) >> cosine()", owner="MyTrainer", total=100)
