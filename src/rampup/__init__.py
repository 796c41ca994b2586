"""rampup: learning-rate warmup and schedules, defined once, checked before training, the same in every framework.

A schedule is an immutable value that maps the number of optimizer updates already applied to a factor of the
peak learning rate::

    >>> import rampup
    >>> s = rampup.parse("linear(5%) >> cosine(to=0.1)", total_steps=1000)
    >>> s(0), s(25), s(50), s(1000)
    (0.0, 0.5, 1.0, 0.1)
    >>> lr = s.scale(3e-4)          # absolute learning rates
    >>> lr(50)
    0.0003

The core depends on numpy only; the framework adapters (torch, optax, keras, sb3) import their framework lazily.
"""

import importlib as _importlib
import sys as _sys
from typing import Any as _Any

from . import _legacy
from .check import Finding, lint
from .config import ScheduleConfig, load_config
from .core.compose import Clip, Repeat, clip, one_cycle, repeat, tri_stage, with_warmup, wsd
from .core.cyclic import Cyclic, cyclic
from .core.decay import (
    Constant,
    Decay,
    ExpDecay,
    InverseSqrt,
    MultiStep,
    Noam,
    constant,
    cosine_decay,
    exp_decay,
    geometric_decay,
    inverse_sqrt,
    linear_decay,
    multistep,
    noam,
    noam_peak,
    poly_decay,
    sqrt_decay,
    step_decay,
)
from .core.errors import BudgetError, RampupError, SpecError
from .core.growth import Growth, InverseTimeDecay, exp_growth, inverse_time_decay, linear_growth
from .core.noise import Noisy, noisy
from .core.schedule import Product, Scaled, Schedule, Sequence, product, scaled, sequence
from .core.spec import as_schedule, from_dict, parse
from .core.tanh import TanhDecay, tanh_decay
from .core.units import Budget, Duration
from .core.warmup import (
    RAdamWarmup,
    SaturatingWarmup,
    Warmup,
    constant_warmup,
    cosine_warmup,
    exp_warmup,
    geometric_warmup,
    linear_warmup,
    log_warmup,
    poly_warmup,
    radam_warmup,
    sqrt_warmup,
    untuned_warmup,
)

__version__ = "0.1.0"

__all__ = [
    "Budget",
    "BudgetError",
    "Clip",
    "Constant",
    "Cyclic",
    "Decay",
    "Duration",
    "ExpDecay",
    "Finding",
    "Growth",
    "InverseSqrt",
    "InverseTimeDecay",
    "MultiStep",
    "Noam",
    "Noisy",
    "Product",
    "RAdamWarmup",
    "RampupError",
    "Repeat",
    "SaturatingWarmup",
    "Scaled",
    "Schedule",
    "ScheduleConfig",
    "Sequence",
    "SpecError",
    "TanhDecay",
    "Warmup",
    "__version__",
    "as_schedule",
    "clip",
    "constant",
    "constant_warmup",
    "cosine_decay",
    "cosine_warmup",
    "cyclic",
    "exp_decay",
    "exp_growth",
    "exp_warmup",
    "from_dict",
    "geometric_decay",
    "geometric_warmup",
    "inverse_sqrt",
    "inverse_time_decay",
    "linear_decay",
    "linear_growth",
    "linear_warmup",
    "lint",
    "load_config",
    "log_warmup",
    "multistep",
    "noam",
    "noam_peak",
    "noisy",
    "one_cycle",
    "parse",
    "poly_decay",
    "poly_warmup",
    "product",
    "radam_warmup",
    "repeat",
    "scaled",
    "sequence",
    "sqrt_decay",
    "sqrt_warmup",
    "step_decay",
    "tanh_decay",
    "tri_stage",
    "untuned_warmup",
    "with_warmup",
    "wsd",
]

#: subpackages that ``rampup.<name>`` imports on first use, so ``import rampup`` stays numpy-only and fast
_LAZY = ("auto", "check", "core", "keras", "lightning", "optax", "plot", "sb3", "studies", "torch")


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'rampup' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


def _show_in_notebooks() -> None:
    """Inside IPython/Jupyter, draw schedules as their curve (the core itself knows nothing of plots)."""
    ipython = _sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None:
        from .plot import notebook_display

        notebook_display(shell)


_show_in_notebooks()
_legacy.install()  # rampup 0.1's module paths, for what it pickled
