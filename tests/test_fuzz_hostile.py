"""A seeded fuzz campaign over specs, dicts, configs and command lines (deterministic: fixed seeds, fixed budgets).

Each input is a mutation of a documented example or an adversarial case (huge and tiny numbers, deep nesting, long
lists, markup, alias bombs, odd step types). The harness asserts only what rampup promises:

- the only exceptions are rampup's documented ones (``RampupError`` and its subclasses; the CLI exits 0, 1 or 2,
  with one line on exit 2, never a traceback);
- every factor is finite and within the schedule's bounds: ``[0, 1]``, times the scales and clips it is built with;
- what rampup writes it reads back (``parse(repr(s)) == s``, ``from_dict(s.to_dict()) == s``);
- each call ends within a few seconds and a bounded amount of memory (a hang or a runaway allocation fails).

Run with ``-s`` to print the campaign's figures (inputs tried, accepted, rejected).
"""

from __future__ import annotations

import json
import math
import random
import resource
import signal
from collections import Counter
from contextlib import contextmanager

import numpy as np
import pytest

import rampup
from rampup.core.validate import show

FIGURES: Counter = Counter()
CALL_SECONDS = 5  # a call that runs longer is a hang, whatever the machine
CALL_BYTES = 256 << 20

SEEDS = [
    "linear(5%) >> cosine(to=0.1)",
    "linear_warmup(500, start=0.01) >> cosine_decay(to=0.1)",
    "linear_warmup(2ep, start=0.01) >> cosine_decay(to=0.1)",
    "wsd(10%, 20%, shape='linear')",
    "wsd(100, 200, shape=cosine, warmup_shape=sqrt, to=0.01, stable=300)",
    "one_cycle(1000, pct=0.25, three_phase=true)",
    "repeat(linear_warmup(10) >> cosine_decay(90), times=3, mult=2)",
    "repeat(cosine_decay(50, to=0.1), mult=2)",
    "exp_warmup(10, offset=1) * cosine_decay(1000)",
    "cosine_decay(1000) * radam_warmup(0.999)",
    "untuned_warmup(0.999) * linear_decay(5000)",
    "constant_warmup(2ep, start=0.1) >> multistep([30ep, 60ep], gamma=0.1)",
    "tri_stage(100, 400, 500, init_scale=0.01)",
    "noam(4000)",
    "linear_warmup(1M tok) >> inverse_sqrt()",
    "clip(exp_decay(0.99, every=10), min=0.05)",
    "0.5 * (linear_warmup(10) >> sqrt_decay(90))",
    "poly_warmup(50, power=2) >> poly_decay(100, power=0.5, to=0.001)",
    "geometric_warmup(20, start=0.001) >> geometric_decay(80, to=0.01)",
    "log_warmup(30) >> constant(100) >> step_decay(10, gamma=0.5)",
    "with_warmup(cosine_decay(100), 10)",
    "sequence([linear_warmup(5), cosine_decay(5)])",
    "linear_decay(100, cycles=3)",
    "cosine_decay(100, to=0.1, start=0.5)",
]
NUMBERS = ["0", "1", "-1", "0.5", "1e308", "1e-308", "5e-324", "1e400", "1" + "0" * 400, "1" + "0" * 5000, "nan",
           "inf", "-0", "0.999999", "0.9999999999", "2e15", "9007199254740993", "1e300", "100000000", "1e-400"]
TOKENS = ["linear", "cosine", "sqrt", "poly", "(", ")", ">>", "*", ",", "=", "[", "]", "'x'", "none", "true",
          "5%", "2ep", "1M tok", "10k", "repeat(", "clip(", "mult=", "times=", "to=", "start=", "[bold]", "\\",
          "cosine_with_warmup", "LinearLR", "__import__", "os.system", "{", "}", "'", '"', "\x00", "é"]
STEPS = [0, 1, 2, 7, 99, 1000, 10**6, 2**53, 2**62, 10**300, 1e308, 0.5, 123.25]


