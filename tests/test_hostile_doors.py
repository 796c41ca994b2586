"""The doors users walk through first: spec names as people type them, any Mapping as a dict, lint severities."""

import re
from pathlib import Path

import pytest

import rampup

ROOT = Path(__file__).resolve().parents[1]


# ---- spec names -------------------------------------------------------------------------------------------------

def test_bare_name_without_parentheses():
    assert rampup.parse("linear(5%) >> cosine") == rampup.parse("linear(5%) >> cosine()")
    assert rampup.parse("linear(5%) >> cosine_decay") == rampup.parse("linear(5%) >> cosine()")
    assert rampup.parse("linear_warmup(10) >> constant >> linear_decay(5)") == (
        rampup.linear_warmup(10) >> rampup.constant() >> rampup.linear_decay(5))


def test_bare_name_that_needs_arguments_says_so():
    with pytest.raises(rampup.SpecError, match=r"linear_warmup.*duration"):
        rampup.parse("linear_warmup >> cosine")


@pytest.mark.parametrize("typo, near", [("cosin_decay", "cosine_decay"), ("linear_warmpu", "linear_warmup"),
                                        ("multi_step", "multistep"), ("onecycle", "one_cycle")])
def test_unknown_name_gets_did_you_mean(typo, near):
    with pytest.raises(rampup.SpecError) as e:
        rampup.parse(f"{typo}(10)")
    assert f"did you mean {near}" in str(e.value).splitlines()[0]


@pytest.mark.parametrize("foreign, ours", [
    ("cosine_with_warmup", "linear_warmup(W) >> cosine_decay()"),
    ("get_cosine_schedule_with_warmup", "linear_warmup(W) >> cosine_decay()"),
    ("get_linear_schedule_with_warmup", "linear_warmup(W) >> linear_decay()"),
    ("linear_schedule_with_warmup", "linear_warmup(W) >> linear_decay()"),
    ("LinearLR", "linear_warmup("),
    ("CosineAnnealingLR", "cosine_decay("),
    ("CosineAnnealingWarmRestarts", "repeat(cosine_decay("),
    ("StepLR", "step_decay("),
    ("MultiStepLR", "multistep("),
    ("OneCycleLR", "one_cycle("),
    ("warmup_cosine_decay_schedule", "linear_warmup("),
])
def test_foreign_names_get_the_rampup_spelling(foreign, ours):
    with pytest.raises(rampup.SpecError) as e:
        rampup.parse(f"{foreign}(10)")
    first = str(e.value).splitlines()[0]
    assert ours in first and foreign in first


def test_known_names_do_not_list_internal_node_types():
    with pytest.raises(rampup.SpecError) as e:
        rampup.parse("nonsense_name_xyz(1)")
    known = str(e.value).splitlines()[0].split("known:")[1].split(" (at position")[0]
    names = {n.strip() for n in known.split(",")}
    assert "linear_warmup" in names and "cosine_decay" in names and "wsd" in names
    assert not names & {"sequence", "product", "scaled"}


@pytest.mark.parametrize("spec", ["linear(500)", "cosine(10)", "clip(linear(500), min=0.1)", "0.5 * sqrt(10)"])
def test_a_lone_shape_name_asks_for_warmup_or_decay(spec):
    with pytest.raises(rampup.SpecError) as e:
        rampup.parse(spec)
    msg = str(e.value).splitlines()[0]
    name = re.match(r"[^a-z]*([a-z]+)\(", spec.replace("clip(", "").replace("0.5 * ", "")).group(1)
    assert f"{name}_warmup" in msg and f"{name}_decay" in msg


@pytest.mark.parametrize("spec,meant", [
    # a warmup has no floor (to=) and always needs its duration: these can only be decays
    ("cosine(to=0.1)", rampup.cosine_decay(to=0.1)),
    ("3e-4 * cosine()", rampup.cosine_decay().scale(3e-4)),
    ("linear(10%, to=0.05)", rampup.linear_decay("10%", to=0.05)),
    ("poly(100, to=0.1, power=2)", rampup.poly_decay(100, to=0.1, power=2)),
])
def test_a_lone_shape_name_whose_arguments_fit_one_part_plays_it(spec, meant):
    assert rampup.parse(spec) == meant


def test_where_the_caller_knows_the_part_a_lone_name_plays_it():
    assert rampup.parse("cosine(500)", role="decay") == rampup.cosine_decay(500)
    assert rampup.parse("linear(500)", role="warmup") == rampup.linear_warmup(500)
    # a chain still reads by position, whatever the caller's part
    assert rampup.parse("linear(5) >> cosine(10)", role="decay") == rampup.linear_warmup(5) >> rampup.cosine_decay(10)
    with pytest.raises(rampup.RampupError, match="role must be"):
        rampup.parse("cosine(500)", role="rise")


