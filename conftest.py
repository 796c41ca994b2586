"""Settings for the whole suite (tests/ and the doctests in src/). Keras picks its backend once per process, at
import: the suite uses torch, and tests of
the jax backend run Keras in a subprocess."""

import ast
import doctest
import functools
import importlib.machinery
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# ---- Installs sized by need. With only some extras installed (the core alone: numpy), a test file, or a module
# whose doctests need a framework that is missing, is left out of the collection instead of failing to import, and
# the summary says which and why; a test that fails on a missing framework (imported on first use, or by a subprocess
# it starts) is a skip. With RAMPUP_TESTS_NEED_ALL=1 (CI's full run) each of these is an error.
_ROOT = Path(__file__).resolve().parent
_PACKAGE = _ROOT / "src" / "rampup"
_LEFT_OUT: dict[str, set[str]] = {}


@functools.cache
def _installed(name: str) -> bool:
    # looked up outside tests/, where tests/torch/ would pass for a namespace package named torch (a venv inside the
    # checkout, .venv/, is where the packages are)
    outside = [p for p in sys.path if p and not Path(p).resolve().is_relative_to(_ROOT / "tests")]
    return importlib.machinery.PathFinder.find_spec(name, outside) is not None


def _resolve(base: Path, parts: list[str]) -> list[Path]:
    """The files that importing ``parts`` below ``base`` runs: each package's __init__.py, then the module."""
    files, here = [], base
    for i, part in enumerate(parts):
        here = here / part
        if (here / "__init__.py").is_file():
            files.append(here / "__init__.py")
        elif i == len(parts) - 1 and here.with_suffix(".py").is_file():
            files.append(here.with_suffix(".py"))
        elif not here.is_dir():  # a directory without __init__.py is a namespace package: go on
            break
    return files


@functools.cache
def _missing(path: Path, doctests: bool = False) -> frozenset[str]:
    """The top-level modules that ``path`` imports, directly or through rampup's modules and the test helpers, and
    that are not installed: its module-level imports, and with ``doctests`` those its examples make."""
    source = path.read_text(encoding="utf-8")
    nodes = list(ast.parse(source).body)
    if doctests:
        examples = [m.group(1) for m in re.finditer(r"^\s*>>> ((?:import|from) .*)$", source, re.M)]
        nodes += [node for line in examples for node in ast.parse(line.strip()).body]
    missing: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets = [(None, alias.name.split(".")) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = path.parents[node.level - 1]
            module = node.module.split(".") if node.module else []
            targets = [(base, module)] if module else [(base, [a.name]) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            targets = [(None, node.module.split("."))]
        else:
            continue
        for base, parts in targets:
            if base is None and parts[0] == "rampup":
                base, parts = _PACKAGE.parent, parts
            elif base is None:
                local = [b for b in (path.parent, _ROOT / "tests", _ROOT) if _resolve(b, parts)]
                base = local[0] if local and not path.is_relative_to(_PACKAGE) else None
            if base is None:
                if parts[0] not in sys.stdlib_module_names and not _installed(parts[0]):
                    missing.add(parts[0])
                continue
            for file in _resolve(base, parts):
                if file != path:
                    missing |= _missing(file)
    return frozenset(missing)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    path = Path(collection_path).resolve()
    doctests = path.is_relative_to(_PACKAGE)
    # --doctest-modules imports every module under testpaths, test helpers too
    if path.suffix != ".py" or path.name == "conftest.py" or not path.is_relative_to(_ROOT):
        return None
    missing = _missing(path, doctests=doctests)
    if not missing:
        return None
    if os.environ.get("RAMPUP_TESTS_NEED_ALL") == "1":
        raise pytest.UsageError(f"{path.relative_to(_ROOT)} needs {', '.join(sorted(missing))}: not installed")
    _LEFT_OUT.setdefault(", ".join(sorted(missing)), set()).add(str(path.relative_to(_ROOT)))
    return True


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for missing, found in sorted(_LEFT_OUT.items()):
        paths = sorted(found)
        shown = ", ".join(paths[:3]) + (", ..." if len(paths) > 3 else "")
        terminalreporter.write_line(f"not collected, {missing} not installed: {len(paths)} file(s) ({shown})")


# A directory of tests named like a framework (tests/torch/, without __init__.py) would pass for that framework, as
# a namespace package, once tests/ is on sys.path; where the framework is missing, its import must fail instead.
for _dir in (_ROOT / "tests").iterdir():
    if _dir.is_dir() and not (_dir / "__init__.py").exists() and not _installed(_dir.name):
        sys.modules.setdefault(_dir.name, None)  # type: ignore[assignment]


def _missing_module(exc: BaseException | None) -> str | None:
    """The missing framework behind a failure, if any: an ImportError anywhere in the exception's chain."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, doctest.UnexpectedException):
            exc = exc.exc_info[1]
            continue
        if isinstance(exc, ImportError) and exc.name:
            top = exc.name.split(".")[0]
            if top != "rampup" and not _installed(top):
                return top
        exc = exc.__cause__ or exc.__context__
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None and os.environ.get("RAMPUP_TESTS_NEED_ALL") != "1":
        module = _missing_module(call.excinfo.value)
        if module is None:  # or a subprocess of the test that failed on its import
            named = re.findall(r"ModuleNotFoundError: No module named '([\w.]+)'", report.longreprtext)
            module = next((m.split(".")[0] for m in named if not _installed(m.split(".")[0])), None)
        if module is not None:  # a framework imported on first use, as rampup's adapters do
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: needs {module}, not installed")