class _Hang(Exception):
    pass


def _peak_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


@contextmanager
def bounded(what):
    """Fail on a call that outlives CALL_SECONDS (a hang) or raises the process's peak memory by more than
    CALL_BYTES (a runaway allocation; the peak only grows, so this bounds each call against the largest so far)."""
    def alarm(signum, frame):
        raise _Hang(f"{what!r} ran past {CALL_SECONDS} s")

    before = _peak_bytes()
    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    grew = _peak_bytes() - before
    assert grew < CALL_BYTES, f"{what!r} raised the peak memory by {grew >> 20} MiB"


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    print("\nfuzz figures:", json.dumps(dict(sorted(FIGURES.items()))))


def bound(s):
    """The largest factor ``s`` may return, from its structure: 1 (every shape lies in [0, 1]) times its scales,
    capped by its clips."""
    if isinstance(s, rampup.Scaled):
        return s.peak * bound(s.schedule) if hasattr(s, "peak") else s.factor * bound(s.schedule)
    if isinstance(s, rampup.Product):
        return math.prod(bound(f) for f in s.factors)
    if isinstance(s, rampup.Clip):
        b = max(bound(s.schedule), s.min)
        return b if s.max is None else min(b, max(s.max, s.min))
    if isinstance(s, rampup.Sequence):
        return max(bound(p) for p in s.phases)
    if isinstance(s, rampup.Repeat):
        return bound(s.schedule)
    return 1.0


def check_schedule(s, text):
    """Evaluate at hostile steps, on every array type, and write it out and back."""
    hi = bound(s) * (1 + 1e-12)
    if s._missing is not None:
        with pytest.raises(rampup.BudgetError):
            s(0)
        try:
            s = s.resolve(total_steps=1000)
        except rampup.RampupError:  # it needs another budget field, or is longer than the run
            return
    for t in STEPS:
        v = s(t)
        assert isinstance(v, float) and math.isfinite(v) and 0.0 <= v <= hi, (text, t, v)
    arr = s(np.array([0, 1, 5, 50, 500, 5000, 1e15], dtype=np.float64))
    assert np.all(np.isfinite(arr)) and np.all(arr >= 0) and np.all(arr <= hi), (text, arr)
    if hi <= float(np.finfo(np.float32).max):
        assert s(np.float32(3.0)) == pytest.approx(s(3), rel=1e-6, abs=1e-30)
    else:  # a factor float32 cannot hold is refused, not returned as inf
        with pytest.raises(rampup.RampupError, match="float32"):
            s(np.float32(3.0))
    for bad in [True, np.array([True]), 10**400, -1, float("nan"), np.array([1j])]:
        with pytest.raises(rampup.RampupError):
            s(bad)
    assert rampup.parse(repr(s)) == s, text
    assert rampup.from_dict(json.loads(json.dumps(s.to_dict()))) == s, text


def mutate(rng, text):
    s = list(text)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        i = rng.randint(0, len(s))
        if op < 0.3:
            s[i:i] = list(rng.choice(TOKENS))
        elif op < 0.5 and s:
            del s[min(i, len(s) - 1)]
        elif op < 0.8:
            # replace a number with an adversarial one
            text2 = "".join(s)
            spans = [(m.start(), m.end()) for m in __import__("re").finditer(r"[0-9.]+(e[+-]?[0-9]+)?", text2)]
            if spans:
                a, b = rng.choice(spans)
                s = list(text2[:a] + rng.choice(NUMBERS) + text2[b:])
        else:
            s[i:i] = list(rng.choice(SEEDS))
    return "".join(s)


