"""rampup.auto: choose the warmup for the user.

- :func:`warmup_from_optimizer`: a rule read from the optimizer itself (Adam's ``beta2``: Ma & Yarats' untuned
  warmup; SGD: Goyal et al.'s 5 epochs), capped at half of a short run, with an :class:`Explanation` per group.
- :func:`critical_lr_probe`: before training, the critical LR along the optimizer's real first update, from a few
  forward passes, turned into a start LR and a warmup toward the peak.
- :func:`ladder_probe`: before training, the highest LR of a ladder at which ``steps`` trial updates train well.
- :func:`sharpness_probe`: before training, the top Hessian eigenvalue against the optimizer's edge of stability.
- :class:`OnlineWarmup`: a torch LR scheduler that raises the LR while training is healthy, holds or backs off on
  loss spikes and gradient-norm outliers, and hands over to the decay at the peak (knobs: :class:`OnlineSettings`).
- :func:`auto_warmup`: the ladder probe's start and the controller's ramp at :func:`auto_pace`'s pace, one call.

torch is imported when a probe, :class:`OnlineWarmup` or :func:`auto_warmup` is first used, not by
``import rampup.auto``.

Example:
    >>> import torch, rampup.auto
    >>> opt = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=1e-3, betas=(0.9, 0.999))
    >>> rampup.auto.warmup_from_optimizer(opt).schedule
    linear_warmup(2000, offset=1)
"""

from typing import TYPE_CHECKING, Any

from ._rules import Explanation, WarmupChoice, warmup_from_optimizer

if TYPE_CHECKING:  # imported on first use (__getattr__ below); named here for type checkers and the API reference
    from ._online import OnlineSettings, OnlineWarmup
    from ._probe import ProbeResult, critical_lr_probe, ladder_probe
    from ._recipe import auto_pace, auto_warmup
    from ._sharpness import sharpness_probe

__all__ = ["Explanation", "OnlineSettings", "OnlineWarmup", "ProbeResult", "WarmupChoice", "auto_pace",
           "auto_warmup", "critical_lr_probe", "ladder_probe", "sharpness_probe", "warmup_from_optimizer"]

_LAZY = {"OnlineSettings": "._online", "OnlineWarmup": "._online", "ProbeResult": "._probe",
         "critical_lr_probe": "._probe", "ladder_probe": "._probe", "auto_pace": "._recipe",
         "auto_warmup": "._recipe", "sharpness_probe": "._sharpness"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rampup.auto' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
