"""Hostile input: each reproducer of a defect found by fuzzing must end in a rampup error naming the argument and its
value (or a correct value), never an OverflowError, a RecursionError, a NaN factor or a hang.

Expected values come from closed-form maths: RAdam's rectification term in 60-digit arithmetic (mpmath).
"""

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import tomllib

import rampup

mpmath = pytest.importorskip("mpmath")


# ---- radam_warmup for beta2 close to 1 -------------------------------------------------------------------------

def _radam_exact(beta2, t):
    """RAdam's rectification at 1-based step t, in 60-digit arithmetic (Liu et al. 2019, eq. 7 and Algorithm 2)."""
    with mpmath.workdps(60):
        b = mpmath.mpf(beta2)
        rho_inf = 2 / (1 - b) - 1
        rho = rho_inf - 2 * t * b**t / (1 - b**t)
        if rho <= 4:
            return None
        return float(mpmath.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)))


def _first_offset(beta2):
    t = 1
    while _radam_exact(beta2, t) is None:
        t += 1
    return t


@pytest.mark.parametrize("beta2", [0.999, 0.9999, 0.999999, 0.9999999, 0.99999999, 1 - 2**-40, 1 - 2**-52])
def test_radam_warmup_close_to_one_is_finite_and_exact(beta2):
    s = rampup.radam_warmup(beta2)
    delta = _first_offset(beta2)
    for t in [0, 1, 2, 10, 1000, 10**6]:
        got = s(t)
        want = _radam_exact(beta2, t + delta)
        assert math.isfinite(got) and 0 <= got <= 1
        assert got == pytest.approx(want, rel=1e-9, abs=1e-15)
    v = s(np.arange(50, dtype=np.float64))
    assert np.all(np.isfinite(v)) and np.all(v >= 0) and np.all(np.diff(v) >= 0)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_radam_warmup_under_jax_jit_in_low_precision(dtype):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    s = rampup.radam_warmup(0.999)
    steps = jnp.arange(0, 200, dtype=getattr(jnp, dtype))
    got = np.asarray(jax.jit(s)(steps), dtype=np.float64)
    want = np.array([_radam_exact(0.999, t + _first_offset(0.999)) for t in range(200)])
    assert np.all(np.isfinite(got))
    tol = {"float16": 2e-3, "bfloat16": 1e-2, "float32": 1e-4}[dtype]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 0.02)


# ---- bounded configs: alias bombs and huge files --------------------------------------------------------------

