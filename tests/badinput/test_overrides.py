"""Overrides: an empty mapping is refused, a nested one merges, and ``--out`` never hides the file's errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ganlab.config import validate
from ganlab.errors import ConfigError
from ganlab.train.load import validate_run
from tests.badinput.helpers import RUN_CONFIG, SWEEP, assert_one_line_error, cli, write


def test_empty_nested_override_in_a_variant(tmp_path: Path) -> None:
    path = write(tmp_path / "sweep.yaml", SWEEP + "  v: {model: {}}\n")
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), f"{path}:9", "variant 'v'",
                          "'model'", "empty mapping")


def test_empty_override_deeper_down(tmp_path: Path) -> None:
    path = write(tmp_path / "sweep.yaml", SWEEP + "  v:\n    model: {nz: 9}\n    diagnostics: {}\n")
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), "variant 'v'", "'diagnostics'")


def test_empty_override_from_set(tmp_path: Path) -> None:
    path = write(tmp_path / "run.yaml", RUN_CONFIG)
    assert_one_line_error(cli("train", path, "--dry-run", "--set", "model={}"), "--set 'model'", "empty mapping")


def test_a_nested_override_keeps_the_other_keys() -> None:
    data: dict[str, Any] = yaml.safe_load(RUN_CONFIG)
    config = validate(data, overrides={"model": {"batchnorm": "none"}})
    assert (config.model.nz, config.model.width, config.model.batchnorm) == (8, 16, "none")


@pytest.mark.parametrize("output", ["oops", "{dir: [1, 2]}", "{samples: 0}", "{dri: x}"])
def test_out_does_not_hide_a_bad_output_section(tmp_path: Path, output: str) -> None:
    path = write(tmp_path / "run.yaml", RUN_CONFIG + f"output: {output}\n")
    assert_one_line_error(cli("train", path, "--dry-run", "--out", tmp_path / "elsewhere"), f"{path}:4", "output")


def test_out_replaces_a_valid_output_dir(tmp_path: Path) -> None:
    path = write(tmp_path / "run.yaml", RUN_CONFIG + "output: {dir: here, samples: 4}\n")
    code, out, _ = cli("train", path, "--dry-run", "--out", tmp_path / "there")
    assert code == 0
    output = yaml.safe_load("\n".join(out.splitlines()[:-1]))["output"]
    assert output == {"dir": str(tmp_path / "there"), "samples": 4}


@pytest.mark.parametrize("key, value", [("train.batch_size", 10_000_000), ("train.threads", 1_000_000),
                                        ("model.width", 100_000), ("model.nz", 10**6), ("train.steps", 10**12),
                                        ("diagnostics.eval_samples", 10**9), ("seed", -1), ("seed", 2**64)])
def test_huge_values_fail_validation(tmp_path: Path, key: str, value: int) -> None:
    path = write(tmp_path / "run.yaml", RUN_CONFIG)
    assert_one_line_error(cli("train", path, "--dry-run", "--set", f"{key}={value}"), f"--set {key}", "Input should")


def test_registry_names_are_checked_with_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "run.yaml", RUN_CONFIG.replace("gaussian-grid", "gausian-grid"))
    assert_one_line_error(cli("train", path, "--dry-run"), f"{path}:1", "data.dataset = 'gausian-grid'",
                          "did you mean 'gaussian-grid'")
    with pytest.raises(ConfigError, match="--set train.loss: train.loss = 'hing'.*did you mean 'hinge'"):
        validate_run({}, overrides={"train.loss": "hing"})


def test_out_of_memory_at_start_up_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ganlab.train

    def no_memory(*args: object, **kwargs: object) -> None:
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: "
                           "you tried to allocate 3355443200000 bytes. Error code 12 (Cannot allocate memory)")

    monkeypatch.setattr(ganlab.train, "train", no_memory)
    path = write(tmp_path / "run.yaml", RUN_CONFIG)
    assert_one_line_error(cli("train", path), str(path), "out of memory", "train.batch_size")

    def plain_memory_error(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(ganlab.train, "train", plain_memory_error)
    assert_one_line_error(cli("train", path), "out of memory (MemoryError")


def test_other_runtime_errors_are_not_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ganlab.train

    def bug(*args: object, **kwargs: object) -> None:
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(ganlab.train, "train", bug)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        cli("train", write(tmp_path / "run.yaml", RUN_CONFIG))


@pytest.mark.parametrize("key", ["data.path", "output.dir"])
def test_nul_in_a_path_is_refused(tmp_path: Path, key: str) -> None:
    path = write(tmp_path / "run.yaml", RUN_CONFIG)
    assert_one_line_error(cli("train", path, "--dry-run", "--set", f'{key}="a\\0b"'), key, "NUL")


def test_nul_in_a_sweep_base_path(tmp_path: Path) -> None:
    path = write(tmp_path / "sweep.yaml", 'name: s\nbase: "a\\0b"\n')
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), "cannot read the base config")


def test_control_characters_in_variant_names_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "sweep.yaml", SWEEP + '  "a\\e[2Jb": {model.nz: 9}\n')
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), "variant name 'a\\x1b[2Jb'",
                          "printable")


def test_grid_values_that_are_not_printable_are_refused(tmp_path: Path) -> None:
    # Issue 21 item 11: a grid value names its cell (the progress line, summary.md/.csv/.html), so an escape
    # sequence in one is refused like one in a variant name, before anything is planned.
    path = write(tmp_path / "sweep.yaml", SWEEP + 'grid:\n  model.fc_width: [9]\n  data.path: ["x\\e[2J"]\n')
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), f"{path}:11: grid axis 'data.path'",
                          "'x\\x1b[2J'", "printable text")
    assert not (tmp_path / "fz").exists()
