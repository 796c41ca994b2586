"""Pictures: real PNG/SVG files that decode, the notebook PNG, the warmup mark."""

import io

import pytest

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.image import imread  # noqa: E402

import rampup  # noqa: E402
from rampup.plot import default_steps, figure, repr_png  # noqa: E402


def test_repr_png_is_a_600x300_png_with_the_spec_as_title():
    s = rampup.parse("linear(100, start=0.01) >> cosine(900, to=0.1)")
    data = repr_png(s)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    img = imread(io.BytesIO(data), format="png")
    assert img.shape[:2] == (300, 600)
    assert img.std() > 0  # something is drawn


def test_repr_png_of_unresolved_and_unbounded_schedules():
    assert repr_png(rampup.parse("linear(5%) >> cosine()")) is not None  # drawn over 1000 updates
    assert repr_png(rampup.parse("linear(2ep) >> cosine(1000)")) is None  # needs steps_per_epoch
    assert repr_png(rampup.parse("linear(100) >> inverse_sqrt()"))[:4] == b"\x89PNG"
    with pytest.raises(rampup.RampupError):
        repr_png("linear(5)")


def test_default_steps():
    assert default_steps(rampup.parse("linear(100) >> cosine(900)")) == 1000
    assert default_steps(rampup.parse("linear(100) >> inverse_sqrt()")) == 1000  # ten warmups
    assert default_steps(rampup.noam(400)) == 4000
    assert default_steps(rampup.inverse_sqrt()) == 1000


def test_figure_overlays_curves_and_marks_warmup_ends():
    a = rampup.parse("linear(100) >> cosine(900)")
    b = rampup.parse("linear(300) >> linear(700)")
    fig = figure([a, b], log=True, lr=3e-4)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(lines) == 4  # two curves, two dashed warmup ends
    dashed = sorted(line.get_xdata()[0] for line in lines if line.get_linestyle() == "--")
    assert dashed == [100, 300]
    assert ax.get_yscale() == "log"
    curve = lines[0]
    assert curve.get_ydata()[100] == pytest.approx(3e-4)  # the peak, scaled by lr


def test_long_runs_are_sampled():
    fig = figure([rampup.parse("linear(1000) >> cosine(999000)")])
    xs = fig.axes[0].get_lines()[0].get_xdata()
    assert len(xs) <= 20_000 and xs[0] == 0 and xs[-1] == 1_000_000


def test_schedules_show_their_curve_in_jupyter():
    import io

    import matplotlib.image

    from IPython.core.interactiveshell import InteractiveShell

    import rampup
    import rampup.plot

    shell = InteractiveShell.instance()
    rampup.plot.notebook_display(shell)
    data, _ = shell.display_formatter.format(rampup.parse("linear(5%) >> cosine(to=0.1)", total_steps=1000))
    png = data["image/png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert img.shape[0] > 100 and img.shape[1] > 200


def test_import_inside_a_notebook_shell_registers_the_curve_display():
    """``import rampup`` inside a running IPython shell draws schedules without any call (fresh process)."""
    import subprocess
    import sys

    code = ("from IPython.core.interactiveshell import InteractiveShell\n"
            "shell = InteractiveShell.instance()\n"
            "import rampup\n"
            "data, _ = shell.display_formatter.format(rampup.linear_warmup(10))\n"
            "print(data['image/png'][:4] == b'\\x89PNG', data['text/plain'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "linear_warmup(10)"]
