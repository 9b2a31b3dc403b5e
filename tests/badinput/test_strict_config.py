"""Issue 21 items 5, 9, 10, 11 and 16: values the config once coerced or let through, each refused in one line.

Every case goes through the real CLI in-process (``train --dry-run``, ``sweep --dry-run``, ``diagnose``), so
nothing trains; each asserts exit 2 and one line naming the file or override, the key and the value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ganlab.schema import LOG_COLUMNS
from tests.badinput.helpers import RUN_CONFIG, SWEEP, assert_one_line_error, cli, write


@pytest.mark.parametrize(("override", "needles"), [
    # item 9: a bool is not a number (pydantic's lax mode read `true` as 1)
    ("train.steps=true", ("--set train.steps", "train.steps = True", "whole number")),
    ("seed=true", ("seed = True", "whole number")),
    ("model.nz=true", ("model.nz = True", "whole number")),
    ("train.lr_g=true", ("train.lr_g = True", "expected a number, not true")),
    ("data.channels=true", ("data.channels = True", "not true")),
    ("data.range=[-1, true]", ("data.range.1 = True", "not true")),
    ("diagnostics.enabled=1", ("diagnostics.enabled = 1", "true or false")),
    ("train.steps=5.0", ("train.steps = 5.0", "whole number")),
    # item 9: only finite floats
    ("train.lr_g=.inf", ("train.lr_g = inf", "finite number")),
    ("train.lr_g=1e999", ("train.lr_g = '1e999'", "finite number")),
    ("train.lr_d=.nan", ("train.lr_d = nan",)),
    ("diagnostics.explosion_factor=.inf", ("diagnostics.explosion_factor = inf", "finite number")),
    ("diagnostics.explosion_ceiling=.inf", ("diagnostics.explosion_ceiling = inf", "finite number")),
    # item 5: every window and count is bounded (10**20 trained to the end, then OverflowError)
    ("diagnostics.dominance_window=100000000000000000000", ("diagnostics.dominance_window", "10000000")),
    ("diagnostics.explosion_window=100000000000000000000", ("diagnostics.explosion_window", "10000000")),
    ("diagnostics.oscillation_window=100000000000000000000", ("diagnostics.oscillation_window", "10000000")),
    ("diagnostics.collapse_persist=100000000000000000000", ("diagnostics.collapse_persist", "10000000")),
    ("diagnostics.check_every=10000001", ("diagnostics.check_every", "10000000")),
])
def test_a_coerced_or_unbounded_number_is_refused(tmp_path: Path, override: str, needles: tuple[str, ...]) -> None:
    path = write(tmp_path / "run.yaml", RUN_CONFIG)
    assert_one_line_error(cli("train", path, "--dry-run", "--set", override), *needles)


def test_numbers_as_users_write_them_still_read(tmp_path: Path) -> None:
    # YAML 1.1 reads `2e-4` (no dot) as a string; an int is a fine float; both stay valid.
    path = write(tmp_path / "run.yaml", RUN_CONFIG.replace("device: cpu", "device: cpu, lr_g: 2e-4, lr_d: 1"))
    code, out, err = cli("train", path, "--dry-run")
    assert (code, err) == (0, "") and "lr_g: 0.0002" in out and "lr_d: 1.0" in out


def test_a_bool_in_the_file_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "run.yaml", RUN_CONFIG.replace("steps: 5", "steps: true"))
    assert_one_line_error(cli("train", path, "--dry-run"), f"{path}:3: train.steps = True", "whole number")


def test_a_diagnose_of_a_run_with_an_unbounded_window_is_one_line(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write(run / "config.yaml", "diagnostics: {dominance_window: 100000000000000000000}\n")
    _log(run / "metrics.parquet", [0, 1, 2])
    assert_one_line_error(cli("diagnose", run), f"{run / 'config.yaml'}:1: diagnostics.dominance_window")


# item 10: one key, two spellings
def test_a_variant_giving_a_key_dotted_and_nested_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "sweep.yaml", SWEEP.replace("relu: {model.d_activation: relu}",
                                                        "v: {model.nz: 9, model: {nz: 10}}"))
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), f"{path}:8: variant 'v'",
                          "'model.nz' is given twice")


def test_a_section_and_a_key_in_it_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "sweep.yaml", SWEEP.replace("relu: {model.d_activation: relu}",
                                                        "v: {model: 5, model.nz: 9}"))
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), "variant 'v'", "'model' is given twice")


@pytest.mark.parametrize("second", ["model={nz: 10}", "model.nz=10"])
def test_set_giving_one_key_twice_is_refused(tmp_path: Path, second: str) -> None:
    path = write(tmp_path / "run.yaml", RUN_CONFIG)
    assert_one_line_error(cli("train", path, "--dry-run", "--set", "model.nz=9", "--set", second),
                          "--set model.nz", "given twice")


def test_a_grid_value_given_twice_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "sweep.yaml", SWEEP + "grid:\n  model.batchnorm: [none, none]\n")
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path),
                          f"{path}:10: grid axis 'model.batchnorm' gives the value 'none' twice")


def test_grid_axes_naming_one_key_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "sweep.yaml", SWEEP + "grid:\n  model.nz: [9, 10]\n  model: [{nz: 11}]\n")
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), f"{path}:9: grid:",
                          "'model' is given twice")


# item 11: grid values name cells, which reach the terminal and the reports
@pytest.mark.parametrize("value", ['"\\e]0;T\\a\\e[2J"', '"a\\nb"', '"\\u202eevil"'])
def test_a_grid_value_that_is_not_printable_is_refused(tmp_path: Path, value: str) -> None:
    path = write(tmp_path / "sweep.yaml", SWEEP + f"grid:\n  data.path: [{value}]\n")
    line = assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path),
                                 f"{path}:10: grid axis 'data.path'", "printable text")
    assert "\x1b" not in line


# item 16: an onset step past int64 read as -9223372036854775808
@pytest.mark.parametrize("step", [2**63 + 10, 10**19, -(2**63) - 10, 2**53 + 2])
def test_a_log_step_beyond_what_a_step_can_be_is_refused(tmp_path: Path, step: int) -> None:
    path = tmp_path / "m.csv"
    rows = [0, 1, step]
    _log(path, rows, nan_at=2)
    line = assert_one_line_error(cli("diagnose", path), f"{path}: column 'step' row 3 (line 4)", "2**53")
    assert "-9223372036854775808" not in line


def test_a_huge_but_exact_step_still_names_its_onset(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    _log(path, [0, 1, 2**53], nan_at=2)
    code, out, err = cli("diagnose", path, "--json")
    assert (code, err) == (0, "") and f'"step": {2**53}' in out


def _log(path: Path, steps: list[int], nan_at: int | None = None) -> None:
    frame = pd.DataFrame({c: np.full(len(steps), 0.5) for c in LOG_COLUMNS})
    frame["step"] = pd.Series(steps, dtype=object) if max(map(abs, steps)) >= 2**63 else steps
    if nan_at is not None:
        frame.loc[nan_at, "loss_d"] = np.nan
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
