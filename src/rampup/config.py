"""Schedule config files (YAML, JSON, TOML): the schedule, the peak LR and the training budget in one place.

A config is a mapping with these fields (all but ``schedule`` optional)::

    schedule: "linear(5%) >> cosine(to=0.1)"   # a spec string, or a dict as written by Schedule.to_dict()
    lr: 3.0e-4                                 # the peak learning rate
    total_steps: 10000                         # the budget: optimizer updates in the run ...
    steps_per_epoch: 500                       # ... and what durations in other units need
    epochs: 20
    batch_size: 256
    grad_accum: 1
    tokens_per_step: 524288
    optimizer:                                 # only for lint's hint on the warmup length
      betas: [0.9, 0.999]
      momentum: 0.9

The same fields may sit under a ``rampup:`` key (a ``[rampup]`` table in TOML) of a larger training config; the
other keys are then ignored. YAML is read with ``yaml.safe_load`` (no object is ever constructed), TOML with
:mod:`tomllib`. Fields are checked with pydantic; every error is a :class:`rampup.RampupError` whose one-line
message names the file, the field and the bad value.

pydantic, PyYAML and tomli (Python < 3.11) are imported only when a config is loaded (the ``cli`` extra).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Mapping
from collections.abc import Sequence as _ListLike
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .core.errors import RampupError
from .core.schedule import Schedule
from .core.units import Budget
from .core.validate import MAX_DEPTH, show

__all__ = ["ScheduleConfig", "load_config"]

_BUDGET_FIELDS = tuple(Budget.__dataclass_fields__)
_FORMATS = {".yaml": "YAML", ".yml": "YAML", ".json": "JSON", ".toml": "TOML"}
#: the largest config file read, in bytes: a schedule's config is a few hundred bytes, a whole training config a
#: few hundred kilobytes
MAX_CONFIG_BYTES = 16 << 20
#: the most values (numbers, strings, lists, mappings) a config may hold once YAML aliases are expanded: an alias
#: bomb ("billion laughs") expands a few lines to billions of values
MAX_CONFIG_VALUES = 100_000
_EXTRA = "the cli extra: pip install '.[cli]' in the rampup checkout, or 'rampup-*.whl[cli]' from a built wheel"


@dataclass(frozen=True)
class ScheduleConfig:
    """A checked config: the schedule resolved to whole updates, the peak LR and the budget.

    ``schedule`` is the factor of the peak (what the PyTorch, optax and Keras adapters take); ``lr_schedule``
    is ``schedule.scale(lr)``, the absolute learning rates.

    Attributes:
        schedule: the schedule, its durations resolved against ``budget``.
        lr: the peak learning rate, or ``None`` when the config gives none.
        budget: the training budget the config describes.
        spec: the schedule's spec string as written (before resolving).
        betas: Adam's ``(beta1, beta2)``, if given.
        momentum: SGD's momentum, if given.
        source: the file the config came from (``"<dict>"`` for a mapping).
    """

    schedule: Schedule
    lr: float | None
    budget: Budget
    spec: str
    betas: tuple[float, float] | None = None
    momentum: float | None = None
    source: str = "<dict>"

    @property
    def beta2(self) -> float | None:
        """Adam's ``beta2`` from ``betas``, or ``None``."""
        return None if self.betas is None else self.betas[1]

    @property
    def lr_schedule(self) -> Schedule:
        """The absolute learning rates ``lr * schedule``; an error if the config has no ``lr``."""
        if self.lr is None:
            raise RampupError(f"{self.source}: lr: the config gives no peak learning rate")
        return self.schedule.scale(self.lr)