def adversarial(rng):
    k = rng.choice([3, 40, 61, 120, 400, 3000])
    kind = rng.randrange(6)
    if kind == 0:
        return "clip(" * k + "linear_warmup(5)" + ")" * k
    if kind == 1:
        return "(" * k + "linear_warmup(5)" + ")" * k
    if kind == 2:
        return "multistep([" + ", ".join(str(i) for i in range(1, 10 * k)) + "], gamma=0.999)"
    if kind == 3:
        return " >> ".join(["linear_warmup(5)"] + [f"linear_decay({rng.randint(1, 9)})"] * k)
    if kind == 4:
        return f"repeat(linear_decay({rng.choice(NUMBERS)}), times={rng.choice(NUMBERS)}, mult={rng.choice(NUMBERS)})"
    return " * ".join([rng.choice(["1e308", "1e200", "0.5", "2"]) + " * linear_warmup(5)"] * rng.randint(1, 4))


def spec_inputs(n, seed):
    rng = random.Random(seed)
    for _ in range(n):
        r = rng.random()
        if r < 0.6:
            yield mutate(rng, rng.choice(SEEDS))
        elif r < 0.75:
            yield adversarial(rng)
        else:
            yield "".join(rng.choice(TOKENS + NUMBERS[:8]) for _ in range(rng.randint(1, 12)))


def test_fuzz_specs():
    for text in spec_inputs(1500, seed=14):
        FIGURES["spec tried"] += 1
        with bounded(text[:80]):
            try:
                s = rampup.parse(text)
            except rampup.SpecError as e:
                FIGURES["spec rejected"] += 1
                assert e.position is None or 0 <= e.position <= len(text)
                assert len(str(e).splitlines()[0]) < 1000
                continue
            FIGURES["spec accepted"] += 1
            check_schedule(s, text)
            try:
                findings = rampup.lint(s, total_steps=rng_total(text))
            except rampup.RampupError:
                continue
            assert all(f.severity in ("error", "warning", "info") for f in findings)


def rng_total(text):
    return random.Random(text).choice([1, 10, 1000, 10**6, 10**11])


# ---- dicts ------------------------------------------------------------------------------------------------------

