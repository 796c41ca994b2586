"""mkdocs hook: the API reference must cover the whole public API, each name with its own docstring.

`mkdocs build --strict` turns the warnings logged here into a failed build, so a public name added without a
docstring, or left off the API pages, is caught before it ships. The modules are imported, so the build runs in an
install that has every adapter's framework (`.[dev,docs]`).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.check_api")

#: the public modules and the API page that documents each
PAGES = {
    "rampup": "api/rampup.html",
    "rampup.torch": "api/torch.html",
    "rampup.torch.hf": "api/torch.html",
    "rampup.optax": "api/optax.html",
    "rampup.keras": "api/keras.html",
    "rampup.sb3": "api/sb3.html",
    "rampup.lightning": "api/lightning.html",
    "rampup.auto": "api/auto.html",
}
NOT_DOCUMENTED = {"__version__"}  # a string, shown by `rampup --version`


def _own_doc(obj: Any) -> str:
    """The object's docstring, or "" where it has none of its own (a dataclass's generated signature line)."""
    doc = obj.__doc__ if inspect.isclass(obj) else inspect.getdoc(obj)
    doc = (doc or "").strip()
    if inspect.isclass(obj) and doc.startswith(f"{obj.__name__}("):
        return ""
    return doc


def _member_doc(cls: type, attr: str) -> str:
    """The docstring of ``cls.attr``, its own or that of the rampup class it overrides (a schedule's ``length`` is
    documented once, on Schedule; the API pages show only documented members)."""
    for base in cls.__mro__:
        member = vars(base).get(attr)
        if member is not None and base.__module__.startswith("rampup"):
            target = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
            if (getattr(target, "__doc__", None) or "").strip():
                return str(target.__doc__)
    # a property in place of a base class's dataclass field (Constant.start) is documented with that field
    fields = [base for base in cls.__mro__[1:] if attr in getattr(base, "__dataclass_fields__", {})]
    return "(the field of the base class)" if fields else ""


def _framework_hook(cls: type, attr: str) -> bool:
    """Whether ``attr`` overrides a method of a framework base class (Keras's get_config, torch's step ...), which
    that framework documents."""
    return any(attr in vars(base) for base in cls.__mro__[1:] if not base.__module__.startswith("rampup"))


def _public_names(module: str) -> list[str]:
    mod = importlib.import_module(module)
    return [n for n in getattr(mod, "__all__", []) if n not in NOT_DOCUMENTED]


def on_pre_build(config: Any) -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    for module in PAGES:
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            log.warning(f"cannot import {module} to check its docstrings ({exc}): build in the .[dev,docs] install")
            continue
        if not (mod.__doc__ or "").strip():
            log.warning(f"{module} has no module docstring")
        for name in _public_names(module):
            try:
                obj = getattr(mod, name)
            except (ImportError, AttributeError) as exc:
                log.warning(f"{module}.{name} is in __all__ but cannot be loaded: {exc!r}")
                continue
            if not (inspect.isclass(obj) or callable(obj)):
                continue
            if not _own_doc(obj):
                log.warning(f"{module}.{name} has no docstring")
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    target = member.fget if isinstance(member, property) else member
                    if isinstance(target, (staticmethod, classmethod)):
                        target = target.__func__
                    if inspect.isfunction(target) and not _member_doc(obj, attr) and not _framework_hook(obj, attr):
                        log.warning(f"{module}.{name}.{attr} has no docstring")


def on_post_build(config: Any) -> None:
    site = Path(config["site_dir"])
    for module, page in PAGES.items():
        path = site / page
        if not path.is_file():
            log.warning(f"the API page {page} for {module} was not built")
            continue
        anchors = set(re.findall(r'id="([\w.]+)"', path.read_text(encoding="utf-8")))
        try:
            names = _public_names(module)
        except ImportError:
            continue  # already reported before the build
        mod = importlib.import_module(module)
        for name in names:
            if callable(getattr(mod, name, None)) and f"{module}.{name}" not in anchors:
                log.warning(f"{module}.{name} is public but not on the API page docs/{page[:-5]}.md")
