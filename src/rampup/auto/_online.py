"""``OnlineWarmup``: a torch LR scheduler that raises the LR toward the peak while training is healthy, slows or backs
off when it is not, then hands over to the user's decay; its knobs in :class:`OnlineSettings`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from ..core.errors import RampupError
from ..core.schedule import Schedule
from ..core.spec import as_schedule
from ..core.units import Budget
from ..core.validate import check_choice, check_instance, check_int, check_number, show
from ..core.warmup import linear_warmup
from ..torch.base import SchedulerBase, base_value, make_budget, write_value

__all__ = ["OnlineSettings", "OnlineWarmup"]

_FORMAT = "rampup.auto.OnlineWarmup/1"  # unchanged by OnlineSettings: the settings are not part of the state
_LOSS, _N_OK, _N_BAD, _GN, _N_GN, _UR, _N_UR = range(7)  # the window's signals, summed over updates (and ranks)
_WINDOW = 7
_STATS = ("n", "level", "var", "g_n", "g_mean", "u_n", "u_mean")
#: updates in a row with no observe() before the controller warns that it gets no signal
NO_SIGNAL_UPDATES = 10
#: the largest growth rate per update: doubling
MAX_GROWTH = 1.0


@dataclass(frozen=True)
class OnlineSettings:
    r"""The controller's less common knobs, with the defaults evaluated in docs/auto.md.

    Attributes:
        backoff: the factor ``f`` is multiplied by on a spike, in ``(0, 1)``.
        every: updates per decision (and per all-reduce under ``torch.distributed``), a whole number >= 1.
        spike_z, spike_margin: a loss spike is :math:`x > m + \max(z\sqrt{v}, \mathrm{margin}\cdot|m|)`.
        grad_spike: a gradient norm above ``grad_spike`` times its geometric EMA is an outlier (> 1).
        ema: the decay of the surprise and the grad-norm EMAs, in ``[0, 1)``.
        fast_ema: the decay of the loss level, in ``[0, 1)``.
        min_history: decisions that only grow and build the history before spikes are looked for.
        max_warmup: hand over after this many updates even below the peak (updates or a duration such as
            ``"25%"``, resolved with the controller's budget); default none.
        update_ratio_every: measure the update-to-weight ratio ``|theta_after - theta_before| / |theta_before|``
            at every n-th update (default None: not measured; it copies the parameters before the update, about
            three passes over them per measure).
        ratio_spike: an update ratio above ``ratio_spike`` times its geometric EMA is an outlier (default 5).
        grad_norm: measure the gradient norm in ``observe`` when none is passed (default True).
        grad_norm_every: measure it at every n-th update only (default 1: every update; the norm is the
            controller's main cost, one pass over the gradients, 1.8% of an update of a 6-layer d-64 transformer
            on one CPU thread; an outlier between two measures goes unseen).

    Every field is checked when the settings are made (:class:`rampup.RampupError` naming it).

    Example:
        >>> from rampup.auto import OnlineSettings
        >>> s = OnlineSettings(every=4, min_history=2)
        >>> s.every, s.backoff, s.grad_norm_every
        (4, 0.5, 1)
    """

    backoff: float = 0.5
    every: int = 1
    spike_z: float = 4.0
    spike_margin: float = 0.05
    grad_spike: float = 5.0
    ema: float = 0.95
    fast_ema: float = 0.7
    min_history: int = 5
    max_warmup: int | str | None = None
    update_ratio_every: int | None = None
    ratio_spike: float = 5.0
    grad_norm: bool = True
    grad_norm_every: int = 1

    def __post_init__(self) -> None:
        owner = "OnlineSettings"
        check_number(owner, "backoff", self.backoff, 0.0, 1.0, lo_open=True, hi_open=True)
        _whole(owner, "every", self.every, 1)
        check_number(owner, "spike_z", self.spike_z, 0.0, lo_open=True)
        check_number(owner, "spike_margin", self.spike_margin, 0.0)
        check_number(owner, "grad_spike", self.grad_spike, 1.0, lo_open=True)
        check_number(owner, "ema", self.ema, 0.0, 1.0, hi_open=True)
        check_number(owner, "fast_ema", self.fast_ema, 0.0, 1.0, hi_open=True)
        _whole(owner, "min_history", self.min_history, 0)
        if self.max_warmup is not None:
            _check_duration(owner, "max_warmup", self.max_warmup, 1)
        if self.update_ratio_every is not None:
            _whole(owner, "update_ratio_every", self.update_ratio_every, 1)
        check_number(owner, "ratio_spike", self.ratio_spike, 1.0, lo_open=True)
        check_instance(owner, "grad_norm", self.grad_norm, bool, "True or False")
        _whole(owner, "grad_norm_every", self.grad_norm_every, 1)


class OnlineWarmup(SchedulerBase):
    r"""An online warmup: the LR factor ``f`` grows from ``start`` toward the peak (1) while training is healthy, holds
    or backs off when it is not, and hands over to the decay ``then`` once it reaches the peak (after holding it
    for ``guard`` updates under watch, when ``guard > 0``).

    The LR of param group ``g`` is ``base_g * f`` during the warmup and ``base_g * f_h * then(t - t_h)`` after the
    hand-over at update ``t_h`` (``f_h = 1`` unless ``max_warmup`` forced an early hand-over; ``then`` gets the
    remaining ``total_steps - t_h`` updates as its budget, like ``warmup >> then`` in closed form).

    **Signals.** Feed the loss of each update with ``observe(loss)`` after ``loss.backward()`` and before
    ``optimizer.step()`` (or ``step(loss)`` after it). The loss is a number or a one-element tensor: a per-sample
    loss vector is a :class:`rampup.RampupError` (reduce it first, ``loss.mean()``). A loop that never calls
    ``observe`` gets a warning after :data:`NO_SIGNAL_UPDATES` updates (once): with no signal the controller holds
    ``f`` at ``start``. ``observe`` also measures the gradient norm (one fused norm over the gradients, at every
    update, or every ``grad_norm_every``-th) unless you pass ``grad_norm=`` (the norm ``clip_grad_norm_`` returns
    costs nothing more) or set ``OnlineSettings(grad_norm=False)``. Every ``every`` updates the window's signals
    are summed (and, under ``torch.distributed``, gathered from every rank and summed in rank order, so every rank
    makes the same decision from the same numbers) and one decision is made from the window's mean loss ``x`` and
    mean grad norm ``g``, against the controller's own history: the loss level ``m`` (an EMA with decay
    ``fast_ema``, which follows the downward trend of training), the EMA ``v`` (decay ``ema``) of the squared
    surprise ``(x - m)^2``, and the EMA ``\mu_g`` (decay ``ema``) of ``log g``:

    - a non-finite loss or gradient norm in the window (or no signal at all): **hold** ``f``, history untouched;
    - after ``min_history`` windows, a **loss spike**, :math:`x > m + \max(z\sqrt{v}, \mathrm{margin}\cdot|m|)`, or
      a **gradient-norm outlier**, :math:`\log g > \mu_g + \log(\mathrm{grad\_spike})`, or (opt-in,
      ``update_ratio_every``) an **update-to-weight ratio outlier**, :math:`\log u > \mu_u +
      \log(\mathrm{ratio\_spike})` with :math:`u = \lVert\theta_{t+1} - \theta_t\rVert / \lVert\theta_t\rVert`:
      **back off**, :math:`f \leftarrow \max(f \cdot \mathrm{backoff}, \mathrm{start}/10)`, and halve the growth
      rate (not below ``growth / 8``);
    - the loss above its level, :math:`x > m` (not falling): **hold**;
    - otherwise **grow**: :math:`f \leftarrow \min(1, f\,(1 + r)^k)` for the ``k`` updates of the window
      (compared in log space, :math:`k \log(1 + r) \ge -\log f` meaning the peak, so a window of any length, a
      ``step()`` per epoch included, never overflows).

    Every finite window then enters the history (a spike too, so that a lasting change of level is accepted
    after a few windows instead of backing off for ever).

    ``f`` is always a finite number in ``[start/10, 1]``: no NaN, inf or negative LR, whatever the signals.
    Updates are counted as in :class:`rampup.torch.Scheduler` (a GradScaler-skipped update does not advance the
    clock), and ``state_dict()`` (plain types) holds the whole controller, the open window included, so a resumed
    run continues the same warmup.

    **The nominal ramp from the optimizer** (``growth="rule"``, opt-in): the ramp the controller follows when
    nothing goes wrong takes the length ``W`` of the warmup :func:`rampup.auto.warmup_from_optimizer` chooses for
    this optimizer and budget (the longest over the param groups: Adam family ``2/(1-beta2)`` updates, Ma &
    Yarats; SGD 5 epochs with ``steps_per_epoch``, else 5/90 of ``total_steps``, Goyal et al.; capped at half of
    ``total_steps``), geometric from ``start``: :math:`r = \min(0.1, \mathrm{start}^{-1/W} - 1)`: never faster
    than the default, since a ramp much shorter than the default's reaches the peak before the controller has the
    history to back off. Without a rule (another optimizer, RAdam's ``W = 0``, SGD without a budget) or with
    ``start = 1``, ``r = 0.1``; ``growth_rule`` says which. :func:`rampup.auto.auto_warmup` chooses its pace
    from its probe and the optimizer instead (``growth="auto"`` there).

    Args:
        optimizer: the torch optimizer, built with the peak LR of each group.
        then: the schedule after the hand-over (a rampup schedule or spec string, e.g. ``"cosine_decay(to=0.1)"``), with
            ``total_steps`` when its duration is open; default ``"constant()"`` (hold the peak).
        total_steps, steps_per_epoch, budget: the run's budget, for ``then`` and ``max_warmup``.
        start: the factor of the peak the first update gets, in ``(0, 1]`` (e.g. ``ladder_probe(...).start``).
        growth: the growth rate ``r`` of ``f`` per healthy update, in ``(0, 1]`` (0.1: ten percent; 1: doubling),
            or ``"rule"``: from the optimizer's own rule (see above).
        guard: once at the peak, keep watching for this many updates (or a duration) before the hand-over; a
            back-off meanwhile resumes the ramp from below (default 0: hand over on reaching the peak).
        count: ``"updates"`` (default) or ``"calls"``, as in :class:`rampup.torch.Scheduler`.
        process_group: the ``torch.distributed`` group to agree over (default: the world, when initialised).
        settings: the other knobs, an :class:`OnlineSettings` (default ``OnlineSettings()``).

    Example:
        >>> import torch
        >>> from rampup.auto import OnlineSettings, OnlineWarmup
        >>> w = torch.nn.Parameter(torch.tensor([3.0]))
        >>> opt = torch.optim.SGD([w], lr=0.1)
        >>> sched = OnlineWarmup(opt, start=0.1, growth=0.5, settings=OnlineSettings(min_history=2))
        >>> lrs = []
        >>> for _ in range(8):
        ...     loss = (w ** 2).sum()
        ...     opt.zero_grad(); loss.backward()
        ...     sched.observe(loss)
        ...     lrs.append(round(opt.param_groups[0]["lr"], 4))
        ...     opt.step(); sched.step()
        >>> lrs, sched.phase
        ([0.01, 0.015, 0.0225, 0.0338, 0.0506, 0.0759, 0.1, 0.1], 'decay')
    """

    public = "rampup.auto.OnlineWarmup"
    state_format = _FORMAT
    probe_result: Any = None  # the ProbeResult when made by rampup.auto.auto_warmup

    def __init__(self, optimizer: torch.optim.Optimizer, then: Schedule | str | None = None, *,
                 total_steps: int | None = None, steps_per_epoch: int | None = None, budget: Budget | None = None,
                 start: float = 0.05, growth: float | str = 0.1, guard: int | str = 0, count: str = "updates",
                 process_group: Any = None, settings: OnlineSettings | None = None) -> None:
        owner = "OnlineWarmup"
        super().__init__(optimizer, count=count)  # the clock, the unwrapped optimizer, the step warnings
        self.settings = OnlineSettings() if settings is None else \
            check_instance(owner, "settings", settings, OnlineSettings, "an OnlineSettings")
        s = self.settings
        self._budget = make_budget(owner, budget, total_steps, steps_per_epoch)
        self._then_spec = then if then is not None else "constant()"
        # resolved once now, so that a missing budget field is an error here and not at the hand-over
        as_schedule(self._then_spec, self._budget, owner=owner, where="then", role="decay")
        self.start = check_number(owner, "start", start, 0.0, 1.0, lo_open=True)
        if isinstance(growth, str):
            check_choice(owner, "growth", growth, ("rule",))
            growth, self.growth_rule = _rule_growth(self.optimizer, self._budget, self.start)
        else:
            self.growth_rule = "given"
        self.growth = check_number(owner, "growth", growth, 0.0, MAX_GROWTH, lo_open=True)
        self.backoff = s.backoff
        self.spike_z = s.spike_z
        self.spike_margin = s.spike_margin
        self.grad_spike = s.grad_spike
        self.ema = s.ema
        self.fast_ema = s.fast_ema
        self.every = s.every
        self.min_history = s.min_history
        self._measure = s.grad_norm
        self.grad_norm_every = s.grad_norm_every
        self.update_ratio_every = s.update_ratio_every
        self.ratio_spike = s.ratio_spike
        self._before: list[Any] | None = None
        self.max_warmup = None if s.max_warmup is None else \
            _duration("OnlineSettings", "max_warmup", s.max_warmup, self._budget)
        self.guard = _duration(owner, "guard", guard, self._budget, low=0)
        self.process_group = process_group
        self._floor = self.start / 10
        self._bases = [base_value(owner, g, i) for i, g in enumerate(self.optimizer.param_groups)]
        self.base_lrs = list(self._bases)
        self._params = [p for g in self.optimizer.param_groups for p in g["params"]]
        self._observed = False
        self._unobserved = 0
        self._reset()
        self._apply()

    def _reset(self) -> None:
        self.last_epoch = 0
        self._step_count = 1
        self.phase = "warmup"
        self.factor = self.start
        self.rate = self.growth
        self.handover: int | None = None
        self.peak_since: int | None = None
        self.handover_factor = 1.0
        self._then: Schedule | None = None
        self.stats = dict.fromkeys(_STATS, 0.0)
        self.window = [0.0] * _WINDOW
        self.window_updates = 0
        self.decisions = {"grow": 0, "hold": 0, "backoff": 0, "skip": 0}

    def _plan_repr(self) -> str:
        return (f"{self._then_repr()!r}, phase={self.phase!r}, factor={self.factor:.4g}, start={self.start:g}, "
                f"growth={self.growth:.4g}")

    def _then_repr(self) -> str:
        return self._then_spec if isinstance(self._then_spec, str) else self._then_spec.spec()

    @classmethod
    def _init_args(cls, state: Mapping[str, Any]) -> dict[str, Any]:
        return {"then": state.get("then"), "count": state.get("count", "updates")}

    # -- signals ---------------------------------------------------------------------------------------------
    def observe(self, loss: Any, grad_norm: Any = None) -> None:
        """Record the loss of the coming update (and its gradient norm: measured from the parameters' ``.grad``
        unless given). Call it after ``loss.backward()`` and before ``optimizer.step()``. ``loss`` and
        ``grad_norm`` are numbers or one-element tensors (a loss vector is a :class:`rampup.RampupError`). A NaN
        or inf loss or norm is recorded as such: the window's decision is then to hold. After the hand-over it
        does nothing.

        On a GPU, reading the loss and the norm waits for the device (one sync per update).
        """
        if self.phase != "warmup":
            return
        self._observed = True
        value = _scalar("loss", loss)
        if grad_norm is not None:
            gn: float | None = _scalar("grad_norm", grad_norm)
        elif self._measure and self.last_epoch % self.grad_norm_every == 0:
            gn = self._grad_norm()
        else:
            gn = None
        w = self.window
        if math.isfinite(value) and (gn is None or math.isfinite(gn)):
            w[_LOSS] += value
            w[_N_OK] += 1.0
            if gn is not None:
                w[_GN] += gn
                w[_N_GN] += 1.0
        else:
            w[_N_BAD] += 1.0
        if self.update_ratio_every is not None and self.last_epoch % self.update_ratio_every == 0:
            with torch.no_grad():  # the weights before the update, to measure the update against after it
                self._before = [p.detach().clone() for p in self._params if p.grad is not None]

    def _update_ratio(self) -> float | None:
        """``|theta - theta_before| / |theta_before|`` over the parameters copied by :meth:`observe`."""
        before, self._before = self._before, None
        if not before:
            return None
        now = [p.detach() for p in self._params if p.grad is not None]
        if len(now) != len(before):
            return None
        with torch.no_grad():
            d = _total_norm(list(torch._foreach_sub(now, before)))
            b = _total_norm(before)
        return d / b if b > 0 else None

    def _grad_norm(self) -> float | None:
        grads = [p.grad for p in self._params if p.grad is not None]
        if not grads:
            return None
        return _total_norm(grads)

    # -- the clock ---------------------------------------------------------------------------------------------
    def step(self, loss: Any = None, grad_norm: Any = None) -> None:
        """Advance by the optimizer updates made since the last call (none after a skipped update) and set the
        LR for the next one. ``step(loss)`` is ``observe(loss)`` then ``step()``."""
        if loss is not None:
            self.observe(loss, grad_norm)
        k = self._tick()
        if not k:
            return
        self.last_epoch += k
        self._step_count += 1
        if self._before is not None:
            u = self._update_ratio()
            if u is not None and self.phase == "warmup":
                if math.isfinite(u):
                    self.window[_UR] += u
                    self.window[_N_UR] += 1.0
                else:
                    self.window[_N_BAD] += 1.0
        if self.phase == "warmup":
            self._watch_signal(k)
            self.window_updates += k
            if self.window_updates >= self.every:
                self._decide(self.window_updates)
            if self.phase == "warmup" and self.max_warmup is not None and self.last_epoch >= self.max_warmup:
                self._hand_over()
        self._apply()

    def _watch_signal(self, k: int) -> None:
        """Warn once when :data:`NO_SIGNAL_UPDATES` updates in a row came with no ``observe``."""
        if self._observed:
            self._observed = False
            self._unobserved = 0
            return
        self._unobserved += k
        if self._unobserved >= NO_SIGNAL_UPDATES:
            self._warn("no-observe",
                       f"OnlineWarmup: no loss observed in the last {self._unobserved} updates, so the LR holds at "
                       f"{self.factor:.3g} of the peak (it grows only on observed, healthy losses); call "
                       f"sched.observe(loss) after loss.backward() and before optimizer.step() in each update (or "
                       f"sched.step(loss) after it)")

    def _decide(self, k: int) -> None:
        sig = self._gather(self.window)
        self.window = [0.0] * _WINDOW
        self.window_updates = 0
        s = self.stats
        if sig[_N_BAD] > 0 or sig[_N_OK] == 0:
            self.decisions["skip"] += 1
            return
        x = sig[_LOSS] / sig[_N_OK]
        if not math.isfinite(x):  # finite losses whose sum overflowed (1e308 twice): no usable signal
            self.decisions["skip"] += 1
            return
        g = sig[_GN] / sig[_N_GN] if sig[_N_GN] > 0 else None
        log_g = math.log(g) if g is not None and 0 < g < math.inf else None
        ready = s["n"] >= self.min_history
        level = s["level"]
        spike = ready and x > level + max(self.spike_z * math.sqrt(s["var"]), self.spike_margin * abs(level))
        if ready and log_g is not None and s["g_n"] >= self.min_history:
            spike = spike or log_g > s["g_mean"] + math.log(self.grad_spike)
        u = sig[_UR] / sig[_N_UR] if sig[_N_UR] > 0 else None
        log_u = math.log(u) if u is not None and 0 < u < math.inf else None
        if ready and log_u is not None and s["u_n"] >= self.min_history:
            spike = spike or log_u > s["u_mean"] + math.log(self.ratio_spike)
        rising = ready and x > level
        self._update_stats(x, log_g, log_u)
        if spike:
            self.decisions["backoff"] += 1
            self.factor = max(self.factor * self.backoff, self._floor)
            self.rate = max(self.rate / 2, self.growth / 8)
            self.peak_since = None
            return
        if rising:
            self.decisions["hold"] += 1
        else:
            self.decisions["grow"] += 1
            self.factor = _grown(self.factor, self.rate, k)
        if self.factor >= 1.0:
            # at the peak: hand over once it has been held for `guard` updates with no back-off
            if self.peak_since is None:
                self.peak_since = self.last_epoch
            if self.last_epoch - self.peak_since >= self.guard:
                self._hand_over()

    def _update_stats(self, x: float, log_g: float | None, log_u: float | None = None) -> None:
        s = self.stats
        if s["n"] == 0:
            s["level"] = x
        else:
            d = x - s["level"]
            s["var"] = _finite(self.ema * s["var"] + (1 - self.ema) * d * d)
            s["level"] = self.fast_ema * s["level"] + (1 - self.fast_ema) * x
        s["n"] += 1
        if log_g is not None:
            s["g_mean"] = log_g if s["g_n"] == 0 else self.ema * s["g_mean"] + (1 - self.ema) * log_g
            s["g_n"] += 1
        if log_u is not None:
            s["u_mean"] = log_u if s["u_n"] == 0 else self.ema * s["u_mean"] + (1 - self.ema) * log_u
            s["u_n"] += 1

    def _gather(self, window: list[float]) -> list[float]:
        """The window's signals summed over every rank, in rank order (the same floats on every rank)."""
        dist = torch.distributed
        if not (dist.is_available() and dist.is_initialized()):
            return list(window)
        group = self.process_group
        size = dist.get_world_size(group)
        if size == 1:
            return list(window)
        device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend(group) == "nccl" \
            else torch.device("cpu")
        mine = torch.tensor(window, dtype=torch.float64, device=device)
        parts = [torch.empty_like(mine) for _ in range(size)]
        dist.all_gather(parts, mine, group=group)
        total = [0.0] * len(window)
        for part in parts:
            for i, v in enumerate(part.tolist()):
                total[i] += v
        return total

    def _hand_over(self) -> None:
        self.phase = "decay"
        self.handover = self.last_epoch
        self.handover_factor = self.factor
        self._then = None

    def _decay(self) -> Schedule:
        if self._then is None:
            b = self._budget
            rest = None
            if b is not None and b.total_steps is not None:
                rest = Budget(total_steps=max(1, b.total_steps - (self.handover or 0)),
                              steps_per_epoch=b.steps_per_epoch, tokens_per_step=b.tokens_per_step,
                              batch_size=b.batch_size, grad_accum=b.grad_accum)
            elif b is not None:
                rest = b
            self._then = as_schedule(self._then_spec, rest, owner="OnlineWarmup", where="then", role="decay")
        return self._then

    def current_factor(self) -> float:
        """The factor of the peak the next update gets: ``f`` during the warmup, ``f_h * then(t - t_h)`` after."""
        if self.phase == "warmup":
            return self.factor
        return self.handover_factor * float(self._decay()(self.last_epoch - (self.handover or 0)))

    def _apply(self) -> None:
        f = self.current_factor()
        if not (math.isfinite(f) and f >= 0.0):  # pragma: no cover - f is clamped by construction; never write it
            raise RampupError(f"OnlineWarmup: internal factor {f!r} at update {self.last_epoch}")
        for group, base in zip(self.optimizer.param_groups, self._bases, strict=True):
            write_value(group, "lr", base * f)

    # -- the torch scheduler protocol (the rest is SchedulerBase's) ---------------------------------------------
    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The LR of each group at the current step: ``base * current_factor()``."""
        f = self.current_factor()
        return [b * f for b in self._bases]

    def state_dict(self) -> dict[str, Any]:
        """The whole controller in plain types (``torch.load(..., weights_only=True)`` reads it): step, phase,
        start and growth (the back-off floors), factor, growth rate, hand-over, the loss and grad-norm history, the
        open window and the decision counts. The settings are the constructor's, not part of the state."""
        return {
            "format": _FORMAT,
            "step": self.last_epoch,
            "count": self.count,
            "phase": self.phase,
            "start": self.start,
            "growth": self.growth,
            "factor": self.factor,
            "rate": self.rate,
            "handover": self.handover,
            "guard": self.guard,
            "peak_since": self.peak_since,
            "handover_factor": self.handover_factor,
            "then": self._then_repr(),
            "stats": dict(self.stats),
            "window": list(self.window),
            "window_updates": self.window_updates,
            "decisions": dict(self.decisions),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict` (any state this class has written: the format has not changed
        since rampup 0.1, states from before the ratio signal included): the warmup goes on exactly where it
        was."""
        owner = "OnlineWarmup.load_state_dict"
        state_dict = dict(self._check_state(owner, state_dict))
        phase = check_choice(owner, "phase", state_dict["phase"], ("warmup", "decay"))
        self.last_epoch = _step(owner, "step", state_dict["step"])
        self._resync()
        self.phase = phase
        # start and growth set the back-off floors: a state carries them, so a controller built with other values
        # (or without the probe that chose them) resumes the same warmup
        if "start" in state_dict:
            self.start = check_number(owner, "start", state_dict["start"], 0.0, 1.0, lo_open=True)
            self._floor = self.start / 10
        if "growth" in state_dict:
            self.growth = check_number(owner, "growth", state_dict["growth"], 0.0, MAX_GROWTH, lo_open=True)
        self.factor = check_number(owner, "factor", state_dict["factor"], 0.0, 1.0, lo_open=True)
        self.rate = check_number(owner, "rate", state_dict["rate"], 0.0, MAX_GROWTH, lo_open=True)
        h = state_dict["handover"]
        self.handover = None if h is None else _step(owner, "handover", h)
        if "guard" in state_dict:
            self.guard = _step(owner, "guard", state_dict["guard"])
        p = state_dict.get("peak_since")
        self.peak_since = None if p is None else _step(owner, "peak_since", p)
        self.handover_factor = check_number(owner, "handover_factor", state_dict["handover_factor"], 0.0, 1.0)
        self._then = None
        self.stats = {k: float(state_dict["stats"].get(k, 0.0)) for k in _STATS}  # older states: no ratio yet
        window = [float(v) for v in state_dict["window"]]
        self.window = window + [0.0] * (_WINDOW - len(window))
        self.window_updates = int(state_dict["window_updates"])
        self.decisions = {k: int(v) for k, v in state_dict["decisions"].items()}
        self._apply()


def _grown(f: float, rate: float, k: int) -> float:
    """``min(1, f (1 + rate)^k)`` without overflow: in log space, the power is taken only where it stays below
    ``e / f`` (so where it is taken, the value is the closed form's to the last bit)."""
    if k * math.log1p(rate) > 1.0 - math.log(f):
        return 1.0
    return min(1.0, f * (1.0 + rate) ** k)


def _finite(x: float) -> float:
    """``x``, or the largest float when it overflowed to inf (a variance of huge losses)."""
    return x if x < math.inf else 1.7976931348623157e308


def _total_norm(tensors: list[Any]) -> float:
    """The 2-norm of all ``tensors`` together."""
    first = tensors[0]
    device, dtype = first.device, first.dtype
    if all(t.device == device and t.dtype == dtype and t.layout is torch.strided for t in tensors):
        # one dense device and dtype (the usual case): the fused per-tensor norms, then the norm of those,
        # without get_total_norm's regrouping (a quarter of its time on a 76-tensor model)
        return float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(tensors))))
    return float(torch.nn.utils.get_total_norm(tensors))


def _rule_growth(optimizer: Any, budget: Budget | None, start: float) -> tuple[float, str]:
    """The growth rate whose geometric ramp from ``start`` reaches the peak in the optimizer rule's warmup length,
    and a sentence saying where it came from; 0.1 when there is no such length."""
    from ._rules import _family, warmup_from_optimizer

    fallback = 0.1
    if _family(optimizer) is None:
        return fallback, f"no warmup rule for {type(optimizer).__name__}; growth {fallback:g}"
    choice = warmup_from_optimizer(optimizer, budget=budget)  # a rule's warmup caps itself: no error for a budget
    lengths = [s.length for s in choice.schedules]
    if any(n is None for n in lengths):
        return fallback, "the rule's warmup length needs steps_per_epoch or total_steps; growth 0.1"
    w = max(n for n in lengths if n is not None)
    if w < 1 or start >= 1.0:
        return fallback, f"rule length {w} updates from start {start:g}: nothing to ramp; growth 0.1"
    rate = start ** (-1.0 / w) - 1.0
    why = (f"{choice.explanations[0].rule}: the rule's warmup is {w} updates; from start {start:g} the peak in {w} "
           f"healthy updates: growth {rate:.4g} per update")
    if rate > fallback:
        # a ramp faster than the default reaches the peak before the controller has the history to back off
        return fallback, why + f", faster than the default {fallback:g}: growth {fallback:g}"
    return rate, why


def _scalar(name: str, x: Any) -> float:
    """A loss or a grad norm as a float: a number or a one-element tensor or array, nothing else."""
    size = x.numel() if isinstance(x, torch.Tensor) else getattr(x, "size", 1) if hasattr(x, "shape") else 1
    if size != 1 or isinstance(x, (bool, str, bytes)):
        shape = tuple(x.shape) if hasattr(x, "shape") else None
        hint = f" of shape {shape} (a per-sample loss? reduce it first: loss.mean())" if shape is not None else ""
        raise RampupError(f"OnlineWarmup: {name} must be a number or a one-element tensor, got {show(x)}{hint}")
    try:
        if isinstance(x, torch.Tensor):
            return float(x.detach().reshape(()).float())
        return float(x.item() if hasattr(x, "item") else x)
    except (TypeError, ValueError, OverflowError):
        raise RampupError(f"OnlineWarmup: {name} must be a number or a one-element tensor, got {show(x)}") from None


def _step(owner: str, name: str, value: Any) -> int:
    """A count of updates in a state: a whole number >= 0."""
    return _whole(owner, name, value, 0)


def _whole(owner: str, name: str, value: Any, low: int) -> int:
    """A whole number ``>= low`` that is an int already (a count of updates is never a float)."""
    if isinstance(value, float):
        raise RampupError(f"{owner}: {name} must be a whole number >= {low}, got {show(value)}")
    return check_int(owner, name, value, low)


def _check_duration(owner: str, name: str, value: Any, low: int) -> None:
    """A count of updates ``>= low`` or a duration string (``"25%"``, ``"2ep"``), checked without a budget."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= low:
        return
    if isinstance(value, str):
        try:
            linear_warmup(value)
            return
        except RampupError:
            pass
    raise RampupError(f"{owner}: {name} must be a whole number of updates >= {low} or a duration ('25%', '2ep'), "
                      f"got {show(value)}")


def _duration(owner: str, name: str, value: Any, budget: Budget | None, low: int = 1) -> int:
    """A duration (updates, ``"25%"``, ``"2ep"``) in updates, through the core's resolution of a warmup's length."""
    _check_duration(owner, name, value, low)
    if isinstance(value, int):  # a count of updates needs no budget, and may outlast the run
        return value
    w = as_schedule(linear_warmup(value), budget, owner=owner, where=name)
    return max(low, w.length or 0)
