"""Hypothesis strategies that build arbitrary valid rampup schedules."""

from hypothesis import assume
from hypothesis import strategies as st

import rampup as r

unit = st.floats(0.0, 1.0)
positive_unit = st.floats(1e-4, 1.0)
length = st.integers(0, 400)


@st.composite
def warmups(draw):
    shape = draw(st.sampled_from(["linear", "cosine", "poly", "sqrt", "log", "geometric", "constant"]))
    w = draw(length)
    if shape in ("geometric", "constant"):
        return r.Warmup(shape, w, draw(positive_unit), 1.0, 0 if shape == "constant" else draw(st.integers(0, 3)))
    power = draw(st.floats(0.25, 4.0)) if shape == "poly" else 1.0
    return r.Warmup(shape, w, draw(unit), power, draw(st.integers(0, 3)))


@st.composite
def decays(draw, bounded=True):
    kind = draw(st.sampled_from(["ramp", "ramp", "exp", "step", "multistep", "inverse_sqrt", "constant"]))
    d = draw(length) if bounded else draw(st.one_of(st.none(), length))
    start = draw(st.one_of(st.none(), positive_unit))
    top = 1.0 if start is None else start
    if kind == "ramp":
        shape = draw(st.sampled_from(["linear", "cosine", "poly", "sqrt", "geometric"]))
        if d is None:
            d = draw(length)
        low = 1e-4 if shape == "geometric" else 0.0
        to = draw(st.floats(low, top)) if top > low else top
        power = draw(st.floats(0.25, 4.0)) if shape == "poly" else 1.0
        return r.Decay(shape, d, to, start, power, draw(st.integers(1, 4)))
    if kind == "exp":
        return r.exp_decay(draw(st.floats(0.5, 1.0)), every=draw(st.integers(1, 50)), to=draw(st.floats(0, min(0.2, top))),
                           duration=d, start=start)
    if kind == "step":
        return r.step_decay(draw(st.integers(1, 100)), gamma=draw(st.floats(0.05, 1.0)), duration=d, start=start)
    if kind == "multistep":
        ms = sorted(draw(st.sets(st.integers(0, 500), min_size=1, max_size=4)))
        return r.multistep(ms, gamma=draw(st.floats(0.05, 1.0)), duration=d, start=start)
    if kind == "inverse_sqrt":
        return r.inverse_sqrt(draw(st.one_of(st.none(), st.integers(1, 500))), duration=d, start=start)
    return r.constant(d, draw(st.one_of(st.none(), unit)))


@st.composite
def sequences(draw):
    """warmup >> decays..., every phase bounded but possibly the last."""
    phases = [draw(warmups())]
    n = draw(st.integers(0, 3))
    for i in range(n):
        phases.append(draw(decays(bounded=i < n - 1)))
    if len(phases) == 1:
        return phases[0]
    try:
        return r.sequence(phases)
    except r.RampupError:  # a decay whose floor is above the value it inherits: rejected by design
        assume(False)


@st.composite
def schedules(draw):
    base = draw(st.one_of(sequences(), decays(), warmups(), st.builds(r.noam, st.integers(1, 500)),
                          st.builds(r.radam_warmup, st.floats(0.8, 0.9999)),
                          st.builds(r.exp_warmup, st.floats(1.0, 300.0), unit, st.integers(0, 2))))
    wrap = draw(st.sampled_from(["none", "none", "scale", "clip", "product", "repeat"]))
    if wrap == "scale":
        return base.scale(draw(st.floats(1e-6, 10.0)))
    if wrap == "clip":
        lo = draw(st.floats(0.0, 0.5))
        return r.clip(base, min=lo, max=draw(st.one_of(st.none(), st.floats(lo, 1.0))))
    if wrap == "product":
        return base * draw(st.one_of(warmups(), decays()))
    if wrap == "repeat" and base.length:
        return r.repeat(base, times=draw(st.one_of(st.none(), st.integers(1, 4))), mult=draw(st.sampled_from([1, 2, 1.5])))
    return base