def _dict_value(rng, depth):
    from rampup.core.spec import FACTORIES

    r = rng.random()
    if depth > 0 and r < 0.35:
        name = rng.choice([*sorted(FACTORIES), "nope", 3, None])
        d = {"type": name}
        for k in rng.sample(["duration", "to", "start", "schedule", "phases", "factors", "gamma", "every", "times",
                             "mult", "milestones", "warmup", "decay", "beta2", "tau", "min", "max", "factor", "peak",
                             "offset", "power", "cycles", "shape", "value", "bogus"], rng.randint(0, 4)):
            d[k] = _dict_value(rng, depth - 1)
        return d
    if depth > 0 and r < 0.45:
        return [_dict_value(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    return rng.choice([0, 1, 5, 100, -3, 0.5, 1e308, float("inf"), float("nan"), 10**400, True, None, "5%", "2ep",
                       "linear", "abc", "1M tok", [], {}, 0.999999])


def test_fuzz_dicts():
    rng = random.Random(12)
    for i in range(1500):
        d = _dict_value(rng, 4) if i % 50 else _deep_dict(rng.choice([60, 500, 3000]))
        FIGURES["dict tried"] += 1
        with bounded(show(d)[:80]):
            try:
                s = rampup.from_dict(d)
            except rampup.RampupError as e:
                FIGURES["dict rejected"] += 1
                assert len(str(e)) < 2000
                continue
            FIGURES["dict accepted"] += 1
            check_schedule(s, show(d))


def _deep_dict(n):
    d = {"type": "linear_warmup", "duration": 5}
    for _ in range(n):
        d = {"type": "clip", "schedule": d}
    return d


# ---- configs ----------------------------------------------------------------------------------------------------

def _config(rng):
    if rng.random() < 0.4:  # a plausible config, perhaps with one bad field
        data = {"schedule": rng.choice(SEEDS), "lr": 3e-4, "total_steps": rng.choice([100, 10_000, 10**9]),
                "steps_per_epoch": 100, "tokens_per_step": 4096, "batch_size": 32}
        if rng.random() < 0.5:
            data[rng.choice(list(data))] = rng.choice([0, -1, 1e300, 10**400, True, None, "x", float("nan")])
        return data
    data = {}
    if rng.random() < 0.9:
        data["schedule"] = mutate(rng, rng.choice(SEEDS)) if rng.random() < 0.7 else _dict_value(rng, 3)
    for key in rng.sample(["lr", "total_steps", "steps_per_epoch", "epochs", "batch_size", "grad_accum",
                           "tokens_per_step", "optimizer", "other"], rng.randint(0, 4)):
        data[key] = rng.choice([1, 100, 10_000, 0, -1, 3e-4, 1e300, 10**400, True, None, "x", [0.9, 0.999],
                                {"betas": [0.9, 0.999]}, {"momentum": 2}, float("nan")])
    return data


def test_fuzz_configs(tmp_path):
    pytest.importorskip("pydantic")
    yaml = pytest.importorskip("yaml")
    rng = random.Random(4)
    for i in range(400):
        data = _config(rng)
        kind = rng.choice(["dict", "json", "yaml", "bomb"])
        FIGURES["config tried"] += 1
        if kind == "dict":
            source = data
        else:
            source = tmp_path / f"c{i}.{'json' if kind == 'json' else 'yaml'}"
            if kind == "bomb":
                levels = rng.randint(2, 14)
                text = 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
                text += "".join(f"a{j}: &a{j} [" + ", ".join([f"*a{j - 1}"] * 10) + "]\n" for j in range(1, levels))
                text += f"schedule: *a{levels - 1}\n"
            elif kind == "json":
                text = json.dumps(data, default=str) if rng.random() < 0.9 else json.dumps(data)[:-3]
            else:
                try:
                    text = yaml.safe_dump(data)
                except (yaml.YAMLError, OverflowError):
                    text = str(data)
            source.write_text(text)
        with bounded(show(data)[:80]):
            try:
                cfg = rampup.load_config(source)
            except rampup.RampupError as e:
                FIGURES["config rejected"] += 1
                assert "\n" not in str(e) and len(str(e)) < 1000, str(e)[:300]
                continue
            FIGURES["config accepted"] += 1
            check_schedule(cfg.schedule, show(data))


# ---- command lines ----------------------------------------------------------------------------------------------

def test_fuzz_cli(tmp_path):
    pytest.importorskip("typer")
    from typer.testing import CliRunner

    from rampup.cli import app

    runner = CliRunner()
    rng = random.Random(6)
    options = ["--total", "--lr", "--every", "--steps-per-epoch", "--epochs", "--format", "--beta2", "--max-jump",
               "--width", "--height", "--batch-size", "--tokens-per-step", "--strict", "--log"]
    values = ["100", "-1", "0", "abc", "3e-4", "json", "csv", "0.99", "nan", "inf", "1e300", str(10**11),
              str(10**12), "1" + "0" * 400, "20", "10"]
    for _ in range(250):
        cmd = rng.choice(["show", "values", "lint", "lint", "plot"])
        spec = mutate(rng, rng.choice(SEEDS)) if rng.random() < 0.5 else rng.choice(SEEDS)
        args = [cmd, spec]
        if rng.random() < 0.4:
            args += ["--total", rng.choice(["1000", "100000", str(10**11)])]
        for _ in range(rng.randint(0, 3)):
            args.append(rng.choice(options))
            if rng.random() < 0.85:
                args.append(rng.choice(values))
        if cmd == "plot":
            args += ["-o", str(tmp_path / "p.png")]
        FIGURES["cli tried"] += 1
        with bounded(" ".join(args)[:120]):
            r = runner.invoke(app, args)
        assert r.exit_code in (0, 1, 2), (args, r.output[-500:])
        assert r.exception is None or isinstance(r.exception, SystemExit), (args, repr(r.exception))
        FIGURES[f"cli exit {r.exit_code}"] += 1
        if r.exit_code == 2:
            assert len(r.output.strip().splitlines()) == 1, (args, r.output)
        elif cmd == "show":
            assert spec[:20] in r.output.replace("\n", ""), (args, r.output)  # no text lost to markup
