"""A YAML escape that makes a lone UTF-16 surrogate ("\\ud800") is one line, exit 2 (found by the check-section
fuzz: `tolerances: {"\\ud800\\udc00": null}` raised UnicodeEncodeError inside pydantic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.badinput.helpers import CHECK, RUN_CONFIG, assert_one_line_error, cli, write


@pytest.mark.parametrize("text", [
    CHECK + '  tolerances: {"\\ud800\\udc00": null}\n',
    CHECK.replace("relu: {model.d_activation: relu}", '"\\udfff": {model.d_activation: relu}'),
])
def test_a_lone_surrogate_in_a_check_file_is_one_line(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "c.yaml", text)
    assert_one_line_error(cli("check", path, "--out", tmp_path / "runs"), "lone surrogate", str(path))


def test_a_lone_surrogate_in_a_run_config_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "run.yaml", RUN_CONFIG + 'output: {dir: "\\ud800"}\n')
    assert_one_line_error(cli("train", path, "--dry-run"), "lone surrogate", ":4:")
