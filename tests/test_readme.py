"""The README and the getting-started page run as written, and their comments say what the code gives.

Each Python block runs in a fresh interpreter (``python -I``: no PYTHONPATH, no user site), from a temporary
directory, with the suite's environment (KERAS_BACKEND, set by conftest.py) taken out, as a reader pasting it into a
new session would run it. A line whose comment starts with a value (``s(0)  # 0.0: ...``) is checked: the value
the line shows (its repr, as the REPL shows it, or what it prints) must be the comment's text up to the first ": ".
A block that imports a framework that is not installed is skipped.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = ("README.md", "docs/index.md", "docs/getting-started.md")
SUITE_ENV = ("KERAS_BACKEND", "TOKENIZERS_PARALLELISM")

# runs one block statement by statement; prints {line: what the line shows} as JSON on the last line
DRIVER = r"""
import ast, contextlib, io, json, sys
src = sys.stdin.read()
ns = {"__name__": "__main__"}
shown = {}
for node in ast.parse(src).body:
    if isinstance(node, ast.Expr):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            value = eval(compile(ast.Expression(node.value), "<block>", "eval"), ns)
        shown[node.end_lineno] = buf.getvalue().rstrip("\n") if value is None else repr(value)
    else:
        exec(compile(ast.Module([node], []), "<block>", "exec"), ns)
print(json.dumps(shown))
"""

# a comment that starts with a value: a number, a literal, a call or a repr like linear_warmup(500)
VALUE = re.compile(r"^(?:[-\d\[\(\'\"]|\w+\()")


def blocks(page: str) -> list[tuple[str, int, str]]:
    text = (ROOT / page).read_text()
    found = re.finditer(r"```python\n(.*?)```", text, re.S)
    return [(page, text[: m.start()].count("\n") + 2, m.group(1)) for m in found]


# the framework each adapter needs, for a block that uses it after a plain ``import rampup``
ADAPTERS = {"torch": "torch", "auto": "torch", "optax": "optax", "keras": "keras", "sb3": "stable_baselines3",
            "lightning": "lightning"}


def needed_modules(code: str) -> set[str]:
    """The top-level modules a block needs: those it imports, each adapter's framework, and Keras's backend."""
    names = set(re.findall(r"^\s*import ([\w.]+)", code, re.M))
    names |= set(re.findall(r"^\s*from ([\w.]+) import", code, re.M))
    needed = {n.split(".")[0] for n in names}
    needed |= {ADAPTERS[a] for a in re.findall(r"\brampup\.(\w+)", code) if a in ADAPTERS}
    needed |= set(re.findall(r"KERAS_BACKEND\"\s*,\s*\"(\w+)\"", code))
    return needed


def expected_values(code: str) -> dict[int, str]:
    expected = {}
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:
            comment = tok.string.lstrip("#").strip()
            if VALUE.match(comment):
                expected[tok.start[0]] = comment.split(": ")[0].strip()
    return expected


def run_as_a_reader(code: str, tmp_path: Path) -> dict[int, str]:
    env = {k: v for k, v in os.environ.items() if k not in SUITE_ENV}
    out = subprocess.run([sys.executable, "-I", "-c", DRIVER], input=code, capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return {int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


ALL_BLOCKS = [b for page in PAGES for b in blocks(page)]


@pytest.mark.parametrize("page, line, code", ALL_BLOCKS, ids=[f"{p}:{n}" for p, n, _ in ALL_BLOCKS])
def test_python_block_runs_as_written_and_its_comments_are_true(page: str, line: int, code: str, tmp_path: Path):
    missing = sorted(m for m in needed_modules(code) if importlib.util.find_spec(m) is None)
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    shown = run_as_a_reader(code, tmp_path)
    expected = expected_values(code)
    assert expected or page != "README.md" or "import torch" in code, "no value in the comments to check"
    for n, value in expected.items():
        assert n in shown, f"{page}:{line + n - 1}: the comment gives a value but the line shows none"
        assert shown[n] == value, f"{page}:{line + n - 1}: shows {shown[n]!r}, the comment says {value!r}"


def test_the_readme_has_exactly_two_commands_and_they_install_declared_extras():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the test extra brings tomli
        import tomli as tomllib

    readme = (ROOT / "README.md").read_text()
    shell = re.findall(r"```bash\n(.*?)```", readme, re.S)
    assert len(shell) == 2, "the README shows exactly two commands: the demo and the tests"
    demo, tests = shell
    for command in shell:
        assert "git clone" in command and "cd rampup" in command and "venv" in command, command
    assert re.search(r'pip install -c constraints\.txt "\.\[studies\]"', demo) and "rampup demo" in demo
    assert "bash .ci/run" in tests
    ci = (ROOT / ".ci/run").read_text()
    assert re.search(r'pip install .*-e "\.\[dev\]"', ci) and "pytest" in ci
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for page in (ROOT / "README.md", ROOT / "docs/getting-started.md"):
        for extra_list in re.findall(r'\.\[([\w,]+)\]"', page.read_text()):
            for extra in extra_list.split(","):
                assert extra in extras, f"{page.name} installs an undeclared extra {extra!r}"


def test_every_spec_in_the_shape_tables_is_a_known_name():
    import rampup.core.spec

    names = set(re.findall(r"^\| `([a-z_]+)\(", (ROOT / "docs/shapes.md").read_text(), re.M))
    assert len(names) > 20, "the shape tables are missing"
    assert names <= set(rampup.core.spec.FACTORIES), names - set(rampup.core.spec.FACTORIES)
