"""The schedule core: pure schedules of the update count, their units and budget, and the spec parser.

It imports numpy and nothing above it (the layering is checked by import-linter in CI). Modules, bottom up:
``errors``, ``validate`` (every argument check), ``ops`` (one set of element-wise ops for Python floats, numpy,
jax and torch), ``units`` (durations and the budget), ``shapes`` (curves on [0, 1]), ``schedule`` (the value
object and its operators), ``warmup``, ``decay``, ``compose`` (recipes), ``spec`` (parsing specs and dicts).
The public names are re-exported by :mod:`rampup`.
"""
