"""The spec-string parser: a real parser, readable errors, and parse(repr(s)) == s for every kind."""

import pytest

import rampup as r
from rampup import SpecError

EVERY_KIND = [
    "linear_warmup(500)", "linear_warmup(5%, start=0.01, offset=1)", "cosine_warmup(2ep)",
    "poly_warmup(100, power=3.0)",
    "sqrt_warmup(0.05)", "log_warmup(1M tok)", "geometric_warmup(100, start=0.001)", "constant_warmup(5, start=0.1)",
    "exp_warmup(10.0, offset=1)", "radam_warmup(0.98)", "radam_warmup(offset=7)",
    "linear_decay(100, to=0.1)", "cosine_decay(to=0.1, cycles=3)", "poly_decay(100, to=0.01, power=2.0)",
    "sqrt_decay(20%)", "geometric_decay(100, to=0.001)", "constant()", "constant(5, value=0.5)",
    "exp_decay(0.99, every=10, to=0.01)", "step_decay(30ep, gamma=0.5)", "multistep([30, 60, 90], gamma=0.2)",
    "multistep([30ep, 60ep])", "inverse_sqrt(1000)", "inverse_sqrt()", "noam(4000)",
    "linear_warmup(500) >> cosine_decay(to=0.1)", "linear_warmup(5) >> constant(10) >> sqrt_decay(5)",
    "0.0003 * (linear_warmup(5) >> cosine_decay(95))", "cosine_decay(100) * exp_warmup(10.0)",
    "clip(linear_decay(100), min=0.1)", "clip(linear_decay(100), min=0.1, max=0.5)",
    "repeat(linear_warmup(5) >> cosine_decay(45), times=3)", "repeat(cosine_decay(10), mult=2.0)",
    "cosine_decay(100) * (0.5 * exp_warmup(3.0))",
]


@pytest.mark.parametrize("spec", EVERY_KIND)
def test_canonical_specs_round_trip_exactly(spec):
    s = r.parse(spec)
    assert repr(s) == spec
    assert r.parse(repr(s)) == s


@pytest.mark.parametrize("spec,expected", [
    ("linear(5%) >> cosine(to=0.1)", r.linear_warmup("5%") >> r.cosine_decay(to=0.1)),
    ("linear(5%) >> cosine", r.linear_warmup("5%") >> r.cosine_decay()),  # a bare name is a call
    ("linear(10) >> linear(to=0.1)", r.linear_warmup(10) >> r.linear_decay(to=0.1)),
    ("sqrt(10) >> constant() >> sqrt(10)", r.sqrt_warmup(10) >> r.constant() >> r.sqrt_decay(10)),
    ("poly(10, power=2) >> poly(20, power=2)", r.poly_warmup(10, power=2) >> r.poly_decay(20, power=2)),
    ("geometric(10, start=0.01) >> geometric(10)", r.geometric_warmup(10, start=0.01) >> r.geometric_decay(10)),
    ("wsd(5%, 20%, shape='linear')", r.wsd("5%", "20%", shape="linear")),
    ('wsd(5%, 20%, shape="cosine", warmup_shape=sqrt)', r.wsd("5%", "20%", shape="cosine", warmup_shape="sqrt")),
    ("one_cycle(1000, pct=0.25)", r.one_cycle(1000, pct=0.25)),
    ("tri_stage(10%, 40%, 50%)", r.tri_stage("10%", "40%", "50%")),
    ("untuned_warmup(0.98) >> cosine()", r.untuned_warmup(0.98) >> r.cosine_decay()),
    ("with_warmup(step_decay(30), 5)", r.linear_warmup(5) >> r.step_decay(30)),
    ("with_warmup(cosine_decay(100), radam_warmup(), overlap=true)", r.cosine_decay(100) * r.radam_warmup()),
    ("step_decay(every=10) * 2", r.step_decay(10).scale(2)),
    ("  linear ( 10 ) >>cosine( 90 ,) ", r.linear_warmup(10) >> r.cosine_decay(90)),
    ("linear(1e3) >> cosine(9e3)", r.linear_warmup(1000) >> r.cosine_decay(9000)),
    ("(linear(10) >> constant(5)) >> cosine(5)", r.linear_warmup(10) >> r.constant(5) >> r.cosine_decay(5)),
])
def test_spellings(spec, expected):
    assert r.parse(spec) == expected