def load_config(source: str | os.PathLike[str] | Mapping[str, Any],
                overrides: Mapping[str, Any] | None = None) -> ScheduleConfig:
    """Read and check a schedule config from a ``.yaml``/``.yml``, ``.json`` or ``.toml`` file, or a mapping.

    Args:
        source: a path to a config file, or the config as a mapping.
        overrides: fields that replace the config's own before it is checked (``None`` values are ignored).

    Returns:
        A :class:`ScheduleConfig` with the schedule resolved against the config's budget.

    Raises:
        RampupError: one line naming the file, the field and the bad value.

    Example:
        >>> from rampup import load_config
        >>> cfg = load_config({"schedule": "linear(5%) >> cosine(to=0.1)", "lr": 3e-4, "total_steps": 1000})
        >>> cfg.schedule
        linear_warmup(50) >> cosine_decay(950, to=0.1)
        >>> cfg.lr_schedule(50)
        0.0003
    """
    if isinstance(source, Mapping):
        name, data = "<dict>", source
    elif isinstance(source, (str, os.PathLike)):
        name, data = str(source), _read(Path(source))
    else:
        raise RampupError(f"load_config: source must be a file path or a mapping, got {show(source)}")
    if not isinstance(data, Mapping):
        raise RampupError(f"{name}: a config must be a mapping of fields, got {type(data).__name__} {_short(data)}")
    section = data.get("rampup")
    if isinstance(section, Mapping):
        data = section
    data = _plain(data, name)
    for k, v in (overrides or {}).items():
        if v is not None:
            data[k] = v
    return _build(name, data)


def _plain(data: Any, name: str = "<dict>") -> Any:
    """``data`` as plain dicts and lists (from any ``Mapping`` and list-like: an OmegaConf ``DictConfig``, a
    ``MappingProxyType``), counting every value it reaches, so that a config that expands to more than
    ``MAX_CONFIG_VALUES`` values (YAML aliases) or nests deeper than schedules can is refused before anything
    else walks it, renders it or validates it.

    Example:
        >>> from rampup.config import _plain
        >>> from types import MappingProxyType
        >>> _plain(MappingProxyType({"schedule": "linear_warmup(5)", "optimizer": {"betas": (0.9, 0.999)}}))
        {'schedule': 'linear_warmup(5)', 'optimizer': {'betas': [0.9, 0.999]}}
    """
    count = [0]

    def walk(v: Any, depth: int) -> Any:
        count[0] += 1
        if count[0] > MAX_CONFIG_VALUES:
            raise RampupError(f"{name}: the config holds more than {MAX_CONFIG_VALUES} values once its YAML "
                              "aliases are expanded: a schedule config needs a few")
        if depth > 2 * MAX_DEPTH + 4:
            raise RampupError(f"{name}: the config is nested more than {2 * MAX_DEPTH + 4} levels deep")
        if isinstance(v, Mapping):
            return {k: walk(x, depth + 1) for k, x in v.items()}
        if isinstance(v, _ListLike) and not isinstance(v, (str, bytes)):
            return [walk(x, depth + 1) for x in v]
        return v

    return walk(data, 0)


def _read(path: Path) -> Any:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise RampupError(f"{path}: unknown config format {path.suffix or '(no extension)'!r}: use .yaml, .yml, "
                          ".json or .toml")
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise RampupError(f"{path}: the config file is {size} bytes, more than the {MAX_CONFIG_BYTES} read")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RampupError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise RampupError(f"{path}: cannot read the config: {_one_line(str(e))}") from None
    try:
        return _parse(path, fmt, text)
    except RecursionError:
        raise RampupError(f"{path}: not valid {fmt}: nested too deeply") from None
    except ValueError as e:  # also a number with more digits than Python converts (4300)
        if isinstance(e, RampupError):
            raise
        raise RampupError(f"{path}: not valid {fmt}: {_one_line(str(e))[:200]}") from None


def _parse(path: Path, fmt: str, text: str) -> Any:
    if fmt == "JSON":
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise RampupError(f"{path}: not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    if fmt == "YAML":
        try:
            import yaml
        except ModuleNotFoundError:
            raise ModuleNotFoundError(f"reading a YAML config needs PyYAML: {_EXTRA}", name="yaml") from None
        # libyaml's loader when there is one (ten times faster); both construct plain values only
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            return yaml.load(text, Loader=loader)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = getattr(e, "problem", None) or _one_line(str(e))
            raise RampupError(f"{path}: not valid YAML: {problem}{where}") from None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found]  # the backport, absent on 3.11+
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RampupError(f"{path}: not valid TOML: {_one_line(str(e))}") from None


