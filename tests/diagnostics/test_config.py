"""The ``diagnostics:`` section: detector names are validated, thresholds are ordered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from ganlab.config import DiagnosticsConfig, load_config
from ganlab.errors import ConfigError
from ganlab.schema import EVENT_KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md"


def documented_defaults() -> dict[str, object]:
    """``{key: default}`` from the "Defaults and where they come from" table of docs/diagnostics.md."""
    section = DOC.read_text().split("## Defaults and where they come from", 1)[1].split("\n## ", 1)[0]
    found: dict[str, object] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        keys = re.findall(r"`(\w+)`", cells[0])
        values = [v.strip() for v in cells[1].split(",")] if len(keys) > 1 else [cells[1]]
        for key, value in zip(keys, values, strict=True):
            found[key] = list(EVENT_KINDS) if value == "all six" else yaml.safe_load(value)
    return found


def test_every_default_is_documented_with_its_value() -> None:
    documented = documented_defaults()
    actual = {k: list(v) if isinstance(v, tuple) else v for k, v in DiagnosticsConfig().model_dump().items()}
    assert set(documented) == set(actual), set(documented) ^ set(actual)
    assert {k: v for k, v in documented.items() if actual[k] != v} == {}


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
