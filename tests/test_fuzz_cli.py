"""Fuzz: random and mutated specs, configs and command lines. parse, lint and load_config may only raise rampup's
documented errors (RampupError and its subclasses); the command may only exit with 0, 1 or 2, with one line on
error."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rampup

pytest.importorskip("typer")
from typer.testing import CliRunner

from rampup.cli import app

SEEDS = [
    "linear(5%) >> cosine(to=0.1)",
    "linear(500, start=0.01) >> cosine(to=0.1)",
    "wsd(10%, 20%, shape='linear')",
    "one_cycle(1000, pct=0.25)",
    "repeat(linear(10) >> cosine(90), times=3, mult=2)",
    "exp_warmup(10, offset=1) * cosine_decay(1000)",
    "constant_warmup(2ep, start=0.1) >> multistep([30ep, 60ep], gamma=0.1)",
    "tri_stage(100, 400, 500)",
    "noam(4000)",
    "linear(1M tok) >> inverse_sqrt()",
]
TOKENS = ["linear", "cosine", "(", ")", ">>", "*", ",", "=", "5%", "2ep", "0.5", "-1", "1e400", "to", "start",
          "[", "]", "'x'", "none", "true", "10k", "1M tok", " ", "repeat", "wsd", "nan", "0"]


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def specs(draw):
    kind = draw(st.sampled_from(["mutate", "tokens", "text"]))
    if kind == "tokens":
        return "".join(draw(st.lists(st.sampled_from(TOKENS), max_size=12)))
    if kind == "text":
        return draw(st.text(max_size=40))
    s = list(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(s)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        c = draw(st.sampled_from(list("()[],=>*%.-0123456789 eEkMx'")))
        if op == "insert":
            s.insert(i, c)
        elif s and i < len(s):
            if op == "delete":
                del s[i]
            else:
                s[i] = c
    return "".join(s)


budget_fields = st.fixed_dictionaries({}, optional={
    "total_steps": st.integers(0, 20_000),
    "steps_per_epoch": st.integers(0, 2000),
    "tokens_per_step": st.integers(1, 10**6),
})


@SETTINGS
@given(spec=specs(), budget=budget_fields, beta2=st.one_of(st.none(), st.floats(0.0, 0.9999)))
def test_parse_and_lint_raise_only_rampup_errors(spec, budget, beta2):
    try:
        s = rampup.parse(spec)
    except rampup.RampupError:
        return
    try:
        findings = rampup.lint(s, beta2=beta2, **budget)
    except rampup.RampupError:
        return
    assert all(isinstance(f, rampup.Finding) and "\n" not in f.message for f in findings)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=True) | st.text(max_size=10),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
    max_leaves=8,
)


@st.composite
def configs(draw):
    data = {}
    if draw(st.booleans()):
        data["schedule"] = draw(specs() | json_values)
    for key in draw(st.lists(st.sampled_from(["lr", "total_steps", "steps_per_epoch", "epochs", "batch_size",
                                               "grad_accum", "tokens_per_step", "optimizer", "other"]),
                             max_size=4, unique=True)):
        data[key] = draw(json_values | st.integers(1, 10_000))
    return data


@SETTINGS
@given(data=configs())
def test_load_config_raises_only_rampup_errors(data):
    try:
        cfg = rampup.load_config(data)
    except rampup.RampupError as e:
        assert "\n" not in str(e)
        return
    assert isinstance(cfg.schedule, rampup.Schedule)


runner = CliRunner()


@SETTINGS
@given(spec=specs(), cmd=st.sampled_from(["show", "values", "lint"]),
       extra=st.lists(st.sampled_from(["--total", "100", "-1", "abc", "--lr", "3e-4", "--every", "0",
                                       "--steps-per-epoch", "10", "--format", "json", "--beta2", "0.99", "nan"]),
                      max_size=4))
def test_cli_exits_0_1_or_2_with_one_line_errors(spec, cmd, extra):
    r = runner.invoke(app, [cmd, spec, *extra])
    assert r.exit_code in (0, 1, 2), (r.exception, r.output)
    assert not isinstance(r.exception, Exception) or isinstance(r.exception, SystemExit), r.exception
    if r.exit_code == 2:
        assert len(r.output.strip().splitlines()) == 1, r.output


@SETTINGS
@given(data=configs(), suffix=st.sampled_from(["json", "yaml", "toml"]))
def test_cli_with_random_config_files(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("cfg") / f"c.{suffix}"
    if suffix == "toml":
        # TOML has no null: write what it can hold, and plain text otherwise
        text = "\n".join(f"{k} = {json.dumps(v)}" for k, v in data.items() if isinstance(v, (int, float, str)))
    else:
        text = json.dumps(data)  # JSON is YAML too
    path.write_text(text)
    r = runner.invoke(app, ["lint", "--config", str(path)])
    assert r.exit_code in (0, 1, 2), (r.exception, r.output)
    if r.exit_code == 2:
        assert len(r.output.strip().splitlines()) == 1, r.output
