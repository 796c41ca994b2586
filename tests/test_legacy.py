"""What rampup 0.1 pickled loads with plain ``pickle`` (SB3's model.load does just that), though its private
modules moved into ``rampup.core`` and ``rampup.check`` and ``Scaled.factor`` became ``Scaled.peak``."""

import base64
import math
import pickle
import subprocess
import sys

import pytest

import rampup

# rampup 0.1: pickle.dumps(parse("0.5 * (linear_warmup(10) >> cosine_decay(90, to=0.1))")) after one evaluation
# (so its cached fields, which name rampup._shapes, are in the pickle too)
OLD_SCALED = (
    "gASVuwEAAAAAAACMD3JhbXB1cC5fY29tcG9zZZSMBlNjYWxlZJSTlCmBlH2UKIwIc2NoZWR1bGWUaACMCFNlcXVlbmNllJOUKYGUfZQo"
    "jAZwaGFzZXOUjA5yYW1wdXAuX3dhcm11cJSMBldhcm11cJSTlCmBlH2UKIwFc2hhcGWUjAZsaW5lYXKUjAhkdXJhdGlvbpRLCowFc3Rh"
    "cnSURwAAAAAAAAAAjAVwb3dlcpRHP/AAAAAAAACMBm9mZnNldJRLAIwIX21pc3NpbmeUTowGX2N1cnZllIwOcmFtcHVwLl9zaGFwZXOU"
    "jAdfbGluZWFylJOUdWKMDXJhbXB1cC5fZGVjYXmUjAVEZWNheZSTlCmBlH2UKGgQjAZjb3NpbmWUaBJLWowCdG+URz+5mZmZmZmaaBNO"
    "aBRHP/AAAAAAAACMBmN5Y2xlc5RLAWgWTnVihpSMBl9ib3VuZJRoDmgdKYGUfZQoaBBoIGgSS1poIUc/uZmZmZmZmmgTRz/wAAAAAAAA"
    "aBRHP/AAAAAAAABoIksBdWKGlGgWTowHX3N0YXJ0c5RLAEsKhpR1YowGZmFjdG9ylEc/4AAAAAAAAGgWTnViLg=="
)


def test_a_schedule_pickled_by_rampup_0_1_loads_and_evaluates():
    s = pickle.loads(base64.b64decode(OLD_SCALED))
    assert isinstance(s, rampup.Scaled) and s.peak == 0.5
    assert s == rampup.parse("0.5 * (linear_warmup(10) >> cosine_decay(90, to=0.1))")
    # 0.5 * (t / 10) in the warmup, then 0.5 * (0.1 + 0.9 * (1 + cos(pi u / 90)) / 2), held after the end
    expected = [0.0, 0.25, 0.5, 0.5 * (0.1 + 0.45 * (1 + math.cos(math.pi * 45 / 90))), 0.05]
    assert [s(t) for t in (0, 5, 10, 55, 100)] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_old_module_paths_are_aliases_for_unpicklers_only():
    import rampup._compose as old

    assert old.Sequence is rampup.Sequence and old.Clip is rampup.Clip
    with pytest.raises(AttributeError, match="no counterpart"):
        old.no_such_name  # noqa: B018
    # a fresh process: importing rampup does not import any old path by itself
    code = "import sys, rampup; print(sorted(m for m in sys.modules if m.startswith('rampup._') and m != 'rampup._legacy'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
