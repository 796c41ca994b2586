"""The module paths of rampup 0.1, so that what it pickled still loads (an SB3 model saves its schedules with
cloudpickle, under the paths of the classes at the time). Each old module is an alias that looks a name up in the
modules where that code lives now; nothing imports these paths except an unpickler."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any

#: rampup 0.1's private module -> where its names live now, searched in this order
MOVED: dict[str, tuple[str, ...]] = {
    "rampup._errors": ("rampup.core.errors",),
    "rampup._ops": ("rampup.core.ops",),
    "rampup._shapes": ("rampup.core.shapes",),
    "rampup._units": ("rampup.core.units",),
    "rampup._schedule": ("rampup.core.schedule", "rampup.core.validate"),
    "rampup._warmup": ("rampup.core.warmup",),
    "rampup._decay": ("rampup.core.decay",),
    "rampup._compose": ("rampup.core.compose", "rampup.core.schedule"),
    "rampup._spec": ("rampup.core.spec",),
    "rampup._lint": ("rampup.check.lint", "rampup.check.facts"),
    "rampup._config": ("rampup.config",),
}


class _Alias(types.ModuleType):
    def __getattr__(self, attr: str) -> Any:
        for home in MOVED[self.__name__]:
            module = importlib.import_module(home)
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"rampup 0.1's {self.__name__}.{attr} has no counterpart in this version")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        return importlib.machinery.ModuleSpec(fullname, self) if fullname in MOVED else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _Alias(spec.name, f"rampup 0.1's {spec.name}, now {' and '.join(MOVED[spec.name])}")

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def install() -> None:
    """Let ``import rampup._compose`` (and the other 0.1 paths) find their aliases; idempotent."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
