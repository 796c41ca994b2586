"""``OnlineWarmup``: a torch LR scheduler that raises the LR toward the peak while training is healthy, slows or backs
off when it is not, then hands over to the user's decay."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch.optim.lr_scheduler import LRScheduler

from ..core.errors import RampupError
from ..core.schedule import Schedule
from ..core.units import Budget
from ..core.warmup import linear_warmup
from ..torch._clock import attach_counter, check_count, check_optimizer, check_step, make_budget, to_schedule

__all__ = ["OnlineWarmup"]

_FORMAT = "rampup.auto.OnlineWarmup/1"
_LOSS, _N_OK, _N_BAD, _GN, _N_GN, _UR, _N_UR = range(7)  # the window's signals, summed over updates (and ranks)
_WINDOW = 7
_STATS = ("n", "level", "var", "g_n", "g_mean", "u_n", "u_mean")


class OnlineWarmup(LRScheduler):
    r"""An online warmup: the LR factor ``f`` grows from ``start`` toward the peak (1) while training is healthy, holds
    or backs off when it is not, and hands over to the decay ``then`` once it reaches the peak (after holding it
    for ``guard`` updates under watch, when ``guard > 0``).

    The LR of param group ``g`` is ``base_g * f`` during the warmup and ``base_g * f_h * then(t - t_h)`` after the
    hand-over at update ``t_h`` (``f_h = 1`` unless ``max_warmup`` forced an early hand-over; ``then`` gets the
    remaining ``total_steps - t_h`` updates as its budget, like ``warmup >> then`` in closed form).

    **Signals.** Feed the loss of each update with ``observe(loss)`` after ``loss.backward()`` and before
    ``optimizer.step()`` (or ``step(loss)`` after it): ``observe`` also measures the gradient norm (one fused norm
    over the gradients, at every update, or every ``grad_norm_every``-th) unless you pass ``grad_norm=`` (the norm
    ``clip_grad_norm_`` returns costs nothing more) or set ``grad_norm=False`` at construction. Every ``every`` updates the window's signals are summed (and, under
    ``torch.distributed``, gathered from every rank and summed in rank order, so every rank makes the same
    decision from the same numbers) and one decision is made from the window's mean loss ``x`` and mean grad norm
    ``g``, against the controller's own history: the loss level ``m`` (an EMA with decay ``fast_ema``, which follows
    the downward trend of training), the EMA ``v`` (decay ``ema``) of the squared surprise ``(x - m)^2``, and the
    EMA ``\mu_g`` (decay ``ema``) of ``log g``:

    - a non-finite loss or gradient norm in the window (or no signal at all): **hold** ``f``, history untouched;
    - after ``min_history`` windows, a **loss spike**, :math:`x > m + \max(z\sqrt{v}, \mathrm{margin}\cdot|m|)`, or
      a **gradient-norm outlier**, :math:`\log g > \mu_g + \log(\mathrm{grad\_spike})`, or (opt-in,
      ``update_ratio_every``) an **update-to-weight ratio outlier**, :math:`\log u > \mu_u +
      \log(\mathrm{ratio\_spike})` with :math:`u = \lVert\theta_{t+1} - \theta_t\rVert / \lVert\theta_t\rVert`:
      **back off**,
      :math:`f \leftarrow \max(f \cdot \mathrm{backoff}, \mathrm{start}/10)`, and halve the growth rate (not below
      ``growth / 8``);
    - the loss above its level, :math:`x > m` (not falling): **hold**;
    - otherwise **grow**: :math:`f \leftarrow \min(1, f\,(1 + r)^k)` for the ``k`` updates of the window.

    Every finite window then enters the history (a spike too, so that a lasting change of level is accepted
    after a few windows instead of backing off for ever).

    ``f`` is always a finite number in ``[start/10, 1]``: no NaN, inf or negative LR, whatever the signals.
    Updates are counted as in :class:`rampup.torch.Scheduler` (a GradScaler-skipped update does not advance the
    clock), and ``state_dict()`` (plain types) holds the whole controller, the open window included, so a resumed
    run continues the same warmup.

    **The nominal ramp from the optimizer** (``growth="rule"``, opt-in): the ramp the controller follows when
    nothing goes wrong takes the length ``W`` of the warmup :func:`rampup.auto.warmup_from_optimizer` chooses for
    this optimizer and budget (the longest over the param groups: Adam family ``2/(1-beta2)`` updates, Ma &
    Yarats; SGD 5 epochs with ``steps_per_epoch``, else 5/90 of ``total_steps``, Goyal et al.), geometric from
    ``start``: :math:`r = \min(0.1, \mathrm{start}^{-1/W} - 1)`: never faster than the default, since a ramp
    much shorter than the default's reaches the peak before the controller has the history to back off (Goyal's 5
    epochs at one update per epoch would be 5 updates). Without a rule (another optimizer, RAdam's ``W = 0``, SGD
    without a budget) or with ``start = 1``, ``r = 0.1``; ``growth_rule`` says which. It is not the default: the
    controller can only slow its nominal ramp, so a ramp as long as a rule's (itself a safe length) cannot be
    shortened where the task allows; started where :func:`rampup.auto.probe` says (``start=probe(...).start``) it
    is the most stable of the automatic methods in docs/auto.md.

    Args:
        optimizer: the torch optimizer, built with the peak LR of each group.
        then: the schedule after the hand-over (a rampup schedule or spec string, e.g. ``"cosine(to=0.1)"``), with
            ``total_steps`` when its duration is open; default ``"constant()"`` (hold the peak).
        total_steps, steps_per_epoch, budget: the run's budget, for ``then`` and ``max_warmup``.
        start: the factor of the peak the first update gets, in ``(0, 1]`` (e.g. ``probe(...).start``).
        growth: the growth rate ``r`` of ``f`` per healthy update (0.1: ten percent), or ``"rule"``: from the
            optimizer's own rule (see below).
        backoff: the factor ``f`` is multiplied by on a spike.
        every: updates per decision (and per all-reduce under ``torch.distributed``).
        spike_z, spike_margin, grad_spike: the spike thresholds above.
        ema, fast_ema: the decays of the surprise and grad-norm EMAs, and of the loss level.
        min_history: decisions that only grow and build the history before spikes are looked for.
        max_warmup: hand over after this many updates even below the peak (updates or ``"25%"``); default none.
        guard: once at the peak, keep watching for this many updates (or a duration) before the hand-over; a
            back-off meanwhile resumes the ramp from below (default 0: hand over on reaching the peak).
        update_ratio_every: measure the update-to-weight ratio ``|theta_after - theta_before| / |theta_before|``
            at every n-th update (default None: not measured; it copies the parameters before the update, about
            three passes over them per measure).
        ratio_spike: an update ratio above ``ratio_spike`` times its geometric EMA is an outlier (default 5).
        grad_norm: measure the gradient norm in ``observe`` when none is passed (default True).
        grad_norm_every: measure it at every n-th update only (default 1: every update; the norm is the
            controller's main cost, one pass over the gradients, 1.8% of an update of a 6-layer d-64 transformer on
            one CPU thread; an outlier between two measures goes unseen).
        process_group: the ``torch.distributed`` group to agree over (default: the world, when initialised).
        count: ``"updates"`` (default) or ``"calls"``, as in :class:`rampup.torch.Scheduler`.

    Example:
        >>> import torch
        >>> from rampup.auto import OnlineWarmup
        >>> w = torch.nn.Parameter(torch.tensor([3.0]))
        >>> opt = torch.optim.SGD([w], lr=0.1)
        >>> sched = OnlineWarmup(opt, start=0.1, growth=0.5, min_history=2)
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

    probe_result: Any = None  # the ProbeResult when made by rampup.auto.auto_warmup

    def __init__(self, optimizer: torch.optim.Optimizer, then: Schedule | str | None = None, *,
                 total_steps: int | None = None, steps_per_epoch: int | None = None, budget: Budget | None = None,
                 start: float = 0.05, growth: float | str = 0.1, backoff: float = 0.5, every: int = 1,
                 spike_z: float = 4.0, spike_margin: float = 0.05, grad_spike: float = 5.0, ema: float = 0.95,
                 fast_ema: float = 0.7, min_history: int = 5, max_warmup: int | str | None = None,
                 guard: int | str = 0, update_ratio_every: int | None = None, ratio_spike: float = 5.0,
                 grad_norm: bool = True, grad_norm_every: int = 1, process_group: Any = None,
                 count: str = "updates") -> None:
        owner = "OnlineWarmup"
        self.optimizer = check_optimizer(owner, optimizer)
        self._count_updates = check_count(owner, count)
        self._budget = make_budget(owner, budget, total_steps, steps_per_epoch)
        self._then_spec = then if then is not None else "constant()"
        # resolved once now, so that a missing budget field is an error here and not at the hand-over
        to_schedule(owner, "then", self._then_spec, self._budget)
        self.start = _number(owner, "start", start, 0.0, 1.0, lo_open=True)
        if growth == "rule":
            growth, self.growth_rule = _rule_growth(optimizer, self._budget, self.start)
        else:
            self.growth_rule = "given"
        self.growth = _number(owner, "growth", growth, 0.0, None, lo_open=True)
        self.backoff = _number(owner, "backoff", backoff, 0.0, 1.0, lo_open=True, hi_open=True)
        self.spike_z = _number(owner, "spike_z", spike_z, 0.0, None, lo_open=True)
        self.spike_margin = _number(owner, "spike_margin", spike_margin, 0.0, None)
        self.grad_spike = _number(owner, "grad_spike", grad_spike, 1.0, None, lo_open=True)
        self.ema = _number(owner, "ema", ema, 0.0, 1.0, hi_open=True)
        self.fast_ema = _number(owner, "fast_ema", fast_ema, 0.0, 1.0, hi_open=True)
        self.every = _whole(owner, "every", every, 1)
        self.min_history = _whole(owner, "min_history", min_history, 0)
        if not isinstance(grad_norm, bool):
            raise RampupError(f"{owner}: grad_norm must be True or False, got {grad_norm!r}")
        self._measure = grad_norm
        self.grad_norm_every = _whole(owner, "grad_norm_every", grad_norm_every, 1)
        self.update_ratio_every = None if update_ratio_every is None else \
            _whole(owner, "update_ratio_every", update_ratio_every, 1)
        self.ratio_spike = _number(owner, "ratio_spike", ratio_spike, 1.0, None, lo_open=True)
        self._before: list[Any] | None = None
        self.max_warmup = None if max_warmup is None else _duration(owner, "max_warmup", max_warmup, self._budget)
        self.guard = _duration(owner, "guard", guard, self._budget, low=0)
        self.process_group = process_group
        self._floor = self.start / 10
        self.base_lrs = [_base(owner, g, i) for i, g in enumerate(optimizer.param_groups)]
        self._params = [p for g in optimizer.param_groups for p in g["params"]]
        self._counter = attach_counter(self, optimizer)
        self._seen = 0
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

    # -- signals ---------------------------------------------------------------------------------------------
    def observe(self, loss: Any, grad_norm: Any = None) -> None:
        """Record the loss of the coming update (and its gradient norm: measured from the parameters' ``.grad``
        unless given). Call it after ``loss.backward()`` and before ``optimizer.step()``. A NaN or inf loss or
        norm is recorded as such: the window's decision is then to hold. After the hand-over it does nothing.

        On a GPU, reading the loss and the norm waits for the device (one sync per update).
        """
        if self.phase != "warmup":
            return
        value = _float(loss)
        if grad_norm is not None:
            gn: float | None = _float(grad_norm)
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
            d = _total_norm(torch._foreach_sub(now, before))
            b = _total_norm(before)
        return d / b if b > 0 else None

    def _grad_norm(self) -> float | None:
        grads = [p.grad for p in self._params if p.grad is not None]
        if not grads:
            return None
        return _total_norm(grads)

    # -- the clock ---------------------------------------------------------------------------------------------
    def step(self, loss: Any = None, grad_norm: Any = None) -> None:  # type: ignore[override]
        """Advance by the optimizer updates made since the last call (none after a skipped update) and set the
        LR for the next one. ``step(loss)`` is ``observe(loss)`` then ``step()``."""
        if loss is not None:
            self.observe(loss, grad_norm)
        if self._count_updates:
            n = self._counter[0]
            if n == self._seen:
                return
            k = n - self._seen
            self._seen = n
        else:
            k = 1
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
            self.window_updates += k
            if self.window_updates >= self.every:
                self._decide(self.window_updates)
            if self.phase == "warmup" and self.max_warmup is not None and self.last_epoch >= self.max_warmup:
                self._hand_over()
        self._apply()

    def _decide(self, k: int) -> None:
        sig = self._gather(self.window)
        self.window = [0.0] * _WINDOW
        self.window_updates = 0
        s = self.stats
        if sig[_N_BAD] > 0 or sig[_N_OK] == 0:
            self.decisions["skip"] += 1
            return
        x = sig[_LOSS] / sig[_N_OK]
        g = sig[_GN] / sig[_N_GN] if sig[_N_GN] > 0 else None
        log_g = math.log(g) if g is not None and g > 0 else None
        ready = s["n"] >= self.min_history
        level = s["level"]
        spike = ready and x > level + max(self.spike_z * math.sqrt(s["var"]), self.spike_margin * abs(level))
        if ready and log_g is not None and s["g_n"] >= self.min_history:
            spike = spike or log_g > s["g_mean"] + math.log(self.grad_spike)
        u = sig[_UR] / sig[_N_UR] if sig[_N_UR] > 0 else None
        log_u = math.log(u) if u is not None and u > 0 else None
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
            self.factor = min(1.0, self.factor * (1.0 + self.rate) ** k)
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
            s["var"] = self.ema * s["var"] + (1 - self.ema) * d * d
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
            self._then = to_schedule("OnlineWarmup", "then", self._then_spec, rest)
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
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            lr = group["lr"]
            if isinstance(lr, torch.Tensor):
                lr.fill_(base * f)
            else:
                group["lr"] = base * f

    # -- the torch scheduler protocol --------------------------------------------------------------------------
    def get_last_lr(self) -> list[float]:  # type: ignore[override]
        """The LR of each param group for the next update."""
        return [float(g["lr"].item()) if isinstance(g["lr"], torch.Tensor) else g["lr"]
                for g in self.optimizer.param_groups]

    @property
    def _last_lr(self) -> list[float]:
        return self.get_last_lr()

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The LR of each group at the current step: ``base * current_factor()``."""
        f = self.current_factor()
        return [b * f for b in self.base_lrs]

    def state_dict(self) -> dict[str, Any]:
        """The whole controller in plain types (``torch.load(..., weights_only=True)`` reads it): step, phase,
        start and growth (the back-off floors), factor, growth rate, hand-over, the loss and grad-norm history, the
        open window and the decision counts."""
        return {
            "format": _FORMAT,
            "step": self.last_epoch,
            "count": "updates" if self._count_updates else "calls",
            "phase": self.phase,
            "start": self.start,
            "growth": self.growth,
            "factor": self.factor,
            "rate": self.rate,
            "handover": self.handover,
            "guard": self.guard,
            "peak_since": self.peak_since,
            "handover_factor": self.handover_factor,
            "then": self._then_spec if isinstance(self._then_spec, str) else self._then_spec.spec(),
            "stats": dict(self.stats),
            "window": list(self.window),
            "window_updates": self.window_updates,
            "decisions": dict(self.decisions),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict`: the warmup goes on exactly where it was."""
        owner = "OnlineWarmup.load_state_dict"
        if not isinstance(state_dict, Mapping) or state_dict.get("format") != _FORMAT:
            keys = sorted(map(str, state_dict)) if isinstance(state_dict, Mapping) else state_dict
            raise RampupError(f"{owner}: not an OnlineWarmup state (format {_FORMAT!r}), got {keys!r}")
        phase = state_dict["phase"]
        if phase not in ("warmup", "decay"):
            raise RampupError(f"{owner}: phase must be 'warmup' or 'decay', got {phase!r}")
        self.last_epoch = check_step(owner, state_dict["step"])
        self._seen = self._counter[0]
        self.phase = phase
        # start and growth set the back-off floors: a state carries them, so a controller built with other values
        # (or without the probe that chose them) resumes the same warmup
        if "start" in state_dict:
            self.start = _number(owner, "start", state_dict["start"], 0.0, 1.0, lo_open=True)
            self._floor = self.start / 10
        if "growth" in state_dict:
            self.growth = _number(owner, "growth", state_dict["growth"], 0.0, None, lo_open=True)
        self.factor = _number(owner, "factor", state_dict["factor"], 0.0, 1.0, lo_open=True)
        self.rate = _number(owner, "rate", state_dict["rate"], 0.0, None, lo_open=True)
        h = state_dict["handover"]
        self.handover = None if h is None else check_step(owner, h)
        if "guard" in state_dict:
            self.guard = check_step(owner, state_dict["guard"])
        p = state_dict.get("peak_since")
        self.peak_since = None if p is None else check_step(owner, p)
        self.handover_factor = _number(owner, "handover_factor", state_dict["handover_factor"], 0.0, 1.0)
        self._then = None
        self.stats = {k: float(state_dict["stats"].get(k, 0.0)) for k in _STATS}  # older states: no ratio yet
        window = [float(v) for v in state_dict["window"]]
        self.window = window + [0.0] * (_WINDOW - len(window))
        self.window_updates = int(state_dict["window_updates"])
        self.decisions = {k: int(v) for k, v in state_dict["decisions"].items()}
        self._apply()


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
    from ._rules import warmup_from_optimizer

    fallback = 0.1
    try:
        choice = warmup_from_optimizer(optimizer, budget=budget)
    except RampupError as e:
        return fallback, f"no rule for this optimizer ({e}); growth 0.1"
    lengths = [s.length for s in choice.schedules]
    if any(n is None for n in lengths):
        return fallback, "the rule's warmup length needs steps_per_epoch or total_steps; growth 0.1"
    w = max(lengths)
    if w < 1 or start >= 1.0:
        return fallback, f"rule length {w} updates from start {start:g}: nothing to ramp; growth 0.1"
    rate = start ** (-1.0 / w) - 1.0
    why = (f"{choice.explanations[0].rule}: the rule's warmup is {w} updates; from start {start:g} the peak in {w} "
           f"healthy updates: growth {rate:.4g} per update")
    if rate > fallback:
        # a ramp faster than the default reaches the peak before the controller has the history to back off
        return fallback, why + f", faster than the default {fallback:g}: growth {fallback:g}"
    return rate, why


