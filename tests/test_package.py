"""The public face of the package."""

import subprocess
import sys

import pytest

import rampup


def test_all_is_sorted_and_complete():
    assert rampup.__all__ == sorted(rampup.__all__)
    for name in rampup.__all__:
        assert hasattr(rampup, name), name
    public = {n for n in dir(rampup) if not n.startswith("_") and n not in ("annotations",)}
    modules = {n for n in public if type(getattr(rampup, n)).__name__ == "module"}
    assert public - modules <= set(rampup.__all__)


def test_core_imports_no_framework():
    code = (
        "import sys, rampup; rampup.parse('linear(5%) >> cosine(to=0.1)', total_steps=100)(3);"
        "heavy = [m for m in ('torch', 'jax', 'keras', 'tensorflow', 'optax', 'matplotlib', 'typer', 'pydantic',"
        " 'stable_baselines3') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_function_has_a_formula_docstring_with_an_example():
    for name in rampup.__all__:
        obj = getattr(rampup, name)
        if callable(obj) and not isinstance(obj, type):
            doc = obj.__doc__ or ""
            assert ">>>" in doc, f"{name} has no runnable example"


def test_py_typed_is_shipped():
    from importlib.resources import files

    assert files("rampup").joinpath("py.typed").is_file()


def test_the_version_is_written_in_one_place():
    import importlib.metadata
    from pathlib import Path

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the test extra brings tomli
        import tomli as tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "src/rampup/__init__.py"
    # the installed metadata is read from rampup.__version__ (an editable install rereads it when reinstalled)
    assert importlib.metadata.version("rampup") == rampup.__version__


def test_the_command_shows_the_same_version():
    pytest.importorskip("typer")
    out = subprocess.run([sys.executable, "-m", "rampup", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"rampup {rampup.__version__}"