@functools.cache
def _model() -> Any:
    """The pydantic model of a config (built on first use, so ``import rampup`` does not import pydantic)."""

    try:
        from pydantic import BaseModel, ConfigDict, Field, field_validator
    except ModuleNotFoundError:
        raise ModuleNotFoundError(f"rampup.load_config needs pydantic: {_EXTRA}", name="pydantic") from None

    def no_bool(v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("expected a number, not true/false")
        return v

    class Optimizer(BaseModel):
        model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
        name: str | None = None
        betas: tuple[float, float] | None = None
        momentum: float | None = Field(None, ge=0.0, lt=1.0)

        _no_bool = field_validator("momentum", mode="before")(no_bool)

        @field_validator("betas", mode="before")
        @classmethod
        def _betas(cls, v: Any) -> Any:
            if isinstance(v, (list, tuple)) and any(isinstance(x, bool) for x in v):
                raise ValueError("expected two numbers, not true/false")
            return v

        @field_validator("betas")
        @classmethod
        def _betas_range(cls, v: Any) -> Any:
            if v is not None and not all(0.0 <= b < 1.0 for b in v):
                raise ValueError("each beta must be in [0, 1)")
            return v

    class Config(BaseModel):
        model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
        schedule: Any
        lr: float | None = Field(None, gt=0.0)
        total_steps: int | None = Field(None, ge=1)
        steps_per_epoch: int | None = Field(None, ge=1)
        epochs: float | None = Field(None, gt=0.0)
        batch_size: int | None = Field(None, ge=1)
        grad_accum: int = Field(1, ge=1)
        tokens_per_step: int | None = Field(None, ge=1)
        optimizer: Optimizer | None = None

        _no_bool = field_validator("lr", *_BUDGET_FIELDS, mode="before")(no_bool)

    return Config


def _build(name: str, data: dict[str, Any]) -> ScheduleConfig:
    model = _model()
    from pydantic import ValidationError

    try:
        cfg = model(**{str(k): v for k, v in data.items()})
    except ValidationError as e:
        errors = e.errors(include_url=False)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise RampupError(_describe(name, errors[0], data) + more) from None
    try:
        budget = Budget(**{k: getattr(cfg, k) for k in _BUDGET_FIELDS})
    except RampupError as e:
        raise RampupError(f"{name}: {_one_line(str(e))}") from None
    raw = cfg.schedule
    from .core.spec import as_schedule

    try:
        if not isinstance(raw, (str, Mapping)):
            raise RampupError(f"expected a spec string such as 'linear(5%) >> cosine()' or a schedule dict, "
                              f"got {_short(raw)}")
        schedule = as_schedule(raw, owner=name, resolved=False)
        spec = schedule.spec()
        schedule = schedule.resolve(budget)
    except RecursionError:
        raise RampupError(f"{name}: schedule: nested too deeply") from None
    except RampupError as e:
        raise RampupError(f"{name}: schedule: {_one_line(str(e))}") from None
    opt = cfg.optimizer
    return ScheduleConfig(schedule, cfg.lr, budget, spec, None if opt is None else opt.betas,
                          None if opt is None else opt.momentum, name)


def _describe(name: str, err: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    field = ".".join(str(x) for x in err["loc"]) or "(top level)"
    kind = err["type"]
    if kind == "missing":
        what = "is required" if len(err["loc"]) == 1 else "is missing"
        return f"{name}: {field} {what}"
    if kind == "extra_forbidden":
        known = "schedule, lr, " + ", ".join(_BUDGET_FIELDS) + ", optimizer"
        if len(err["loc"]) > 1:
            known = "name, betas, momentum"
        return f"{name}: unknown field {field!r} (value {_short(err['input'])}); known fields: {known}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{name}: {field}: {msg[:1].lower()}{msg[1:]}, got {_short(err['input'])}"


def _short(v: Any) -> str:
    text = show(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _one_line(text: str) -> str:
    """The first line of a message (a spec error's caret drawing follows on the next lines)."""
    return text.strip().splitlines()[0] if text.strip() else text
