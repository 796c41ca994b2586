"""Warmup rules read from the optimizer itself: Adam's ``beta2`` (Ma & Yarats) and Goyal et al.'s SGD recipe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.errors import BudgetError, RampupError
from ..core.schedule import Schedule
from ..core.spec import as_schedule
from ..core.units import Budget
from ..core.validate import check_choice, check_number, show
from ..core.warmup import linear_warmup, untuned_warmup

__all__ = ["Explanation", "WarmupChoice", "warmup_from_optimizer"]

# Adam-family optimizers keep an EMA of squared gradients with decay betas[1]: the untuned rule applies to them.
_ADAM_FAMILY = ("Adam", "AdamW", "NAdam", "Adamax", "SparseAdam")
_GOYAL_EPOCHS = 5
_GOYAL_RUN_EPOCHS = 90  # the ImageNet runs of Goyal et al.: 5 warmup epochs out of 90
_MA_YARATS = "Ma & Yarats, 'On the adequacy of untuned warmup for adaptive optimization', AAAI 2021, arXiv 1910.04209"
_GOYAL = "Goyal et al., 'Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour', arXiv 1706.02677"
_RADAM = "Liu et al., 'On the Variance of the Adaptive Learning Rate and Beyond', ICLR 2020, arXiv 1908.03265"


@dataclass(frozen=True)
class Explanation:
    """Why a warmup was chosen for one param group.

    Attributes:
        rule: the rule's name: ``"untuned-linear"``, ``"untuned-exponential"``, ``"goyal-sgd"``, ``"radam-builtin"``
            or ``"default"`` (the schedule passed as ``default=`` for an optimizer without a rule).
        inputs: what the rule read (``{"optimizer": "AdamW", "beta2": 0.98}``, ``{"steps_per_epoch": 100}`` ...).
        sentence: the reason in one human sentence.
        source: the paper the rule comes from (empty for ``"default"``).

    Example:
        >>> e = Explanation("untuned-linear", {"beta2": 0.98}, "warm up over 100 updates", "Ma & Yarats 2021")
        >>> str(e)
        'untuned-linear: warm up over 100 updates'
    """

    rule: str
    inputs: dict[str, Any]
    sentence: str
    source: str = ""

    def __str__(self) -> str:
        return f"{self.rule}: {self.sentence}"


@dataclass(frozen=True)
class WarmupChoice:
    """The warmup chosen for each param group of an optimizer, and why.

    Attributes:
        schedules: one schedule per param group, in group order.
        explanations: one :class:`Explanation` per param group.

    ``schedule`` is what :class:`rampup.torch.Scheduler` takes: one schedule when every group got the same, a list
    (one per group) when they differ.

    Example:
        >>> import rampup
        >>> c = WarmupChoice((rampup.linear_warmup(10),) * 2, (Explanation("default", {}, "ten updates"),) * 2)
        >>> c.schedule
        linear_warmup(10)
    """

    schedules: tuple[Schedule, ...]
    explanations: tuple[Explanation, ...] = field(repr=False)

    @property
    def schedule(self) -> Schedule | list[Schedule]:
        """The one schedule all groups share, or the list of per-group schedules when they differ."""
        first = self.schedules[0]
        if all(s == first for s in self.schedules):
            return first
        return list(self.schedules)

    def explain(self) -> str:
        """One line per param group (one line in all when every group has the same reason)."""
        lines = [str(e) for e in self.explanations]
        if all(line == lines[0] for line in lines):
            return lines[0]
        return "\n".join(f"group {i}: {line}" for i, line in enumerate(lines))


def warmup_from_optimizer(optimizer: Any, *, kind: str = "linear", then: Schedule | str | None = None,
                          total_steps: int | None = None, steps_per_epoch: int | None = None,
                          budget: Budget | None = None, default: Schedule | str | None = None,
                          max_share: float = 0.5) -> WarmupChoice:
    r"""Choose each param group's warmup from the optimizer's own hyperparameters.

    Rules, per param group:

    - **Adam family** (``Adam``, ``AdamW``, ``NAdam``, ``Adamax``, ``SparseAdam`` and their subclasses): the untuned
      warmup of Ma & Yarats (AAAI 2021, arXiv 1910.04209), from the group's ``beta2``:
      ``kind="linear"``: linear over :math:`W = \mathrm{round}(2 / (1 - \beta_2))` updates (0.999 -> 2000,
      0.98 -> 100); ``kind="exponential"``: :math:`1 - e^{-(t+1)/\tau}`, :math:`\tau = \mathrm{round}(1/(1-\beta_2))`
      (see :func:`rampup.untuned_warmup`). Groups with different betas get different warmups.
    - **RAdam**: its rectification already is a warmup (Liu et al., arXiv 1908.03265): no extra warmup
      (``linear_warmup(0)``, the peak from the first update).
    - **SGD** (with or without momentum): Goyal et al.'s gradual warmup for large-batch training (arXiv 1706.02677):
      linear from 0 over 5 epochs, ``linear_warmup("5ep")``, resolved with ``steps_per_epoch``. Without
      ``steps_per_epoch`` but with ``total_steps``, the same share of the run as in their 90-epoch ImageNet runs:
      :math:`W = \mathrm{round}(5 \cdot \mathrm{total} / 90)`, and the explanation says so. With neither, the
      schedule stays ``linear_warmup(5ep)``, which :class:`rampup.torch.Scheduler` resolves when given
      ``steps_per_epoch`` (and raises :class:`rampup.BudgetError` without it).
    - **Any other optimizer** (RMSprop, Adagrad, ...): :class:`rampup.RampupError`, unless ``default=`` gives the
      warmup to use for optimizers without a rule; the explanation then names the rule ``"default"``.

    **Short runs.** A rule's linear warmup never takes more than ``max_share`` (half) of ``total_steps``: with
    :math:`W` the rule's length and :math:`T` the run's, the warmup is linear over
    :math:`\min(W, \max(1, \lfloor \mathrm{max\_share} \cdot T \rfloor))` updates (the same form, the first
    update at ``1/W'`` of the peak for the Adam rule), and the explanation says it was capped. The cap is
    continuous in ``T``: a run a little shorter than ``2 W`` gets a warmup a little shorter than ``W``, never an
    error. (Adam's ``beta2 = 0.999`` asks for 2000 updates; a 600-update run gets 300.)

    Args:
        optimizer: a ``torch.optim.Optimizer`` (or any object with ``param_groups``).
        kind: ``"linear"`` or ``"exponential"``, for the Adam-family rule.
        then: a schedule to follow the warmup (``"cosine_decay(to=0.1)"``): each group's schedule becomes
            ``warmup >> then`` (``warmup * then`` for the exponential warmup, which never ends).
        total_steps, steps_per_epoch, budget: the run's budget, to resolve durations.
        default: the warmup (schedule or spec) for an optimizer without a rule. Explicit: nothing falls back
            silently.
        max_share: the largest share of ``total_steps`` a rule's warmup may take, in ``(0, 1]`` (default 0.5).

    Returns:
        A :class:`WarmupChoice`: ``.schedule`` for :class:`rampup.torch.Scheduler`, ``.explain()`` for humans.

    Example:
        >>> import torch
        >>> from rampup.auto import warmup_from_optimizer
        >>> w = torch.zeros(2, requires_grad=True)
        >>> c = warmup_from_optimizer(torch.optim.AdamW([w], lr=1e-3, betas=(0.9, 0.98)))
        >>> c.schedule
        linear_warmup(100, offset=1)
        >>> print(c.explain())  # doctest: +NORMALIZE_WHITESPACE
        untuned-linear: AdamW with beta2=0.98 averages squared gradients over about 1/(1-beta2) = 50 updates;
        warm up linearly over 2/(1-beta2) = 100 updates, the first at 1/100 of the peak (Ma & Yarats 2021)
        >>> warmup_from_optimizer(torch.optim.SGD([w], lr=0.1, momentum=0.9), steps_per_epoch=20).schedule
        linear_warmup(100)
        >>> short = warmup_from_optimizer(torch.optim.Adam([w], lr=1e-3), total_steps=600)   # beta2 0.999: 2000
        >>> float(short.schedule(0)), float(short.schedule(299))   # capped at half the run: 300 updates
        (0.0033333333333333335, 1.0)
    """
    owner = "warmup_from_optimizer"
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not groups:
        raise RampupError(f"{owner}: optimizer must be a torch optimizer with param groups, got {show(optimizer)}")
    check_choice(owner, "kind", kind, ("linear", "exponential"))
    check_number(owner, "max_share", max_share, 0.0, 1.0, lo_open=True)
    if budget is not None and (total_steps is not None or steps_per_epoch is not None):
        raise RampupError(f"{owner}: pass budget=... or total_steps/steps_per_epoch, not both")
    if budget is None and (total_steps is not None or steps_per_epoch is not None):
        budget = Budget(total_steps=total_steps, steps_per_epoch=steps_per_epoch)
    then_s = None if then is None else as_schedule(then, owner=owner, where="then", resolved=False, role="decay")
    default_s = (None if default is None
                 else as_schedule(default, owner=owner, where="default", resolved=False, role="warmup"))
    name = type(optimizer).__name__
    family = _family(optimizer)

    schedules: list[Schedule] = []
    explanations: list[Explanation] = []
    for i, group in enumerate(groups):
        if family == "adam":
            warm, why = _untuned(owner, name, group, i, kind)
        elif family == "radam":
            warm = linear_warmup(0)
            why = Explanation("radam-builtin", {"optimizer": name},
                              "RAdam rectifies the variance of its adaptive LR, which is a warmup already: no extra "
                              "warmup", _RADAM)
        elif family == "sgd":
            warm, why = _goyal(owner, name, group, budget)
        elif default_s is not None:
            warm = default_s
            why = Explanation("default", {"optimizer": name, "default": default_s.spec()},
                              f"rampup has no warmup rule for {name}; using the default you passed, "
                              f"{default_s.spec()}")
        else:
            raise RampupError(
                f"{owner}: no warmup rule for {name} (rules exist for {', '.join(_ADAM_FAMILY)}, RAdam and SGD); "
                f"pass default=... (e.g. default='linear_warmup(5%)') to use your own warmup for it")
        if budget is not None and budget.total_steps is not None and why.rule in ("untuned-linear", "goyal-sgd"):
            warm, why = _cap(warm, why, budget.total_steps, max_share)
        if then_s is not None:
            warm = warm * then_s if warm.length is None else warm >> then_s
        if budget is not None:
            warm = _resolve(owner, warm, budget)
        schedules.append(warm)
        explanations.append(why)
    return WarmupChoice(tuple(schedules), tuple(explanations))


def _family(optimizer: Any) -> str | None:
    try:
        import torch
    except ImportError:  # pragma: no cover - the rules are for torch optimizers
        return None
    optim = torch.optim
    if isinstance(optimizer, optim.RAdam):
        return "radam"
    if any(isinstance(optimizer, getattr(optim, n)) for n in _ADAM_FAMILY if hasattr(optim, n)):
        return "adam"
    if isinstance(optimizer, optim.SGD):
        return "sgd"
    return None


def _untuned(owner: str, name: str, group: dict[str, Any], i: int, kind: str) -> tuple[Schedule, Explanation]:
    betas = group.get("betas")
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise RampupError(f"{owner}: param group {i} of {name} has no (beta1, beta2) betas, got {betas!r}")
    b2 = check_number(owner, f"beta2 of param group {i} (for the untuned warmup)",
                      betas[1].item() if hasattr(betas[1], "item") else betas[1], 0.0, 1.0, lo_open=True, hi_open=True)
    warm = untuned_warmup(b2, kind)
    horizon = 1.0 / (1.0 - b2)
    w = max(1, round(2.0 / (1.0 - b2)))  # the length untuned_warmup gives the linear warmup
    if kind == "linear":
        sentence = (f"{name} with beta2={b2:g} averages squared gradients over about 1/(1-beta2) = {horizon:.4g} "
                    f"updates; warm up linearly over 2/(1-beta2) = {w} updates, the first at 1/{w} of the peak "
                    f"(Ma & Yarats 2021)")
    else:
        tau = round(horizon)
        sentence = (f"{name} with beta2={b2:g} averages squared gradients over about 1/(1-beta2) = {horizon:.4g} "
                    f"updates; multiply the LR by 1 - exp(-(t+1)/{tau}) (Ma & Yarats 2021)")
    inputs: dict[str, Any] = {"optimizer": name, "beta2": b2}
    if kind == "linear":
        inputs["warmup"] = w
    return warm, Explanation(f"untuned-{kind}", inputs, sentence, _MA_YARATS)


def _goyal(owner: str, name: str, group: dict[str, Any], budget: Budget | None) -> tuple[Schedule, Explanation]:
    momentum = float(group.get("momentum", 0.0) or 0.0)
    inputs: dict[str, Any] = {"optimizer": name, "momentum": momentum}
    spe = budget.steps_per_epoch if budget is not None else None
    total = budget.total_steps if budget is not None else None
    if spe is not None:
        inputs["steps_per_epoch"] = spe
        warm = linear_warmup(_GOYAL_EPOCHS * spe)
        inputs["warmup"] = _GOYAL_EPOCHS * spe
        sentence = (f"{name} (momentum {momentum:g}): Goyal et al.'s gradual warmup for large-batch SGD, linear "
                    f"over {_GOYAL_EPOCHS} epochs = {warm.length} updates")
    elif total is not None:
        inputs["total_steps"] = total
        warm = linear_warmup(max(1, round(_GOYAL_EPOCHS * total / _GOYAL_RUN_EPOCHS)))
        inputs["warmup"] = warm.length
        sentence = (f"{name} (momentum {momentum:g}): Goyal et al.'s gradual warmup lasts {_GOYAL_EPOCHS} of "
                    f"{_GOYAL_RUN_EPOCHS} epochs; without steps_per_epoch, the same share of total_steps={total}: "
                    f"linear over {warm.length} updates")
    else:
        warm = linear_warmup(f"{_GOYAL_EPOCHS}ep")
        sentence = (f"{name} (momentum {momentum:g}): Goyal et al.'s gradual warmup for large-batch SGD, linear "
                    f"over {_GOYAL_EPOCHS} epochs (resolved when steps_per_epoch is known)")
    return warm, Explanation("goyal-sgd", inputs, sentence, _GOYAL)


def _cap(warm: Schedule, why: Explanation, total: int, max_share: float) -> tuple[Schedule, Explanation]:
    """The rule's linear warmup over at most ``max(1, floor(max_share * total))`` updates, and its explanation."""
    rule_w = int(why.inputs["warmup"])
    cap = max(1, int(max_share * total))
    if rule_w <= cap:
        return warm, why
    capped = linear_warmup(cap, offset=1) if why.rule == "untuned-linear" else linear_warmup(cap)
    sentence = (f"{why.sentence}; capped at {max_share:g} of total_steps={total}: linear over {cap} updates, "
                f"since the rule's {rule_w} would take {'more than the whole run' if rule_w > total else 'most of it'}")
    inputs = {**why.inputs, "total_steps": total, "max_share": max_share, "capped_at": cap}
    return capped, Explanation(why.rule, inputs, sentence, why.source)


def _resolve(owner: str, s: Schedule, budget: Budget) -> Schedule:
    try:
        return s.resolve(budget)
    except BudgetError as e:
        raise BudgetError(f"{owner}: {e}") from None
