"""The shipped guideline studies: each half of each guideline is its own variant, quoted from the paper,
and both files plan the same study (the 64x64 one at the paper's scale)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganlab.report.text import GUIDELINES
from ganlab.stats.design import design
from ganlab.sweep.spec import BASELINE, load_sweep_spec

ROOT = Path(__file__).resolve().parents[2]
FILES = [ROOT / "ablations" / "guidelines.yaml", ROOT / "ablations" / "guidelines-64.yaml"]
KEY_TO_GUIDELINE = {key: number for number, _, keys in GUIDELINES for key in keys}
# What issue 11 asks for: one variant per half of each guideline (plus both guideline-1 halves together).
EXPECTED = {
    "pooling-in-d": {"model.d_downsample": "maxpool"},
    "upsampling-in-g": {"model.g_upsample": "nearest"},
    "pooling-and-upsampling": {"model.d_downsample": "maxpool", "model.g_upsample": "nearest"},
    "no-batchnorm": {"model.batchnorm": "none"},
    "batchnorm-g-only": {"model.batchnorm": "generator"},
    "batchnorm-d-only": {"model.batchnorm": "discriminator"},
    "batchnorm-all-layers": {"model.batchnorm": "all_layers"},
    "leaky-relu-in-g": {"model.g_activation": "leaky_relu"},
    "sigmoid-output": {"model.g_output": "sigmoid", "data.range": [0, 1]},
    "linear-output": {"model.g_output": "linear"},
    "relu-in-d": {"model.d_activation": "relu"},
}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_half_of_each_guideline_is_its_own_variant(path):
    sweep = load_sweep_spec(path)
    for name, overrides in EXPECTED.items():
        assert sweep.variants[name] == overrides, name
    fc = sweep.variants["fc-hidden"]
    assert fc["model.fc_hidden"] >= 1 and set(fc) == {"model.fc_hidden", "model.fc_width"}
    for name, overrides in sweep.variants.items():
        touched = {KEY_TO_GUIDELINE.get(k) for k in overrides if k != "model.fc_width"}
        if name == "all-broken":
            assert touched == {1, 2, 3, 4, 5}  # every guideline broken at once
        elif name != BASELINE:
            assert len(touched) == 1 and None not in touched, (name, touched)  # one guideline, known keys
    # The sigmoid variant is a plain sigmoid on [0, 1] data, the pre-DCGAN practice, not a stretched tanh.
    assert sweep.configs["sigmoid-output"].data.range == (0.0, 1.0)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_variant_comment_quotes_the_paper(path):
    text = path.read_text()
    for guideline in ('"Replace any pooling layers', '"Use batchnorm in both', '"Remove fully connected hidden',
                      '"Use ReLU activation in generator', '"Use LeakyReLU activation in the discriminator'):
        assert guideline in text


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_design_can_reach_a_verdict_after_holm_over_every_variant(path):
    sweep = load_sweep_spec(path)
    n_variants = len(sweep.variants) - 1
    plan = design(sweep.analysis, n_variants, len(sweep.seeds), len(sweep.seeds_of(BASELINE)))
    assert n_variants == 13 and plan.can_decide
