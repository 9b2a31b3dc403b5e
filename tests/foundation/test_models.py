"""The DCGAN builder: every guideline option at every resolution builds and has the right shapes."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from ganlab.config import GanlabConfig, apply_overrides
from ganlab.errors import ConfigError
from ganlab.models import build_discriminator, build_generator

OPTIONS = {
    "model.d_downsample": ["strided", "maxpool", "avgpool"],
    "model.g_upsample": ["transposed", "nearest", "bilinear"],
    "model.batchnorm": ["both", "generator", "discriminator", "none", "all_layers"],
    "model.d_activation": ["leaky_relu", "relu"],
    "model.g_activation": ["relu", "leaky_relu"],
    "model.fc_hidden": [0, 1, 2],
    "model.g_output": ["tanh", "sigmoid", "linear"],
}


def config(**overrides):
    return apply_overrides(GanlabConfig(), overrides)


@given(
    choice=st.fixed_dictionaries({k: st.sampled_from(v) for k, v in OPTIONS.items()}),
    resolution=st.sampled_from([16, 32, 64, 128]),
    channels=st.sampled_from([1, 3]),
    batch=st.integers(2, 3),
)
def test_every_option_combination_builds_with_the_right_shapes(choice, resolution, channels, batch):
    width = 16 if resolution <= 32 else 32
    data_range = [0, 1] if choice["model.g_output"] == "sigmoid" else [-1, 1]
    cfg = config(**choice, **{"data.resolution": resolution, "data.channels": channels, "model.width": width,
                              "model.nz": 8, "model.fc_width": 16, "data.range": data_range})
    G, D = build_generator(cfg), build_discriminator(cfg)
    with torch.no_grad():
        x = G(torch.randn(batch, 8) * 10)  # large z pushes outputs towards their bounds
        logits = D(x)
    assert x.shape == (batch, channels, resolution, resolution)
    assert logits.shape in ((batch,), (batch, 1))
    if choice["model.g_output"] == "tanh":
        assert x.min() >= -1 and x.max() <= 1
    if choice["model.g_output"] == "sigmoid":  # a plain sigmoid: never negative
        assert x.min() >= 0 and x.max() <= 1


def count(module, kind):
    return sum(isinstance(m, kind) for m in module.modules())


def test_paper_generator_at_64x64_has_the_figure_widths():
    G = build_generator(config(**{"data.resolution": 64, "data.channels": 3}))
    assert G.project.out_features == 1024 * 4 * 4
    convs = [m for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(1024, 512), (512, 256), (256, 128), (128, 3)]
    assert count(G, nn.Linear) == 1 and isinstance(list(G.main)[-1], nn.Tanh)


@pytest.mark.parametrize("batchnorm,g_bn,d_bn", [
    ("both", 3, 2), ("generator", 3, 0), ("discriminator", 0, 2), ("none", 0, 0), ("all_layers", 4, 3),
])
def test_batchnorm_placement(batchnorm, g_bn, d_bn):
    # 32x32: G = projection + 2 hidden upsamplings + output layer; D = input layer + 2 hidden downsamplings.
    cfg = config(**{"data.resolution": 32, "data.channels": 3, "model.width": 64, "model.batchnorm": batchnorm})
    G, D = build_generator(cfg), build_discriminator(cfg)
    assert count(G, nn.BatchNorm2d) == g_bn and count(D, nn.BatchNorm2d) == d_bn
    # The guideline exempts exactly G's output layer and D's input layer.
    assert isinstance(list(G.main)[-2], nn.BatchNorm2d) == (batchnorm == "all_layers")
    assert isinstance(list(D.main)[1], nn.BatchNorm2d) == (batchnorm == "all_layers")


def test_discriminator_has_no_sigmoid_and_uses_leaky_relu_02():
    D = build_discriminator(config(**{"data.channels": 3}))
    assert count(D, nn.Sigmoid) == 0
    slopes = {m.negative_slope for m in D.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2} and count(D, nn.ReLU) == 0


def test_pooling_and_upsampling_variants_replace_strided_convs():
    cfg = config(**{"data.channels": 3, "model.d_downsample": "avgpool", "model.g_upsample": "nearest",
                    "model.width": 64})
    G, D = build_generator(cfg), build_discriminator(cfg)
    assert count(G, nn.ConvTranspose2d) == 0 and count(G, nn.Upsample) == 3
    assert count(D, nn.AvgPool2d) == 3 and all(c.stride == (1, 1) for c in D.modules() if isinstance(c, nn.Conv2d))


def test_fc_hidden_layers_sit_before_reshape_and_after_convs():
    cfg = config(**{"data.channels": 3, "model.fc_hidden": 2, "model.fc_width": 32, "model.width": 64})
    assert count(build_generator(cfg).fc, nn.Linear) == 2
    assert count(build_discriminator(cfg), nn.Linear) == 3  # 2 hidden + the output


def test_weight_init_follows_dcgan():
    torch.manual_seed(0)
    G = build_generator(config(**{"data.channels": 3, "data.resolution": 64}))
    weights = torch.cat([m.weight.detach().flatten() for m in G.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert abs(weights.mean()) < 1e-3 and weights.std() == pytest.approx(0.02, rel=0.02)
    gammas = torch.cat([m.weight.detach() for m in G.modules() if isinstance(m, nn.BatchNorm2d)])
    betas = torch.cat([m.bias.detach() for m in G.modules() if isinstance(m, nn.BatchNorm2d)])
    assert gammas.mean() == pytest.approx(1.0, abs=0.01) and gammas.std() == pytest.approx(0.02, rel=0.1)
    assert torch.all(betas == 0)


def make_user_generator(cfg):
    return nn.Sequential(nn.Linear(cfg.model.nz, 3 * 16 * 16), nn.Tanh(), nn.Unflatten(1, (3, 16, 16)))


def test_user_factory_import_path():
    cfg = config(**{"data.channels": 3, "data.resolution": 16,
                    "model.generator": "tests.foundation.test_models:make_user_generator"})
    assert build_generator(cfg)(torch.randn(2, 100)).shape == (2, 3, 16, 16)


@pytest.mark.parametrize("path,match", [
    ("no_such_pkg.models:make", "cannot import module 'no_such_pkg.models'"),
    ("tests.foundation.test_models:nothing_here", "has no callable 'nothing_here'"),
])
def test_user_factory_errors_are_clear(path, match):
    with pytest.raises(ConfigError, match=match):
        build_generator(config(**{"model.generator": path}))


def test_import_path_syntax_is_validated():
    with pytest.raises(ConfigError, match="import path"):
        config(**{"model.discriminator": "not a path"})


WEIGHTED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
# Modules that end a layer: what follows them belongs to the next one.
LAYER_ENDS = (*WEIGHTED, nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.Identity)


def layers_and_normalisation(net: nn.Module) -> list[tuple[nn.Module, bool]]:
    """Each conv/linear of ``net`` in forward order, with whether a batchnorm follows it before the layer ends
    (G's projection is normalised by the BatchNorm2d after its reshape; a pool may sit between conv and BN)."""
    leaves = [m for m in net.modules() if not list(m.children())]
    out = []
    for i, module in enumerate(leaves):
        if isinstance(module, WEIGHTED):
            rest = leaves[i + 1:]
            end = next((j for j, m in enumerate(rest) if isinstance(m, LAYER_ENDS)), len(rest))
            out.append((module, any(isinstance(m, NORMS) for m in rest[:end])))
    return out


@given(
    choice=st.fixed_dictionaries({k: st.sampled_from(v) for k, v in OPTIONS.items()}),
    resolution=st.sampled_from([16, 32]),
    switch=st.booleans(),
)
def test_a_layer_without_batchnorm_has_a_bias_exactly_when_the_switch_is_on(choice, resolution, switch):
    data_range = [0, 1] if choice["model.g_output"] == "sigmoid" else [-1, 1]
    cfg = config(**choice, **{"data.resolution": resolution, "data.channels": 1, "model.width": 16,
                              "model.nz": 8, "model.fc_width": 16, "data.range": data_range,
                              "model.bias_without_batchnorm": switch})
    for net in (build_generator(cfg), build_discriminator(cfg)):
        layers = layers_and_normalisation(net)
        assert layers
        for module, normalised in layers:
            assert (module.bias is not None) == (switch and not normalised), (module, normalised)


def test_no_batchnorm_keeps_an_offset_in_every_layer():
    # The confound the switch removes: without it, "no batchnorm" also meant "no offset anywhere".
    for switch, expected in ((True, True), (False, False)):
        cfg = config(**{"data.resolution": 32, "data.channels": 3, "model.width": 64,
                        "model.batchnorm": "none", "model.bias_without_batchnorm": switch})
        for net in (build_generator(cfg), build_discriminator(cfg)):
            biases = [m.bias is not None for m in net.modules() if isinstance(m, WEIGHTED)]
            assert biases and all(b == expected for b in biases)


@pytest.mark.parametrize("batchnorm", ["both", "generator", "discriminator", "none", "all_layers"])
def test_hidden_fc_layers_get_batchnorm_in_both_networks_alike(batchnorm):
    cfg = config(**{"data.resolution": 16, "data.channels": 1, "model.width": 16, "model.nz": 8,
                    "model.fc_hidden": 2, "model.fc_width": 16, "model.batchnorm": batchnorm})
    G, D = build_generator(cfg), build_discriminator(cfg)
    g_bn = batchnorm in ("both", "generator", "all_layers")
    d_bn = batchnorm in ("both", "discriminator", "all_layers")
    assert count(G.fc, nn.BatchNorm1d) == (2 if g_bn else 0)
    assert count(D.head, nn.BatchNorm1d) == (2 if d_bn else 0)