@pytest.mark.parametrize("spec,position,words", [
    ("linear(5%) >>", 13, "expected a schedule"),
    ("linear(5%) > cosine()", 11, "unexpected character '>'"),
    ("linear(5%) >> cosine(to=0.1", 27, "expected ',' or ')'"),
    ("linear(5%) cosine()", 11, "expected '>>', '*' or the end"),
    ("lineer(5%)", 0, "unknown schedule 'lineer'"),
    ("linear(5%) >> cosine(too=0.1)", 14, "has no argument 'too'"),
    ("cosine(to=0.1, 100)", 15, "expected a keyword argument"),
    ("cosine_decay(100, duration=5)", 0, "given twice"),
    ("cosine_decay(to=1.5)", 16, "to must be in [0, 1], got 1.5"),
    ("linear_warmup(-5)", 14, "duration must be a number of steps in [0, 2**53], got -5"),
    ("linear(5%) >> 0.5", 14, "must be a schedule"),
    ("0.5", 0, "must describe a schedule"),
    ("2 * 3", 0, "'*' needs a schedule"),
    ("geometric_warmup(10)", 0, "needs the argument 'start'"),
    ("linear_warmup(1.5)", 14, "whole steps"),
    ("__import__('os')", 0, "unknown schedule '__import__'"),
    ("__import__('os').system('echo hi')", 16, "unexpected character '.'"),
    ("linear.__class__", 6, "unexpected character '.'"),
    ("multistep([10, 5])", 10, "strictly increasing"),
    ("cosine(to=0.1, to=0.2)", 15, "given twice"),
    ("linear(5%) >> ()", 15, "expected a schedule"),
    ("clip(0.5)", 5, "schedule must be a schedule"),
    ("linear(10) >> linear_decay(5, to=0.5) >> linear_decay(5, to=0.8)", 41, "cannot follow"),
    ("cosine_decay(100, to=0.1, start=0.05)", 21, "to=0.1 is above start=0.05"),
    ("linear(500)", 0, "linear_warmup(...) for a warmup"),
])
def test_errors_name_the_position_and_what_was_expected(spec, position, words):
    with pytest.raises(SpecError) as e:
        r.parse(spec)
    assert e.value.position == position, str(e.value)
    assert words in str(e.value)
    assert "^" in str(e.value)  # the message points at the place


@pytest.mark.parametrize("bad", [None, 42, b"linear(5)", "", "   ", "linear(", "cosine(100,", "cosine(to=",
                                 "wsd(5, 5, shape=", "(" * 80 + "linear_warmup(5)" + ")" * 80, "x" * 1_000_001])
def test_bad_spec_values(bad):
    with pytest.raises(SpecError):
        r.parse(bad)


def test_parse_with_a_budget_resolves():
    s = r.parse("linear(2ep) >> cosine(to=0.1)", steps_per_epoch=100, epochs=10)
    assert s == r.linear_warmup(200) >> r.cosine_decay(800, to=0.1)
    assert r.parse("linear(5%) >> cosine()", r.Budget(total_steps=100)) == r.linear_warmup(5) >> r.cosine_decay(95)


def test_from_dict_errors_name_the_path():
    with pytest.raises(SpecError, match=r"\$.phases\[1\].type: unknown schedule 'cosinus'"):
        r.from_dict({"type": "sequence", "phases": [{"type": "linear_warmup", "duration": 5}, {"type": "cosinus"}]})
    with pytest.raises(SpecError, match="has no 'type'"):
        r.from_dict({"duration": 5})
    with pytest.raises(SpecError, match="no argument 'lenght'"):
        r.from_dict({"type": "linear_warmup", "lenght": 5})
    with pytest.raises(SpecError, match=r"to must be in \[0, 1\], got 2"):
        r.from_dict({"type": "cosine_decay", "to": 2})
    with pytest.raises(SpecError, match="expected a schedule mapping"):
        r.from_dict([1, 2])
