"""Draw one picture per warmup shape, decay and recipe into docs/shapes/ and write the pictures part of
docs/shapes.md (everything from its "## Pictures" heading on; the formulas above it are kept).

Run from the repository root:  python docs/make_figures.py
"""

from __future__ import annotations

from pathlib import Path

import rampup
from rampup.plot import figure

HERE = Path(__file__).parent
OUT = HERE / "shapes"

# (file name, spec, what it is); warmups over 100 updates, decays over 1000, recipes over their run
WARMUPS = [
    ("warmup_linear", "linear_warmup(100)", "linear, from 0 (HF, optax, Keras, timm)"),
    ("warmup_linear_start", "linear_warmup(100, start=0.1)", "linear from a small first LR"),
    ("warmup_linear_offset", "linear_warmup(100, offset=1)", "linear counted from 1 (pytorch_warmup)"),
    ("warmup_cosine", "cosine_warmup(100)", "half a cosine wave"),
    ("warmup_poly", "poly_warmup(100, power=2)", "polynomial, power 2"),
    ("warmup_sqrt", "sqrt_warmup(100)", "1-sqrt (HF WSD)"),
    ("warmup_log", "log_warmup(100)", "logarithmic (DeepSpeed WarmupLR)"),
    ("warmup_geometric", "geometric_warmup(100, start=0.001)", "exponential growth from 0.001"),
    ("warmup_constant", "constant_warmup(100, start=0.1)", "constant, then the peak (Goyal et al. 2017)"),
    ("warmup_exp", "exp_warmup(20, offset=1)", "saturating exponential (pytorch_warmup)"),
    ("warmup_untuned", "untuned_warmup(0.99)", "untuned linear, 2 / (1 - beta2) (Ma & Yarats 2021)"),
    ("warmup_radam", "radam_warmup(0.99)", "RAdam's rectification term"),
]
DECAYS = [
    ("decay_linear", "linear_decay(1000, to=0.1)", "linear"),
    ("decay_cosine", "cosine_decay(1000, to=0.1)", "cosine"),
    ("decay_cosine_cycles", "cosine_decay(1000, to=0.1, cycles=3)", "cosine with hard restarts"),
    ("decay_poly", "poly_decay(1000, power=2)", "polynomial, power 2"),
    ("decay_sqrt", "sqrt_decay(1000)", "1-sqrt cooldown (Hägele et al. 2024)"),
    ("decay_geometric", "geometric_decay(1000, to=0.01)", "exponential to 0.01"),
    ("decay_exp", "exp_decay(0.995)", "exponential, gamma per update"),
    ("decay_step", "step_decay(250, gamma=0.5)", "step (torch StepLR)"),
    ("decay_multistep", "multistep([300, 600, 900], gamma=0.3)", "multi-step (torch MultiStepLR)"),
    ("decay_inverse_sqrt", "inverse_sqrt(100)", "inverse square root"),
    ("decay_constant", "constant(1000)", "constant"),
]
RECIPES = [
    ("recipe_warmup_cosine", "linear(5%, start=0.01) >> cosine(to=0.1)", "warmup then cosine, total 1000"),
    ("recipe_wsd", "wsd(5%, 20%)", "warmup-stable-decay, total 1000"),
    ("recipe_one_cycle", "one_cycle(1000)", "one-cycle (torch OneCycleLR)"),
    ("recipe_tri_stage", "tri_stage(100, 400, 500)", "tri-stage (fairseq)"),
    ("recipe_restarts", "repeat(linear(20, start=0.1) >> cosine(180, to=0.05), times=4, mult=1.5)",
     "restarts with a warmup each, growing cycles"),
    ("recipe_noam", "noam(100)", "Noam (Vaswani et al. 2017), peak 1 at update 99"),
]
FAMILIES = [
    ("cyclic_triangular", "cyclic(100, start=0.2)", "cyclic, triangular (torch CyclicLR)"),
    ("cyclic_triangular2", "cyclic(100, 150, start=0.2, mode='triangular2')", "cyclic, each cycle half as high"),
    ("cyclic_exp_range", "cyclic(100, start=0.2, top=2.0, mode='exp_range', gamma=0.998)",
     "cyclic, exp_range, a top above the peak"),
    ("growth_linear", "linear_growth(0.01, duration=1000)", "linear growth (LR range test, DeepSpeed LRRangeTest)"),
    ("growth_exp", "exp_growth(1.005, staircase=true, every=50, max=8.0)", "exponential growth in steps, capped"),
    ("decay_inverse_time", "inverse_time_decay(100, rate=0.5)", "inverse time (Keras InverseTimeDecay)"),
    ("decay_tanh", "tanh_decay(1000, to=0.05)", "tanh (timm TanhLRScheduler)"),
    ("decay_cosine_waves", "cosine_decay(1000, to=0.1, waves=1.5)", "cosine over 1.5 waves (HF num_cycles)"),
    ("decay_cosine_power", "cosine_decay(1000, to=0.1, power=2.0)", "cosine squared (optax exponent=2)"),
    ("decay_cosine_k", "cosine_decay(1000, k=2.0)", "cosine with k-decay 2 (timm)"),
    ("decay_poly_stretch", "poly_decay(250, to=0.1, power=2.0, stretch=true)",
     "polynomial stretched past its end (Keras cycle=True)"),
    ("recipe_prefix_false", "linear_warmup(100) >> cosine_decay(1000, offset=100)",
     "warmup inside the cosine's clock (timm warmup_prefix=False)"),
    ("recipe_restarts_decay", "repeat(cosine_decay(200, to=0.1), mult=1.5, decay=0.7)",
     "restarts whose height shrinks (Keras m_mul)"),
    ("recipe_noisy", "noisy(cosine_decay(1000), pct=0.2, begin=200, end=800)", "LR noise on steps 200-800 (timm)"),
]
TOTAL = 1000


def draw(name: str, spec: str) -> None:
    s = rampup.parse(spec, total_steps=TOTAL) if "%" in spec else rampup.parse(spec)
    fig = figure([s], title=spec, size=(7.5, 3.75), dpi=80)
    fig.savefig(OUT / f"{name}.png", format="png", metadata={"Software": None})


SECTIONS = (("Warmups", WARMUPS), ("Decays", DECAYS), ("Recipes", RECIPES),
            ("Cycles, growth, noise and the decays' options", FAMILIES))


def main() -> None:
    OUT.mkdir(exist_ok=True)
    page = HERE / "shapes.md"
    head = page.read_text().split("## Pictures")[0].rstrip("\n")
    intro = ("Drawn by `python docs/make_figures.py` (with `rampup.plot.figure`). The x axis counts optimizer updates "
             "already\napplied (the first update is step 0), the y axis the factor of the peak LR; a dashed line marks "
             "where the warmup\nends. Each title is the spec that `rampup.parse` reads; `rampup show SPEC --total N` "
             "draws the same curve in a\nterminal.")
    lines = [head, "", "## Pictures", "", intro, ""]
    for title, table in SECTIONS:
        lines += [f"### {title}", ""]
        for name, spec, what in table:
            draw(name, spec)
            lines += [f"#### {what}", "", f"`{spec}`", "", f"![{spec}](shapes/{name}.png)", ""]
    page.write_text("\n".join(lines))
    print(f"wrote {sum(len(t) for _, t in SECTIONS)} pictures to {OUT} and {page}")


if __name__ == "__main__":
    main()
