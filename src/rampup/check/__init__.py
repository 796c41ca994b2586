"""Checks that run before training: the schedule facts shared by lint, plot and the CLI, and :func:`lint`."""

from .facts import WarmupInfo, joins, stepwise, warmup_info
from .lint import Finding, lint

__all__ = ["Finding", "WarmupInfo", "joins", "lint", "stepwise", "warmup_info"]
