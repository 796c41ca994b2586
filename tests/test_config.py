"""Config files: YAML (safe), JSON and TOML give the same resolved schedule; every error names file, field, value."""

import json

import pytest

import rampup
from rampup import load_config

SPEC = "linear(5%) >> cosine(to=0.1)"

YAML = """\
schedule: "linear(5%) >> cosine(to=0.1)"
lr: 3.0e-4
total_steps: 10000
steps_per_epoch: 500
optimizer:
  betas: [0.9, 0.999]
"""
JSON = json.dumps({"schedule": SPEC, "lr": 3e-4, "total_steps": 10000, "steps_per_epoch": 500,
                   "optimizer": {"betas": [0.9, 0.999]}})
TOML = """\
schedule = "linear(5%) >> cosine(to=0.1)"
lr = 3e-4
total_steps = 10000
steps_per_epoch = 500
[optimizer]
betas = [0.9, 0.999]
"""


@pytest.mark.parametrize("name,text", [("c.yaml", YAML), ("c.yml", YAML), ("c.json", JSON), ("c.toml", TOML)])
def test_formats_give_the_same_config(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    cfg = load_config(path)
    # 5% of 10 000 = 500 warmup updates, the rest (9500) decays
    assert cfg.schedule == rampup.linear_warmup(500) >> rampup.cosine_decay(9500, to=0.1)
    assert cfg.lr == 3e-4 and cfg.beta2 == 0.999 and cfg.budget.steps_per_epoch == 500
    assert cfg.spec == rampup.parse(SPEC).spec()
    assert cfg.lr_schedule(500) == pytest.approx(3e-4)
    assert cfg.source == str(path)


def test_schedule_dict_from_to_dict(tmp_path):
    s = rampup.parse("linear(2ep, start=0.01) >> cosine(to=0.1)")
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"schedule": s.to_dict(), "epochs": 10, "steps_per_epoch": 100}))
    cfg = load_config(path)
    assert cfg.budget.total_steps == 1000
    assert cfg.schedule == rampup.linear_warmup(200, start=0.01) >> rampup.cosine_decay(800, to=0.1)


def test_rampup_section_of_a_larger_config(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text('[model]\nwidth = 512\n[rampup]\nschedule = "linear(10) >> cosine(90)"\n')
    assert load_config(path).schedule.length == 100


def test_config_drives_the_torch_adapter_values():
    torch = pytest.importorskip("torch")
    cfg = load_config({"schedule": "linear(4) >> cosine(4)", "lr": 0.1})
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, cfg.schedule)
    seen = []
    for _ in range(8):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    # linear 0, .25, .5, .75 then cosine (1 + cos(pi u / 4)) / 2 from 1
    import math

    expect = [0.1 * t / 4 for t in range(4)] + [0.1 * (1 + math.cos(math.pi * u / 4)) / 2 for u in range(4)]
    assert seen == pytest.approx(expect)


def test_overrides_replace_fields():
    cfg = load_config({"schedule": SPEC, "total_steps": 100}, overrides={"total_steps": 1000, "lr": None})
    assert cfg.budget.total_steps == 1000 and cfg.lr is None
    with pytest.raises(rampup.RampupError, match="lr"):
        _ = cfg.lr_schedule


def test_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("schedule: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(rampup.RampupError, match=r"evil\.yaml: not valid YAML"):
        load_config(path)


@pytest.mark.parametrize("data,field,value", [
    ({"schedule": SPEC, "total_steps": "many"}, "total_steps", "'many'"),
    ({"schedule": SPEC, "total_steps": 0}, "total_steps", "0"),
    ({"schedule": SPEC, "total_steps": True}, "total_steps", "True"),
    ({"schedule": SPEC, "lr": -1}, "lr", "-1"),
    ({"schedule": SPEC, "lr": float("nan")}, "lr", "nan"),
    ({"schedule": SPEC, "total_steps": 10, "optimizer": {"betas": [0.9, 1.5]}}, "optimizer.betas", "1.5"),
    ({"schedule": SPEC, "warmup": 5}, "warmup", "5"),
    ({"schedule": SPEC, "total_steps": 10, "optimizer": {"beta": 1}}, "optimizer.beta", "1"),
    ({"schedule": 5, "total_steps": 10}, "schedule", "5"),
])
def test_errors_name_file_field_and_value(tmp_path, data, field, value):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(rampup.RampupError) as e:
        load_config(path)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: ") and field in msg and value in msg


def test_missing_schedule_and_bad_spec(tmp_path):
    with pytest.raises(rampup.RampupError, match=r"<dict>: schedule is required"):
        load_config({"lr": 1e-3})
    with pytest.raises(rampup.RampupError, match=r"schedule: .*position 24"):
        load_config({"schedule": "linear(5%) >> cosine(to=)", "total_steps": 10})
    with pytest.raises(rampup.RampupError, match=r"schedule: .*total_steps"):
        load_config({"schedule": SPEC})
    with pytest.raises(rampup.RampupError, match=r"disagrees"):
        load_config({"schedule": SPEC, "total_steps": 10, "epochs": 2, "steps_per_epoch": 3})


@pytest.mark.parametrize("name,text,what", [
    ("c.json", '{"schedule": ', "not valid JSON: .* line 1, column 14"),
    ("c.yaml", "schedule: [unclosed\n", "not valid YAML"),
    ("c.toml", "schedule = \n", "not valid TOML"),
    ("c.yaml", "- a list\n", "a config must be a mapping"),
    ("c.ini", "x", "unknown config format '.ini'"),
])
def test_unreadable_files(tmp_path, name, text, what):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(rampup.RampupError, match=what):
        load_config(path)


def test_missing_file(tmp_path):
    with pytest.raises(rampup.RampupError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")
