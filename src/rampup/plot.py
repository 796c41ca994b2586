"""Pictures of schedules with matplotlib (the ``plot`` extra): figures for files, PNGs for notebooks.

matplotlib is imported inside the functions, with the Agg canvas and without pyplot, so drawing never opens a
window, never touches pyplot's global figures and works on machines with no display.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import numpy as np

from .check.facts import warmup_info
from .core.errors import RampupError
from .core.schedule import Schedule

__all__ = ["default_steps", "draw", "figure", "repr_png"]

_MAX_POINTS = 20_000  # points per curve: more than any screen shows


def default_steps(schedule: Schedule) -> int:
    """How many updates to show when none is given: the schedule's length, else ten warmups, else 1000.

    Example:
        >>> import rampup
        >>> from rampup.plot import default_steps
        >>> default_steps(rampup.parse("linear(100) >> cosine(900)")), default_steps(rampup.noam(400))
        (1000, 4000)
    """
    if schedule.length:
        return schedule.length
    warm = warmup_info(schedule)
    if warm is not None and warm.length:
        return 10 * warm.length
    if warm is not None and warm.tau:
        return max(100, round(10 * warm.tau))
    return 1000


def _curve(schedule: Schedule, total: int) -> tuple[Any, Any]:
    """Steps 0..total (the last one is where the run ends) and the schedule's values there."""
    if total + 1 <= _MAX_POINTS:
        steps = np.arange(total + 1, dtype=np.float64)
    else:
        steps = np.unique(np.round(np.linspace(0, total, _MAX_POINTS)))
    return steps, np.asarray(schedule(steps), dtype=np.float64)


def draw(ax: Any, schedule: Schedule, total: int | None = None, *, label: str | None = None, lr: float | None = None,
         mark_warmup: bool = True, **line: Any) -> Any:
    """Draw one schedule on a matplotlib ``ax``: steps 0..``total`` (default :func:`default_steps`), the factor
    (or ``lr * factor``), and a dashed line where the warmup ends. Returns the line.

    Example:
        >>> import rampup
        >>> from matplotlib.figure import Figure
        >>> from rampup.plot import draw
        >>> ax = Figure().subplots()
        >>> float(draw(ax, rampup.parse("linear(10) >> cosine(90)")).get_xdata()[-1])
        100.0
    """
    if not isinstance(schedule, Schedule):
        raise RampupError(f"draw: schedule must be a Schedule, got {schedule!r}")
    n = default_steps(schedule) if total is None else total
    steps, values = _curve(schedule, n)
    if lr is not None:
        values = values * lr
    (handle,) = ax.plot(steps, values, label=label if label is not None else schedule.spec(), **line)
    warm = warmup_info(schedule)
    if mark_warmup and warm is not None and warm.length and warm.length <= n:
        ax.axvline(warm.length, color=handle.get_color(), linestyle="--", linewidth=0.8, alpha=0.7)
    return handle


def figure(schedules: Iterable[Schedule], totals: Iterable[int | None] | None = None, *, lr: float | None = None,
           log: bool = False, title: str | None = None, labels: Iterable[str] | None = None,
           size: tuple[float, float] = (8.0, 4.0), dpi: float = 100) -> Any:
    """A matplotlib ``Figure`` with the schedules overlaid, warmup ends dashed; ``log`` for a log y axis.

    Example:
        >>> import rampup
        >>> from rampup.plot import figure
        >>> fig = figure([rampup.parse("linear(10) >> cosine(90)"), rampup.parse("linear(30) >> linear(70)")])
        >>> len(fig.axes[0].get_lines())
        4
    """
    from matplotlib.figure import Figure

    scheds = list(schedules)
    tots = list(totals) if totals is not None else [None] * len(scheds)
    names = list(labels) if labels is not None else [s.spec() for s in scheds]
    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    ax = fig.subplots()
    for s, n, name in zip(scheds, tots, names, strict=True):
        draw(ax, s, n, label=_shorten(name), lr=lr)
    if log:
        ax.set_yscale("log", nonpositive="mask")
    ax.set_xlabel("optimizer updates already applied (step)")
    ax.set_ylabel("learning rate" if lr is not None else "factor of the peak LR")
    ax.grid(True, alpha=0.3)
    if len(scheds) > 1:
        ax.legend(fontsize="small")
    if title is not None:
        ax.set_title(_shorten(title, 90), fontsize="medium")
    elif len(scheds) == 1:
        ax.set_title(_shorten(names[0], 90), fontsize="medium")
    return fig


def repr_png(schedule: Schedule) -> bytes | None:
    """The schedule's curve as PNG bytes (about 600 x 300 pixels, the spec as title), for Jupyter's
    ``_repr_png_``. A schedule with units and no budget is drawn over 1000 updates when only ``total_steps`` is
    missing; ``None`` (no picture) when it needs other budget fields.

    Example:
        >>> import rampup
        >>> from rampup.plot import repr_png
        >>> repr_png(rampup.parse("linear(5%) >> cosine(to=0.1)"))[:8]
        b'\\x89PNG\\r\\n\\x1a\\n'
    """
    if not isinstance(schedule, Schedule):
        raise RampupError(f"repr_png: schedule must be a Schedule, got {schedule!r}")
    s = schedule
    title = s.spec()
    if s._missing is not None:
        try:
            s = s.resolve(total_steps=1000)
        except RampupError:
            return None
        title += "  (over 1000 updates)"
    fig = figure([s], title=title, size=(7.5, 3.75), dpi=80)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _shorten(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def notebook_display(shell: Any) -> None:
    """Show every schedule as its curve in a Jupyter/IPython ``shell`` (``import rampup`` does this by itself when
    it runs inside one); without matplotlib the PNG formatter returns None and the spec text is shown instead.

    Example:
        >>> from IPython.core.interactiveshell import InteractiveShell
        >>> import rampup, rampup.plot
        >>> shell = InteractiveShell.instance()
        >>> rampup.plot.notebook_display(shell)
        >>> "image/png" in shell.display_formatter.format(rampup.linear_warmup(10))[0]
        True
    """
    shell.display_formatter.formatters["image/png"].for_type(Schedule, _png_or_none)


def _png_or_none(schedule: Schedule) -> bytes | None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return None
    return repr_png(schedule)