def _alias_bomb(levels=12, width=10):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    lines.append(f"schedule: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_refused(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "bomb.yaml"
    path.write_text(_alias_bomb())  # 10**12 strings once the aliases are expanded
    with pytest.raises(rampup.RampupError, match=r"bomb\.yaml") as e:
        rampup.load_config(path)
    assert len(str(e.value)) < 400 and "\n" not in str(e.value)


def test_cli_show_on_an_alias_bomb_is_one_line(tmp_path):
    pytest.importorskip("typer")
    from typer.testing import CliRunner

    from rampup.cli import app

    path = tmp_path / "bomb.yaml"
    path.write_text(_alias_bomb())
    r = CliRunner().invoke(app, ["show", "-c", str(path)])
    assert r.exit_code == 2, r.output
    assert len(r.output.strip().splitlines()) == 1 and len(r.output) < 400


def test_error_message_of_a_huge_value_is_bounded():
    with pytest.raises(rampup.RampupError) as e:
        rampup.load_config({"schedule": "linear(5) >> cosine(5)", "lr": ["x" * 10] * 10**6})
    assert len(str(e.value)) < 400


def test_big_config_file_is_refused_quickly(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "big.yaml"
    with path.open("w") as f:
        f.write("schedule: linear(5) >> cosine(5)\nother:\n")
        f.write("  - [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" * 1_500_000)  # ~50 MB
    with pytest.raises(rampup.RampupError, match=r"big\.yaml"):
        rampup.load_config(path)


# ---- closed forms instead of loops over cycles ------------------------------------------------------------------

def test_repeat_length_is_closed_form():
    # times * L, and L (m**n - 1) / (m - 1) for a geometric cycle length
    assert rampup.repeat(rampup.linear_decay(1), times=100_000_000).length == 100_000_000
    assert rampup.repeat(rampup.linear_decay(3), times=10, mult=2).length == 3 * (2**10 - 1)


def test_repeat_too_long_for_a_float_is_an_error():
    with pytest.raises(rampup.RampupError, match="times") as e:
        rampup.repeat(rampup.linear_decay(1), mult=2, times=1851)
    assert "1851" in str(e.value)


def test_repeat_huge_mult_is_an_error_or_finite():
    try:
        s = rampup.repeat(rampup.linear_decay(5), mult=1e300)
    except rampup.RampupError as e:
        assert "mult" in str(e) and "1e+300" in str(e)
        return
    for t in [0, 4, 5, 50, 1e6, 1e300]:
        assert 0.0 <= s(t) <= 1.0


# ---- what rampup writes it reads back ---------------------------------------------------------------------------

def test_long_spec_reads_back():
    s = rampup.multistep(list(range(1, 2001)), gamma=0.999)
    assert len(repr(s)) > 10_000
    assert rampup.parse(repr(s)) == s


def test_state_dict_of_a_long_schedule_reads_back():
    torch = pytest.importorskip("torch")
    import rampup.torch as rt

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = rt.Scheduler(opt, rampup.multistep(list(range(1, 2001)), gamma=0.999), count="calls")
    for _ in range(5):
        sched.step()
    b = rt.Scheduler.from_state_dict(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0),
                                     sched.state_dict())
    assert b.last_epoch == 5 and b.get_last_lr() == sched.get_last_lr()


def _nested(n):
    s = rampup.linear_warmup(5)
    for _ in range(n):
        s = rampup.clip(s, 0.0)
    return s


def test_nesting_built_through_the_api_reads_back_or_is_refused():
    for n in [10, 49, 60, 100, 500, 3000]:
        try:
            s = _nested(n)
        except rampup.RampupError as e:
            assert "nested" in str(e) or "deep" in str(e)
            continue
        assert rampup.parse(repr(s)) == s
        assert rampup.from_dict(s.to_dict()) == s


def test_from_dict_nested_thousands_of_levels_is_a_rampup_error():
    d = {"type": "linear_warmup", "duration": 5}
    for _ in range(3000):
        d = {"type": "clip", "schedule": d}
    with pytest.raises(rampup.RampupError, match=r"deep|nested"):
        rampup.from_dict(d)


# ---- huge numbers ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", [
    "linear(1" + "0" * 400 + ")",
    "linear_warmup(1" + "0" * 5000 + ")",
    "one_cycle(1" + "0" * 400 + ")",
    "cosine_decay(10, to=1" + "0" * 400 + ")",
    "exp_decay(0.5, every=1" + "0" * 400 + ")",
    "linear_warmup(5) >> cosine_decay(1" + "0" * 400 + ")",
    "repeat(linear_decay(5), times=1" + "0" * 400 + ")",
], ids=lambda s: s.split("(")[0] + str(len(s)))
def test_huge_integers_in_a_spec_are_spec_errors(spec):
    with pytest.raises(rampup.SpecError) as e:
        rampup.parse(spec)
    assert e.value.position is not None
    assert len(str(e.value).splitlines()[0]) < 300


@pytest.mark.parametrize("make", [
    lambda: rampup.linear_warmup(10**400),
    lambda: rampup.linear_warmup(10**30),
    lambda: rampup.one_cycle(10**400),
    lambda: rampup.cosine_decay(10**400),
    lambda: rampup.linear_warmup(5, start=10**400),
    lambda: rampup.Budget(total_steps=10**400),
    lambda: rampup.Budget(epochs=1e300, steps_per_epoch=10),
    lambda: rampup.linear_warmup(5).scale(10**400),
])
def test_huge_integers_in_the_api_are_rampup_errors(make):
    with pytest.raises(rampup.RampupError):
        make()


