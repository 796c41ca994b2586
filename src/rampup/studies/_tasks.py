"""The Task plug-in: what a study trains (model, data, loss, metric, optimizer), and the registry of tasks by name."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from ..core.errors import RampupError

__all__ = ["Task", "get_task", "register_task", "task_names"]


class Task:
    """A small real training problem that a study runs at many peak LRs and warmups.

    A task is a plug-in: subclass it, fill in the methods, and register a factory with :func:`register_task`.
    The runner calls, for one run, ``build_model()`` (after seeding torch), ``optimizer(params, peak_lr)``,
    then for each update ``loss(model, next(batches))`` with the LR set from the schedule, and ``evaluate(model)``
    now and then. Everything a run does must depend only on the seed the runner sets (``torch.manual_seed``) and on
    the ``generator`` handed to ``batches``.

    Attributes:
        name: the registry name, recorded in every result row.
        options: the options the task was built with (recorded in the CSV; part of a run's identity).
        default_updates: updates per run when the study does not say.
        default_lrs: the peak-LR grid of ``rampup study`` when none is given.
        default_warmups: the warmup specs of ``rampup study`` when none are given.
        target_loss: a train loss worth reaching; the runner reports the first update where the loss, averaged over
            the last 10 updates, is at or below it (``None``: not measured).
        reference_loss: the loss of a model that learned nothing useful (chance, or the unigram entropy); a run that
            ends within 5% of it has *stalled*.
        diverge_loss: a train loss above this counts as *diverged* (as does a non-finite loss).
        metric_name: the name of the second number ``evaluate`` returns (e.g. ``"accuracy"``).

    Example:
        >>> from rampup.studies import Task
        >>> Task.base_batch_lr(0.1, batch=1024, base_batch=256)   # Goyal's linear scaling rule
        0.4
    """

    name: str = "task"
    default_updates: int = 100
    default_lrs: tuple[float, ...] = (1e-3, 3e-3, 1e-2)
    default_warmups: tuple[str, ...] = ("none", "linear(10%)")
    target_loss: float | None = None
    metric_name: str = "metric"

    def __init__(self, **options: Any):
        self.options: dict[str, Any] = dict(options)

    @property
    def reference_loss(self) -> float:
        """The loss of a model that learned nothing useful (chance, or the unigram entropy)."""
        raise NotImplementedError

    @property
    def diverge_loss(self) -> float:
        """Twice the reference loss unless a task says otherwise."""
        return 2.0 * self.reference_loss

    def build_model(self) -> Any:
        """A fresh ``torch.nn.Module``; called after the runner has seeded torch."""
        raise NotImplementedError

    def optimizer(self, params: Any, lr: float) -> Any:
        """The task's optimizer for ``params`` at the (peak) LR ``lr``; the runner then sets each update's LR."""
        raise NotImplementedError

    def batches(self, generator: Any) -> Iterator[Any]:
        """An endless iterator of training batches drawn with ``generator`` (a seeded ``torch.Generator``)."""
        raise NotImplementedError

    def loss(self, model: Any, batch: Any) -> Any:
        """The scalar training loss (a tensor with grad) of ``model`` on ``batch``."""
        raise NotImplementedError

    def evaluate(self, model: Any) -> tuple[float, float]:
        """``(validation loss, metric)`` on the task's held-out data; called under ``torch.no_grad()``."""
        raise NotImplementedError

    def peak_lr(self, lr: float) -> float:
        """The peak LR a run uses for the grid value ``lr`` (the identity unless a task applies a scaling rule)."""
        return lr

    @staticmethod
    def base_batch_lr(lr: float, batch: int, base_batch: int = 256) -> float:
        """Goyal et al.'s linear scaling rule: ``lr * batch / base_batch`` (arXiv 1706.02677)."""
        return lr * batch / base_batch

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in sorted(self.options.items()))
        return f"{type(self).__name__}({self.name!r}{', ' + opts if opts else ''})"


_REGISTRY: dict[str, Callable[..., Task]] = {}


