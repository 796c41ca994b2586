"""HF transformers' own schedule tests, ported: huggingface/transformers
``tests/optimization/test_optimization.py``, ``ScheduleInitTest.test_schedulers``.

HF's test: AdamW at lr 10, ``num_warmup_steps=2, num_training_steps=10`` (4 for the constant warmup), the LR read
with ``get_lr()`` before each of 10 ``scheduler.step()`` calls, compared with ``assertAlmostEqual(delta=1e-2)``; then
the same run saved with ``torch.save(state_dict())`` and reloaded after step 5 must give the identical list.

Offset: none (HF's ``current_step`` is rampup's ``step``). Here each expected list is checked through
``rampup.torch.Scheduler`` on a real SGD at base LR 10 with HF's tolerance, the saved-and-reloaded run must be
identical, and the installed transformers gives the same numbers as rampup to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest
from transformers import optimization as hf

from rampup import constant, cosine_decay, inverse_sqrt, linear_decay, linear_warmup, poly_decay

from ._own import assert_peer, peer_lrs, torch_group_lrs

LR = 10.0
COMMON = {"num_warmup_steps": 2, "num_training_steps": 10}

# (HF function, its kwargs, HF's expected LRs, the README's rampup equivalent)
CASES = [
    (hf.get_constant_schedule, {}, [10.0] * 10, constant()),
    (hf.get_constant_schedule_with_warmup, {"num_warmup_steps": 4},
     [0.0, 2.5, 5.0, 7.5, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0], linear_warmup(4) >> constant()),
    (hf.get_linear_schedule_with_warmup, COMMON,
     [0.0, 5.0, 10.0, 8.75, 7.5, 6.25, 5.0, 3.75, 2.5, 1.25], linear_warmup(2) >> linear_decay(8)),
    (hf.get_cosine_schedule_with_warmup, COMMON,
     [0.0, 5.0, 10.0, 9.61, 8.53, 6.91, 5.0, 3.08, 1.46, 0.38], linear_warmup(2) >> cosine_decay(8)),
    (hf.get_cosine_with_hard_restarts_schedule_with_warmup, {**COMMON, "num_cycles": 2},
     [0.0, 5.0, 10.0, 8.53, 5.0, 1.46, 10.0, 8.53, 5.0, 1.46], linear_warmup(2) >> cosine_decay(8, cycles=2)),
    (hf.get_polynomial_decay_schedule_with_warmup, {**COMMON, "power": 2.0, "lr_end": 1e-7},
     [0.0, 5.0, 10.0, 7.656, 5.625, 3.906, 2.5, 1.406, 0.625, 0.156],
     linear_warmup(2) >> poly_decay(8, to=1e-7 / LR, power=2.0)),
    (hf.get_inverse_sqrt_schedule, {"num_warmup_steps": 2},
     [0.0, 5.0, 10.0, 8.165, 7.071, 6.325, 5.774, 5.345, 5.0, 4.714], linear_warmup(2) >> inverse_sqrt()),
]
IDS = [c[0].__name__ for c in CASES]


@pytest.mark.parametrize("fn,kwargs,expected,ours", CASES, ids=IDS)
def test_schedulers(fn, kwargs, expected, ours):
    # tests/optimization/test_optimization.py ScheduleInitTest.test_schedulers: HF's list, HF's delta 1e-2
    lrs = torch_group_lrs(ours, [LR], 10)[:, 0]
    assert_peer(lrs, expected, atol=1e-2, what=f"{fn.__name__} as {ours!r}")


@pytest.mark.parametrize("fn,kwargs,expected,ours", CASES, ids=IDS)
def test_schedulers_save_and_reload(fn, kwargs, expected, ours):
    # ScheduleInitTest.test_schedulers, second half: torch.save / torch.load of the state after step 5
    plain = torch_group_lrs(ours, [LR], 10)
    reloaded = torch_group_lrs(ours, [LR], 10, save_at=10 // 2)
    assert plain.tolist() == reloaded.tolist()


@pytest.mark.parametrize("fn,kwargs,expected,ours", CASES, ids=IDS)
def test_schedulers_against_installed_hf(fn, kwargs, expected, ours):
    # the same configurations through the installed transformers, every step and five past the end (to the end
    # only for the plain cosine, which climbs the cosine back up after the run: test_hf.test_cosine_past_the_end)
    n = 11 if fn is hf.get_cosine_schedule_with_warmup else 15
    theirs = peer_lrs(lambda o: fn(o, **kwargs), [LR], n)[:, 0]
    assert_peer(torch_group_lrs(ours, [LR], n)[:, 0], theirs, rtol=1e-12, atol=1e-12,
                what=f"{fn.__name__} vs transformers")
    assert_peer(theirs[:10], expected, atol=1e-2, what=f"{fn.__name__}: installed transformers vs its own test")


@pytest.mark.parametrize("num_cycles", [0.5, 1.0, 1.5, 0.25])
def test_cosine_num_cycles(num_cycles):
    """``get_cosine_schedule_with_warmup(num_cycles=c)``: the cosine wave runs ``c`` periods over the decay
    (0.5, HF's default, is one fall; 1.0 falls and rises back). rampup: ``cosine_decay(T - W, waves=c)``. HF's
    own test only covers the default; these configurations run through the installed transformers."""
    W, T = 3, 23
    ours = linear_warmup(W) >> cosine_decay(T - W, waves=num_cycles)
    theirs = peer_lrs(lambda o: hf.get_cosine_schedule_with_warmup(o, W, T, num_cycles=num_cycles), [LR], T + 1)
    assert_peer(torch_group_lrs(ours, [LR], T + 1), theirs, rtol=1e-12, atol=1e-12,
                what=f"cosine num_cycles={num_cycles}")
    assert np.isfinite(theirs).all()
