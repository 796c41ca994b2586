"""rampup.auto: choose the warmup for the user.

- :func:`warmup_from_optimizer`: a rule read from the optimizer itself (Adam's ``beta2``: Ma & Yarats' untuned
  warmup; SGD: Goyal et al.'s 5 epochs), with an :class:`Explanation` per param group.
- :func:`probe`: before training, the critical LR along the optimizer's real first update, from a few forward
  passes, or (``steps=k``) the highest LR of a ladder at which ``k`` trial updates train well, turned into a start
  LR and a warmup length toward the peak.
- :class:`OnlineWarmup`: a torch LR scheduler that raises the LR while training is healthy, holds or backs off on
  loss spikes and gradient-norm outliers, and hands over to the decay at the peak.
- :func:`auto_warmup`: the two together, the probe's start and the controller's ramp at the optimizer rule's pace.

torch is imported when :func:`probe`, :class:`OnlineWarmup` or :func:`auto_warmup` is first used, not by ``import rampup.auto``.

Example:
    >>> import torch, rampup.auto
    >>> opt = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=1e-3, betas=(0.9, 0.999))
    >>> rampup.auto.warmup_from_optimizer(opt).schedule
    linear_warmup(2000, offset=1)
"""

from typing import Any

from ._rules import Explanation, WarmupChoice, warmup_from_optimizer

__all__ = ["Explanation", "OnlineWarmup", "ProbeResult", "WarmupChoice", "auto_warmup", "probe",
           "sharpness_probe", "warmup_from_optimizer"]

_LAZY = {"OnlineWarmup": "._online", "ProbeResult": "._probe", "probe": "._probe", "auto_warmup": "._recipe",
         "sharpness_probe": "._sharpness"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rampup.auto' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
