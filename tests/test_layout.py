"""The house plan, kept: every module of src/rampup has a test file that mirrors it, and every module sits in a
layer of the import-linter contract in pyproject.toml (so a new module cannot slip out of the layering CI checks)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "rampup"
TESTS = ROOT / "tests"

# modules whose tests live in a file named for what they do rather than for the module
ELSEWHERE = {
    "__main__.py": "test_cli.py",  # the console script
    "core/errors.py": "core/test_validate.py",  # every error a bad argument gets
    "core/shapes.py": "core/test_warmup.py",  # the curves, through the warmups and decays built on them
    "core/cyclic.py": "core/test_families.py",
    "core/growth.py": "core/test_families.py",
    "core/tanh.py": "core/test_families.py",
    "core/noise.py": "core/test_families.py",
    "core/peak.py": "core/test_families.py",
    "check/facts.py": "check/test_lint.py",
    "lightning.py": "integrations/test_lightning.py",
    "torch/base.py": "torch/test_torch_steps.py",
    "torch/hf.py": "integrations/test_hf_scheduler.py",
    "auto/_recipe.py": "auto/test_auto_recipe.py",
    "studies/_runner.py": "studies/test_studies_tasks.py",
    "studies/_tasks.py": "studies/test_studies_tasks.py",
    "studies/_lm.py": "studies/test_studies_tasks.py",
    "studies/_digits.py": "studies/test_studies_tasks.py",
    "studies/_study.py": "studies/test_studies_resume.py",
    "studies/__main__.py": "studies/test_studies_cli.py",
}


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if path.name != "__init__.py" or rel == "__init__.py":
            yield rel


def _mirrors(rel):
    if rel in ELSEWHERE:
        return [TESTS / ELSEWHERE[rel]]
    parts = rel.split("/")
    stem = parts[-1][:-3].lstrip("_") or "package"
    folder = TESTS.joinpath(*parts[:-1])
    names = [f"test_{stem}", f"test_{parts[-2]}_{stem}"] if len(parts) > 1 else [f"test_{stem}"]
    if rel == "__init__.py":
        names = ["test_package"]
    return [p for p in folder.glob("test_*.py") if any(p.stem == n or p.stem.startswith(n + "_") for n in names)]


@pytest.mark.parametrize("rel", list(_modules()))
def test_every_module_has_a_mirroring_test_file(rel):
    found = _mirrors(rel)
    assert found and all(p.is_file() for p in found), f"src/rampup/{rel} has no test file that mirrors it"


def _contract_modules():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    named = set()
    for c in contracts:
        if c["type"] != "layers":
            continue
        prefix = [f"{k}." for k in c.get("containers", [])] or [""]
        for layer in c["layers"]:
            for name in layer.replace(":", "|").split("|"):
                named.add(prefix[0] + name.strip())
    return named


def test_every_subpackage_and_core_module_is_in_a_layer():
    named = _contract_modules()
    top = {f"rampup.{p.stem}" for p in SRC.iterdir() if (p.suffix == ".py" or (p / "__init__.py").exists())
           and not p.name.startswith("_")}
    core = {f"rampup.core.{p.stem}" for p in (SRC / "core").glob("*.py") if p.name != "__init__.py"}
    check = {f"rampup.check.{p.stem}" for p in (SRC / "check").glob("*.py") if p.name != "__init__.py"}
    assert not (top | core | check) - named, f"not in any layer of the import contract: {(top | core | check) - named}"