def test_shape_names_in_a_chain_keep_their_meaning():
    assert rampup.parse("linear(5) >> cosine(10)") == rampup.linear_warmup(5) >> rampup.cosine_decay(10)
    assert rampup.parse("linear(5) >> linear(10) >> sqrt(3)") == (
        rampup.linear_warmup(5) >> rampup.linear_decay(10) >> rampup.sqrt_decay(3))
    # a schedule given to a call plays the call's part; sequence([...]) spells out a chain
    assert rampup.parse("linear(2%) >> repeat(cosine(1000, to=0.1), mult=2)") == (
        rampup.linear_warmup("2%") >> rampup.repeat(rampup.cosine_decay(1000, to=0.1), mult=2))
    assert rampup.parse("sequence([linear(5), cosine(5)])") == rampup.linear_warmup(5) >> rampup.cosine_decay(5)


# ---- any Mapping ------------------------------------------------------------------------------------------------

def test_from_dict_and_load_config_accept_omegaconf():
    omegaconf = pytest.importorskip("omegaconf")
    s = rampup.parse("linear_warmup(5%) >> cosine_decay(to=0.1) >> constant(10)")
    cfg = omegaconf.OmegaConf.create(s.to_dict())
    assert rampup.from_dict(cfg) == s
    full = omegaconf.OmegaConf.create({"rampup": {"schedule": s.to_dict(), "lr": 3e-4, "total_steps": 1000,
                                                  "optimizer": {"betas": [0.9, 0.999]}}})
    loaded = rampup.load_config(full)
    assert loaded.schedule == s.resolve(total_steps=1000) and loaded.beta2 == 0.999
    assert rampup.as_schedule(cfg, total_steps=1000) == s.resolve(total_steps=1000)


def test_from_dict_accepts_a_read_only_mapping():
    from types import MappingProxyType

    s = rampup.linear_warmup(5) >> rampup.cosine_decay(10)
    d = s.to_dict()
    proxy = MappingProxyType({**d, "phases": tuple(MappingProxyType(p) for p in d["phases"])})
    assert rampup.from_dict(proxy) == s


# ---- lint severities --------------------------------------------------------------------------------------------

def test_readme_headline_lints_clean_of_errors_and_warnings():
    findings = rampup.lint("linear(5%) >> cosine(to=0.1)", total_steps=10_000)
    assert [(f.code, f.severity) for f in findings] == [("first-update-zero", "info")]


def test_severities_are_error_warning_info():
    findings = rampup.lint("linear_warmup(100) >> linear_decay(10)", total_steps=100, beta2=0.999)
    assert {f.severity for f in findings} <= {"error", "warning", "info"}
    assert "error" in {f.severity for f in findings}


def _cli(*args):
    pytest.importorskip("typer")
    from typer.testing import CliRunner

    from rampup.cli import app

    return CliRunner().invoke(app, list(args))


def test_cli_lint_exits_1_only_on_errors_unless_strict():
    assert _cli("lint", "linear(5%) >> cosine(to=0.1)", "--total", "10000").exit_code == 0
    warn = ["lint", "linear_warmup(60, start=0.01) >> cosine_decay(to=0.1)", "--total", "100"]
    assert _cli(*warn).exit_code == 0  # warmup-too-long (more than half) is a warning
    assert _cli(*warn, "--strict").exit_code == 1
    assert _cli("lint", "linear_warmup(100, start=0.01) >> cosine_decay()", "--total", "100").exit_code == 1


_SPEC_CALL = re.compile(r"`([^`]*\b[a-z_]+\([^`]*\)[^`]*)`")
_MARK = "<!-- lint: shows"  # a doc marks an example that is there to show a finding


def _doc_examples():
    out = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if _MARK in line:
                continue
            for m in _SPEC_CALL.finditer(line):
                text = m.group(1).strip()
                if text.startswith(("rampup ", "python", "pip", "import")) or "=" in text.split("(")[0]:
                    continue
                try:
                    s = rampup.parse(text)
                except rampup.RampupError:
                    continue  # Python code or a formula, not a spec
                out.append((f"{path.name}:{i}", text, s))
    return out


def test_every_doc_spec_lints_without_errors():
    examples = _doc_examples()
    assert len(examples) > 30
    bad = []
    for where, text, s in examples:
        budget = {"steps_per_epoch": 100, "tokens_per_step": 4096, "batch_size": 32}
        for total in (10_000, 100_000, 1_000_000):  # the first run the example fits
            try:
                findings = rampup.lint(s, total_steps=total, **budget)
                break
            except rampup.BudgetError as e:
                error = e
        else:
            bad.append(f"{where}: {text}: {error}")
            continue
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            bad.append(f"{where}: {text}: {errors[0]}")
    assert not bad, "\n".join(bad)