def test_huge_integer_in_a_config_file_is_a_rampup_error(tmp_path):
    pytest.importorskip("yaml")
    for suffix, text in [("yaml", "schedule: linear(5) >> cosine()\ntotal_steps: 1" + "0" * 5000 + "\n"),
                         ("json", '{"schedule": "linear(5) >> cosine()", "total_steps": 1' + "0" * 5000 + "}"),
                         ("toml", 'schedule = "linear(5) >> cosine()"\ntotal_steps = 1' + "0" * 5000 + "\n"),
                         ("yaml", "schedule: linear(5) >> cosine()\ntotal_steps: 1" + "0" * 400 + "\n")]:
        path = tmp_path / f"c.{suffix}"
        path.write_text(text)
        with pytest.raises(rampup.RampupError) as e:
            rampup.load_config(path)
        assert len(str(e.value)) < 400


def test_product_of_finite_scales_never_gives_inf():
    for spec in ["1e308 * linear_warmup(5) * 1e308 * linear_warmup(5)", "1e200 * (1e200 * linear_warmup(5))"]:
        try:
            s = rampup.parse(spec)
        except rampup.SpecError as e:
            assert "1e+308" in str(e) or "1e+200" in str(e) or "inf" in str(e)
            continue
        for t in [0, 1, 5, 10]:
            assert math.isfinite(s(t))
    with pytest.raises(rampup.RampupError):
        1e308 * rampup.linear_warmup(5) * (1e308 * rampup.linear_warmup(5))


@pytest.mark.parametrize("step", [10**400, 10**309], ids=["1e400", "1e309"])
def test_step_beyond_float_is_a_rampup_error(step):
    with pytest.raises(rampup.RampupError, match="step"):
        rampup.linear_warmup(5)(step)


def test_giant_finite_steps_hold_the_end_value():
    s = rampup.parse("linear(5) >> cosine(10, to=0.1)")
    assert s(10**300) == 0.1 and s(1e308) == 0.1
    assert s(np.array([1e308, 2.0**62])).tolist() == [0.1, 0.1]


def test_scheduler_step_beyond_float_is_a_rampup_error():
    torch = pytest.importorskip("torch")
    import rampup.torch as rt

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = rt.Scheduler(opt, "linear(5) >> cosine(5)")
    with pytest.raises(rampup.RampupError, match="step"):
        sched.step(10**400)
    assert sched.last_epoch == 0 and sched.get_last_lr() == [0.0]


# ---- one rule for every array type ------------------------------------------------------------------------------

def _torch_steps():
    torch = pytest.importorskip("torch")
    return [torch.tensor([True, False]), torch.tensor([1 + 1j, 2 + 0j]), torch.tensor(True)]


def test_torch_bool_and_complex_steps_are_rejected_like_numpy():
    s = rampup.linear_warmup(5)
    for bad in [np.array([True, False]), np.array([1 + 1j]), np.bool_(True), True]:
        with pytest.raises(rampup.RampupError, match="step"):
            s(bad)
    for bad in _torch_steps():
        with pytest.raises(rampup.RampupError, match="step"):
            s(bad)


def test_jax_bool_and_complex_steps_are_rejected_like_numpy():
    jnp = pytest.importorskip("jax.numpy")
    s = rampup.linear_warmup(5)
    for bad in [jnp.array([True, False]), jnp.array([1 + 1j])]:
        with pytest.raises(rampup.RampupError, match="step"):
            s(bad)


# ---- the command line -------------------------------------------------------------------------------------------

def _cli(*args):
    pytest.importorskip("typer")
    from typer.testing import CliRunner

    from rampup.cli import app

    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("args", [
    ["lint", "linear(5%) >> cosine()", "--total", str(10**11)],
    ["show", "linear(5%) >> cosine()", "--total", str(10**11)],
    ["lint", "linear(1000) >> cosine()", "--total", str(10**15)],
])
def test_cli_checks_long_runs_from_the_structure(args):
    r = _cli(*args)
    assert r.exit_code in (0, 1), r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)


