"""Config loading: frozen, unknown keys rejected with file, line and suggestion, --set overrides."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from ganlab.config import GanlabConfig, apply_overrides, dump_config, load_config, parse_set_args
from ganlab.errors import ConfigError
from ganlab.train.load import validate_run


def write(tmp_path, text: str):
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


def test_defaults_are_the_guidelines_and_paper_optimiser():
    cfg = GanlabConfig()
    m, t = cfg.model, cfg.train
    assert (m.d_downsample, m.g_upsample, m.batchnorm) == ("strided", "transposed", "both")
    assert (m.d_activation, m.g_activation, m.g_output, m.fc_hidden) == ("leaky_relu", "relu", "tanh", 0)
    assert m.leaky_slope == 0.2 and m.nz == 100
    assert (t.lr_g, t.lr_d, t.beta1, t.beta2, t.batch_size, t.loss) == (2e-4, 2e-4, 0.5, 0.999, 64, "nonsaturating")


def test_config_is_frozen():
    cfg = GanlabConfig()
    with pytest.raises(ValidationError):
        cfg.model.nz = 3  # type: ignore[misc]


def test_top_level_typo_names_file_line_and_suggestion(tmp_path):
    path = write(tmp_path, "seed: 1\nmodle:\n  nz: 10\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert f"{path}:2" in message and "'modle'" in message and "did you mean 'model'" in message
    assert "\n" not in message


def test_nested_typo_suggests_the_closest_key(tmp_path):
    path = write(tmp_path, "model:\n  nz: 10\n  batchnrom: none\n")
    with pytest.raises(ConfigError, match=r":3: unknown key 'model.batchnrom'; did you mean 'model.batchnorm'"):
        load_config(path)


def test_wrong_value_names_allowed_values(tmp_path):
    path = write(tmp_path, "model:\n  batchnorm: sometimes\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert ":2:" in str(err.value) and "'all_layers'" in str(err.value) and "'sometimes'" in str(err.value)


@pytest.mark.parametrize("key,value,valid", [
    ("data.dataset", "cifar", "stacked-digits"),
    ("train.loss", "wasserstein", "nonsaturating"),
    ("data.resolution", 48, "16"),
    ("train.device", "tpu", "cuda"),
])
def test_registry_values_list_the_valid_names(key, value, valid):
    """A config to train (``validate_run``) has its dataset and loss looked up in their registries."""
    with pytest.raises(ConfigError, match=f"--set {key}: {key} = .*{valid}"):
        validate_run({}, overrides={key: value})


def test_missing_file_and_bad_yaml_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=r"invalid YAML"):
        load_config(write(tmp_path, "model: [\n"))


def test_set_overrides_parse_values_as_yaml(tmp_path):
    path = write(tmp_path, "train:\n  steps: 5\n")
    cfg = load_config(path, parse_set_args(["model.batchnorm=none", "train.lr_d=1e-3", "diagnostics.stop_on=[]"]))
    assert cfg.model.batchnorm == "none" and cfg.train.lr_d == 1e-3 and cfg.train.steps == 5


def test_set_typo_names_the_flag():
    with pytest.raises(ConfigError, match=r"--set model.batchnrom: unknown key .*did you mean 'model.batchnorm'"):
        apply_overrides(GanlabConfig(), parse_set_args(["model.batchnrom=none"]))
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_set_args(["model.batchnorm"])


def test_dumped_config_round_trips(tmp_path):
    cfg = apply_overrides(GanlabConfig(), {"model.batchnorm": "none", "diagnostics.stop_on": ["non_finite"]})
    path = write(tmp_path, dump_config(cfg))
    assert load_config(path) == cfg


@given(
    steps=st.integers(1, 10**6), nz=st.integers(1, 512), lr=st.floats(1e-6, 1.0),
    batchnorm=st.sampled_from(["both", "generator", "discriminator", "none", "all_layers"]),
)
def test_any_valid_override_set_round_trips_through_yaml(steps, nz, lr, batchnorm):
    overrides = {"train.steps": steps, "model.nz": nz, "train.lr_g": lr, "model.batchnorm": batchnorm}
    cfg = apply_overrides(GanlabConfig(), parse_set_args(f"{k}={yaml.safe_dump(v).strip().removesuffix('...').strip()}"
                                                        for k, v in overrides.items()))
    assert (cfg.train.steps, cfg.model.nz, cfg.model.batchnorm) == (steps, nz, batchnorm)
    assert cfg.train.lr_g == pytest.approx(lr)


@given(key=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
@example(key="none")  # pydantic's name for a union member: once dropped from the message as a type tag
@example(key="int")
def test_any_unknown_model_key_is_rejected(key):
    if key in GanlabConfig.model_fields["model"].annotation.model_fields:
        return
    with pytest.raises(ConfigError, match=f"unknown key 'model.{key}'"):
        apply_overrides(GanlabConfig(), {f"model.{key}": 1})