def _float(x: Any) -> float:
    if isinstance(x, torch.Tensor):
        return float(x.detach().float().sum()) if x.numel() == 1 else float("nan")
    try:
        return float(x)
    except (TypeError, ValueError):
        raise RampupError(f"OnlineWarmup: a loss or grad norm must be a number or a one-element tensor, "
                          f"got {x!r}") from None


def _base(owner: str, group: dict[str, Any], i: int) -> float:
    v = group.setdefault("initial_lr", group["lr"].clone() if isinstance(group["lr"], torch.Tensor) else group["lr"])
    v = float(v.item()) if isinstance(v, torch.Tensor) else v
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
        raise RampupError(f"{owner}: the base lr of param group {i} must be a finite number >= 0, got {v!r}")
    return float(v)


def _number(owner: str, name: str, value: Any, lo: float, hi: float | None, *, lo_open: bool = False,
            hi_open: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > lo if lo_open else value >= lo) and (hi is None or (value < hi if hi_open else value <= hi))
    if not ok:
        rng = f"{'(' if lo_open else '['}{lo:g}, {'inf)' if hi is None else f'{hi:g}' + (')' if hi_open else ']')}"
        raise RampupError(f"{owner}: {name} must be a finite number in {rng}, got {value!r}")
    return float(value)


def _whole(owner: str, name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise RampupError(f"{owner}: {name} must be a whole number >= {low}, got {value!r}")
    return value


def _duration(owner: str, name: str, value: Any, budget: Budget | None, low: int = 1) -> int:
    """A duration (updates, ``"25%"``, ``"2ep"``) in updates, through the core's resolution of a warmup's length."""
    if isinstance(value, bool) or (isinstance(value, int) and value < low):
        raise RampupError(f"{owner}: {name} must be a whole number of updates >= {low} or a duration, got {value!r}")
    if isinstance(value, int):  # a count of updates needs no budget, and may outlast the run
        return value
    try:
        warm = linear_warmup(value)
    except RampupError as e:
        raise type(e)(f"{owner}: {name}: {e}") from None
    w = to_schedule(owner, name, warm, budget)
    return max(low, w.length or 0)