def test_cli_lint_of_a_long_run_still_finds_a_zero_tail():
    r = _cli("lint", "linear(1000) >> linear_decay(10**6)".replace("10**6", "1000000"), "--total", str(10**11))
    assert "lr-zero-tail" in r.output and "1001000" in r.output, r.output


@pytest.mark.parametrize("args", [
    ["values", "linear_warmup(5)", "--total", str(10**12)],
    ["show", "linear(5%) >> cosine()", "--epochs", "1e300", "--steps-per-epoch", "10"],
    ["values", "linear(5%) >> cosine()", "--epochs", "1e300", "--steps-per-epoch", "10"],
    ["show", "repeat(linear_decay(5), mult=1e300)", "--total", "100"],
    ["show", "1e308 * linear_warmup(5) * 1e308 * linear_warmup(5)"],
    ["show", "linear(1" + "0" * 400 + ")"],
    ["lint", "linear_warmup(5)", "--total", "1" + "0" * 400],
], ids=lambda a: " ".join(a)[:40])
def test_cli_bad_sizes_end_in_one_line_and_exit_2(args):
    r = _cli(*args)
    assert r.exit_code == 2, r.output
    assert len(r.output.strip().splitlines()) == 1, r.output


def test_cli_show_escapes_markup_in_the_title():
    r = _cli("show", "sequence([linear_warmup(5), cosine_decay(5)])")
    assert r.exit_code in (0, 1), r.output
    assert "sequence([linear_warmup(5), cosine_decay(5)])" in r.output


# ---- a core-only install ----------------------------------------------------------------------------------------

_BLOCK = textwrap.dedent("""
    import importlib.abc, sys
    BLOCKED = set(sys.argv[1].split(","))
    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None
    sys.meta_path.insert(0, Blocker())
    for m in list(sys.modules):
        if m.split(".")[0] in BLOCKED:
            del sys.modules[m]
""")


def _without(modules, code, *args):
    src = str(Path(__file__).resolve().parents[1] / "src")  # this checkout, whatever is installed
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", _BLOCK + textwrap.dedent(code), ",".join(modules), *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_cli_without_typer_says_which_extra_to_install():
    # the console script's entry point as pyproject.toml declares it, as `rampup --help` runs it
    script = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    module, func = script["project"]["scripts"]["rampup"].split(":")
    r = _without(["typer", "click", "rich"], f"""
        import importlib
        sys.argv = ["rampup", "--help"]
        getattr(importlib.import_module({module!r}), {func!r})()
    """)
    assert r.returncode != 0
    lines = (r.stderr + r.stdout).strip().splitlines()
    assert len(lines) == 1 and "pip install '.[cli]'" in lines[0], r.stderr


def test_load_config_without_pydantic_says_which_extra_to_install():
    r = _without(["pydantic", "yaml"], """
        import rampup
        try:
            rampup.load_config({"schedule": "linear(5) >> cosine(5)"})
        except ImportError as e:
            print("ERR", e)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ERR") and "pip install '.[cli]'" in r.stdout
    assert len(r.stdout.strip().splitlines()) == 1


def test_notebook_display_without_matplotlib_shows_the_spec():
    pytest.importorskip("IPython")
    r = _without(["matplotlib"], """
        from IPython.core.interactiveshell import InteractiveShell
        import rampup, rampup.plot
        shell = InteractiveShell.instance()
        rampup.plot.notebook_display(shell)
        data, _ = shell.display_formatter.format(rampup.parse("linear(5%) >> cosine(to=0.1)"))
        print(sorted(data), data["text/plain"])
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['text/plain'] linear_warmup(5%) >> cosine_decay(to=0.1)"


def test_cli_version():
    r = _cli("--version")
    assert r.exit_code == 0 and rampup.__version__ in r.output
