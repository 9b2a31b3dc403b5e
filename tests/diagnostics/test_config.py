"""The ``diagnostics:`` section: detector names are validated, thresholds are ordered."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ganlab.config import DiagnosticsConfig, load_config
from ganlab.errors import ConfigError


def test_existing_public_keys_keep_their_names_and_defaults() -> None:
    config = DiagnosticsConfig()
    assert (config.enabled, config.eval_every, config.eval_samples, config.check_every) == (True, 250, 1000, 50)
    assert (config.stop_on, config.patience) == ((), 200)


def test_stop_on_unknown_kind_lists_the_valid_ones() -> None:
    with pytest.raises(ValidationError, match="valid: non_finite, d_dominance, mode_collapse"):
        DiagnosticsConfig(stop_on=("mode-collapse",))
    assert DiagnosticsConfig(stop_on=["d_dominance", "d_dominance"]).stop_on == ("d_dominance",)


def test_stop_on_must_be_a_running_detector() -> None:
    with pytest.raises(ValidationError, match="does not run it"):
        DiagnosticsConfig(stop_on=("oscillation",), detectors=("non_finite",))


def test_threshold_order_is_checked() -> None:
    with pytest.raises(ValidationError, match="collapse_full_coverage must not exceed"):
        DiagnosticsConfig(collapse_full_coverage=0.6)


def test_yaml_error_names_file_line_and_valid_kinds(tmp_path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("seed: 1\ndiagnostics:\n  stop_on: [d_dominance, explode]\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "run.yaml:3" in message and "'explode'" in message and "gradient_explosion" in message
