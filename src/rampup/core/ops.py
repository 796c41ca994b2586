"""The element-wise operations a schedule body uses, for Python scalars and for numpy-style arrays.

A schedule's formula is written once against this small set of operations (``clip``, ``where``, ``floor``,
``cos``, ``sin``, ``exp``, ``expm1``, ``log``, ``sqrt`` and the arithmetic operators), so the same code runs on a
Python float (the hot path of a scheduler step, with :mod:`math` and no numpy call), on numpy arrays, on
``jax.numpy`` arrays inside ``jax.jit`` and on torch tensors.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any


def _clip_scalar(x: float, lo: float, hi: float | None) -> float:
    if x < lo:
        return lo
    if hi is not None and x > hi:
        return hi
    return x


def _where_scalar(cond: bool, a: float, b: float) -> float:
    return a if cond else b


class _ScalarOps:
    scalar = True
    clip = staticmethod(_clip_scalar)
    where = staticmethod(_where_scalar)

    @staticmethod
    def count_le(values: Sequence[float], x: float) -> int:
        """How many of the sorted ``values`` are <= ``x`` (a binary search: a thousand milestones cost ten
        comparisons)."""
        return bisect.bisect_right(values, x)

    @staticmethod
    def floor(x: float) -> float:
        return float(math.floor(x))

    cos = staticmethod(math.cos)
    sin = staticmethod(math.sin)
    exp = staticmethod(math.exp)
    expm1 = staticmethod(math.expm1)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)


class _ArrayOps:
    scalar = False

    def __init__(self, xp: Any):
        self.xp = xp
        self.where = xp.where
        self.floor = xp.floor
        self.cos = xp.cos
        self.sin = xp.sin
        self.exp = xp.exp
        self.expm1 = xp.expm1
        self.log = xp.log
        self.sqrt = xp.sqrt

    def clip(self, x: Any, lo: float, hi: float | None) -> Any:
        return self.xp.clip(x, lo, hi)

    @property
    def indexable(self) -> bool:
        """Whether arrays may be indexed by their values (numpy and torch; not jax, whose values inside
        ``jax.jit`` are not known)."""
        return self.xp.__name__ in ("numpy", "torch")

    def piecewise(self, t: Any, starts: Sequence[float], pieces: Sequence[Any]) -> Any:
        """``pieces[i]._eval(t - starts[i], ops)`` (schedules) where ``starts[i] <= t < starts[i + 1]`` (``starts``
        sorted, from 0), each
        piece evaluated only on its own elements: a sort and one call per piece that holds elements, not a pass
        over every element per piece. numpy and torch only (see :attr:`indexable`)."""
        xp = self.xp
        torch = xp.__name__ == "torch"
        flat = t.reshape(-1)
        k = self.count_le(starts, flat) - 1
        k = k.long() if torch else k.astype(int)
        order = xp.argsort(k, stable=True) if torch else xp.argsort(k, kind="stable")
        ks = k[order]
        present = xp.unique(ks)
        ends = xp.searchsorted(ks, present, right=True) if torch else xp.searchsorted(ks, present, side="right")
        out = xp.zeros_like(flat)
        begin = 0
        for i, end in zip(present.tolist(), ends.tolist(), strict=True):
            at = order[begin:end]
            out[at] = xp.zeros_like(flat[at]) + pieces[i]._eval(flat[at] - starts[i], self)
            begin = end
        return out.reshape(t.shape)

    def in_runs(self, t: Any, starts: Sequence[float], pieces: Sequence[Any]) -> Any:
        """:meth:`piecewise` for a 1-D array of non-decreasing steps (what ``values()``, plots and ``arange``
        pass), or None for any other array: each piece is evaluated on its own contiguous slice, a view, so
        no element is evaluated by a piece it is not in and nothing is sorted or gathered."""
        if t.ndim != 1 or t.shape[0] < 2:
            return None
        xp = self.xp
        if not bool((t[1:] >= t[:-1]).all()):
            return None
        cuts = (xp.searchsorted(t, xp.tensor(list(starts[1:]), dtype=t.dtype), right=False).tolist()
                if xp.__name__ == "torch" else xp.searchsorted(t, starts[1:], side="left").tolist())
        out = xp.empty_like(t)
        begin = 0
        for start, piece, end in zip(starts, pieces, [*cuts, t.shape[0]], strict=True):
            if end > begin:
                out[begin:end] = piece._eval(t[begin:end] - start, self)
            begin = end
        return out

    def count_le(self, values: Sequence[float], x: Any) -> Any:
        """How many of the sorted ``values`` are <= each element of ``x``, in the dtype of ``x`` (a binary search
        per element, not a pass per value)."""
        xp = self.xp
        if xp.__name__ == "torch":
            return xp.searchsorted(xp.tensor(values, dtype=x.dtype, device=x.device), x, right=True).to(x.dtype)
        return xp.searchsorted(xp.asarray(values, dtype=x.dtype), x, side="right").astype(x.dtype)

    def fits(self, value: float, dtype: Any) -> bool:
        """Whether ``value`` is within the range of the floating ``dtype``."""
        return value <= float(self.xp.finfo(dtype).max)

    def finish(self, out: Any, t: Any, dtype: Any) -> Any:
        """``out`` with the shape of the steps ``t`` and the floating ``dtype`` asked for (constant pieces come
        back as scalars, and float32 steps are computed in float64 where the library allows it)."""
        # an array of the steps' shape is already the result (a fresh one: no piece returns the steps themselves)
        r = out if getattr(out, "shape", None) == t.shape and out is not t else self.xp.zeros_like(t) + out
        if r.dtype != dtype:
            r = r.to(dtype) if self.xp.__name__ == "torch" else r.astype(dtype)
        if self.xp.__name__ == "numpy" and r.ndim == 0:
            return r[()]
        return r


SCALAR = _ScalarOps()
_NUMPY: _ArrayOps | None = None


def numpy_ops() -> _ArrayOps:
    global _NUMPY
    if _NUMPY is None:
        import numpy

        _NUMPY = _ArrayOps(numpy)
    return _NUMPY


def ops_for(step: Any) -> tuple[Any, _ArrayOps, Any]:
    """Return ``(t, ops, dtype)``: the steps as a floating array of their own library, the operations for it, and
    the dtype of the result.

    One rule for every array type: the steps must be real numbers (integer or floating dtype; bool and complex
    are refused, as a Python bool is), finite and >= 0. numpy and torch compute in float64 and round the result
    once to the floating dtype of the steps (float64 for integer steps), so float32 results are the float64
    values correctly rounded. jax computes in its default float type (float32 unless x64 is enabled), as
    anything inside ``jax.jit`` must, and never below float32: float16 and bfloat16 steps are computed in
    float32 and the result rounded to their dtype. jax values are not checked, since inside ``jax.jit`` they
    are not known; their dtype is.
    """
    module = type(step).__module__
    if module.startswith(("jax", "jaxlib")):
        import jax.numpy as jnp

        t = jnp.asarray(step)
        floating = bool(jnp.issubdtype(t.dtype, jnp.floating))  # bfloat16's numpy kind is "V"
        _check_kind(step, "f" if floating else "i" if jnp.issubdtype(t.dtype, jnp.integer) else "x", t.dtype)
        work = jnp.promote_types(t.dtype, jnp.float32) if floating else jnp.result_type(float)
        return t.astype(work), _ArrayOps(jnp), (t.dtype if floating else work)
    if module.startswith("torch"):
        import torch

        kind = "b" if step.dtype == torch.bool else "c" if step.is_complex() else "f" if step.is_floating_point() \
            else "i"
        _check_kind(step, kind, step.dtype)
        dtype = step.dtype if kind == "f" else torch.float64
        t = step.to(torch.float64)
        if t.numel() and not bool(torch.isfinite(t).all() and (t >= 0).all()):
            bad = t[~(torch.isfinite(t) & (t >= 0))].flatten()[0].item()
            raise _bad_step(bad)
        return t, _ArrayOps(torch), dtype
    import numpy as np

    given = np.asarray(step)
    _check_kind(step, given.dtype.kind, given.dtype)
    dtype = given.dtype if given.dtype.kind == "f" else np.dtype(np.float64)
    a = given.astype(np.float64, copy=False)
    if a.size and not (np.isfinite(a).all() and (a >= 0).all()):
        raise _bad_step(a[~(np.isfinite(a) & (a >= 0))].flat[0])
    return a, numpy_ops(), dtype


def _check_kind(step: Any, kind: str, dtype: Any) -> None:
    """Steps are counts of updates: integer or floating, never bool, complex, text or objects (numpy's kinds)."""
    if kind not in "iuf":
        from .errors import RampupError
        from .validate import show

        raise RampupError(f"step must be a number or an array of numbers, got {show(step)} (dtype {dtype})")


def _bad_step(value: Any) -> ValueError:
    from .errors import RampupError
    from .validate import show

    return RampupError(f"step must be a finite number >= 0 (updates already applied), got {show(value)}")
