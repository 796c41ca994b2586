"""Resume is bit-exact for every registered schedule family at every checkpoint position: a run saved at step k and
restored into a fresh optimizer gives the same learning rates, bit for bit, as the run that never stopped, and the
same as ``base * s(t)`` in closed form. Families added later are picked up from the registry: a required argument
this table cannot fill fails the test, so that the new family gets an example here."""

import inspect
import math

import pytest

import rampup

torch = pytest.importorskip("torch")
rt = pytest.importorskip("rampup.torch")

from rampup.core.spec import FACTORIES  # noqa: E402

TOTAL = 120

# a value for each required argument, by its name
_ARGS = {
    "duration": 40, "warmup": 30, "decay": 40, "total": 100, "hold": 20, "every": 7, "timescale": 25,
    "gamma": 0.7, "beta2": 0.99, "tau": 15.0, "start": 0.05, "milestones": [10, 30, 70], "factor": 0.5,
    "schedule": rampup.linear_warmup(10) >> rampup.cosine_decay(30, to=0.1),
    "phases": [rampup.linear_warmup(10), rampup.cosine_decay(50, to=0.05)],
    "factors": [rampup.cosine_decay(80), rampup.exp_warmup(10, offset=1)],
    "up": 20, "rate": 0.01, "peak": 0.5,
}
#: where a name's own range needs another value than the table's
_BY_NAME = {"exp_growth": {"gamma": 1.01, "max": 2.0}, "linear_growth": {"max": 2.0}}


def _example(name):
    fn = FACTORIES[name]
    kwargs = {}
    for k, p in inspect.signature(fn).parameters.items():
        if p.default is inspect.Parameter.empty:
            assert k in _ARGS, f"{name}() needs {k!r}: add an example value for it to _ARGS"
            kwargs[k] = _BY_NAME.get(name, {}).get(k, _ARGS[k])
    kwargs.update({k: v for k, v in _BY_NAME.get(name, {}).items() if k not in kwargs})
    s = fn(**kwargs)
    if s._missing is not None:
        s = s.resolve(total_steps=TOTAL)
    return s


def _run(spec, steps, base=0.1, state=None):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base)
    sched = rt.Scheduler(opt, spec) if state is None else rt.Scheduler.from_state_dict(opt, state)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs, sched


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_resume_is_bit_exact_for_every_family(name):
    s = _example(name)
    straight, _ = _run(s, TOTAL)
    assert all(math.isfinite(x) and x >= 0 for x in straight)
    assert straight == [0.1 * s(t) for t in range(TOTAL)]
    w = getattr(s, "length", None) or 40
    for k in sorted({1, 2, 9, 10, 11, w - 1, w, w + 1, TOTAL // 2, TOTAL - 1} & set(range(1, TOTAL))):
        first, sched = _run(s, k)
        state = sched.state_dict()
        again, _ = _run(None, TOTAL - k, state=state)
        assert first + again == straight, f"{name}: resumed at step {k}"
        # a plain dict copy (what torch.save / json write) reads back the same
        import json

        again2, _ = _run(None, TOTAL - k, state=json.loads(json.dumps(state)))
        assert again2 == again