def register_task(name: str, factory: Callable[..., Task], *, replace: bool = False) -> None:
    """Register ``factory`` (a callable that takes the task's options as keywords and returns a :class:`Task`)
    under ``name``, so that ``run_study(name, ...)`` and ``rampup study --task name`` find it.

    Example:
        >>> from rampup.studies import register_task, task_names, Task
        >>> register_task("my-task", lambda **opts: Task(**opts))
        >>> "my-task" in task_names()
        True
        >>> register_task("my-task", lambda **opts: Task(**opts))
        Traceback (most recent call last):
        ...
        rampup.RampupError: task name 'my-task' is already registered; pass replace=True to replace it
        >>> from rampup.studies._tasks import _REGISTRY; del _REGISTRY["my-task"]
    """
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise RampupError(f"task name must be a non-empty string without spaces, got {name!r}")
    if not callable(factory):
        raise RampupError(f"factory for task {name!r} must be callable, got {factory!r}")
    if name in _REGISTRY and not replace:
        raise RampupError(f"task name {name!r} is already registered; pass replace=True to replace it")
    _REGISTRY[name] = factory


def task_names() -> list[str]:
    """The registered task names, sorted.

    Example:
        >>> from rampup.studies import task_names
        >>> [n for n in task_names() if n in ("postln-lm", "digits-largebatch")]
        ['digits-largebatch', 'postln-lm']
    """
    return sorted(_REGISTRY)


def get_task(name: str | Task, **options: Any) -> Task:
    """The task registered as ``name``, built with ``options`` (a :class:`Task` instance is returned as is).

    Raises:
        RampupError: an unknown name (the message lists the known ones) or an option the task does not take.

    Example:
        >>> from rampup.studies import get_task
        >>> get_task("postln-lm", quick=True).options["quick"]
        True
        >>> get_task("postln-lm", depth=3)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        rampup.RampupError: task 'postln-lm' has no option 'depth'; its options: batch, beta2, d_model, heads, ...
    """
    if isinstance(name, Task):
        if options:
            raise RampupError(f"options {sorted(options)} cannot be applied to an already built task {name!r}")
        return name
    if name not in _REGISTRY:
        raise RampupError(f"unknown task {name!r}; known tasks: {', '.join(task_names())}")
    factory = _REGISTRY[name]
    params = inspect.signature(factory).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        for key in options:
            if key not in params:
                known = ", ".join(sorted(p for p in params))
                raise RampupError(f"task {name!r} has no option {key!r}; its options: {known}")
    return factory(**options)


def _postln_lm(*, prenorm: bool = False, quick: bool = False, layers: int | None = None, d_model: int | None = None,
               heads: int | None = None, seq: int | None = None, batch: int | None = None,
               beta2: float = 0.98) -> Task:
    from ._lm import CharLMTask

    return CharLMTask(prenorm=prenorm, quick=quick, layers=layers, d_model=d_model, heads=heads, seq=seq,
                      batch=batch, beta2=beta2)


def _preln_lm(*, quick: bool = False, layers: int | None = None, d_model: int | None = None, heads: int | None = None,
              seq: int | None = None, batch: int | None = None, beta2: float = 0.98) -> Task:
    from ._lm import CharLMTask

    return CharLMTask(prenorm=True, quick=quick, layers=layers, d_model=d_model, heads=heads, seq=seq,
                      batch=batch, beta2=beta2)


def _digits(*, batch: int = 1024, quick: bool = False, width: int | None = None, depth: int | None = None,
            momentum: float = 0.9, base_batch: int = 256) -> Task:
    from ._digits import DigitsTask

    return DigitsTask(batch=batch, quick=quick, width=width, depth=depth, momentum=momentum, base_batch=base_batch)


def _digits_small(*, quick: bool = False, width: int | None = None, depth: int | None = None,
                  momentum: float = 0.9, base_batch: int = 256) -> Task:
    return _digits(batch=32, quick=quick, width=width, depth=depth, momentum=momentum, base_batch=base_batch)


register_task("postln-lm", _postln_lm)
register_task("preln-lm", _preln_lm)
register_task("digits-largebatch", _digits)
register_task("digits-smallbatch", _digits_small)
