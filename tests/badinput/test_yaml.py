"""Bad YAML in every file ganlab reads: non-UTF-8, duplicate keys, deep nesting, alias bombs, hostile keys."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ganlab.config.yamlfile import MAX_BYTES, MAX_DEPTH, parse_yaml, read_yaml
from ganlab.errors import ConfigError
from tests.badinput.helpers import CHECK, RUN_CONFIG, SWEEP, assert_one_line_error, cli, write

LATIN1 = "model: {nz: 8}\n# caf\xe9\n".encode("latin-1")  # 0xe9 on line 2 is not UTF-8


def test_non_utf8_run_config(tmp_path: Path) -> None:
    path = write(tmp_path / "run.yaml", LATIN1)
    assert_one_line_error(cli("train", path, "--dry-run"), f"{path}:2", "not UTF-8", "0xe9")


def test_non_utf8_sweep_file(tmp_path: Path) -> None:
    path = write(tmp_path / "sweep.yaml", b"name: s\ndescription: \xff\n")
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), f"{path}:2", "not UTF-8")


def test_non_utf8_sweep_base_path(tmp_path: Path) -> None:
    base = write(tmp_path / "base.yaml", LATIN1)
    path = write(tmp_path / "sweep.yaml", "name: s\nbase: base.yaml\nseeds: 1\n")
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), str(base), "not UTF-8")


def test_non_utf8_check_file(tmp_path: Path) -> None:
    path = write(tmp_path / "CHECK.yaml", CHECK.encode() + b"# \xc3\x28\n")
    assert_one_line_error(cli("check", path, "--out", tmp_path), str(path), "not UTF-8")


@pytest.mark.parametrize("command", ["diagnose", "score"])
def test_non_utf8_run_dir_config(tmp_path: Path, command: str) -> None:
    run = tmp_path / "run"
    config = write(run / "config.yaml", LATIN1)
    write(run / "metrics.parquet", b"")
    write(run / "checkpoint.pt", b"")
    assert_one_line_error(cli(command, run), str(config), "not UTF-8")


def test_duplicate_keys_name_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "run.yaml", "model:\n  nz: 8\n  width: 16\n  nz: 9\n")
    assert_one_line_error(cli("train", path, "--dry-run"), f"{path}:4", "duplicate key 'nz'", "line 2")


def test_duplicate_variant_names_in_a_sweep(tmp_path: Path) -> None:
    path = write(tmp_path / "sweep.yaml", SWEEP + "  relu: {model.nz: 9}\n")
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), "duplicate key 'relu'")


@pytest.mark.parametrize("text", ["[" * 3000, "\n".join(" " * i + "a:" for i in range(300)), "{a: " * 3000],
                         ids=["flow-lists", "block-mappings", "flow-mappings"])
def test_deep_nesting_is_one_line(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "deep.yaml", text)
    assert_one_line_error(cli("train", path, "--dry-run"), str(path), f"more than {MAX_DEPTH} levels")


def test_nesting_at_the_limit_still_parses() -> None:
    depth = MAX_DEPTH - 1
    data, _ = parse_yaml("[" * depth + "]" * depth, "<t>")
    for _ in range(depth - 1):
        data = data[0]
    assert data == []


def _alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nmodel: {{nz: *a{levels - 1}}}\n"


def test_alias_bomb_is_a_short_line_and_fast(tmp_path: Path) -> None:
    path = write(tmp_path / "bomb.yaml", _alias_bomb(9))  # 10^9 strings if expanded
    start = time.perf_counter()
    line = assert_one_line_error(cli("train", path, "--dry-run"), str(path), "expands to more than")
    assert time.perf_counter() - start < 2.0
    assert len(line) < 300


def test_small_alias_use_still_works() -> None:
    data, _ = parse_yaml("x: &v {nz: 8}\ny: *v\n", "<t>")
    assert data == {"x": {"nz": 8}, "y": {"nz": 8}}


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(ConfigError, match="refers to the value that contains it"):
        parse_yaml("a: &a [1, *a]\n", "<t>")


@pytest.mark.parametrize("key, shown", [("a\nb", "a\\nb"), ("\x1b[31mred", "\\x1b[31mred"),
                                        ("ab\u202ecd", "ab\\u202ecd")])
def test_hostile_keys_are_escaped(tmp_path: Path, key: str, shown: str) -> None:
    path = write(tmp_path / "run.yaml", yaml.safe_dump({"model": {key: 1}}))
    line = assert_one_line_error(cli("train", path, "--dry-run"), "unknown key", shown)
    assert key not in line


def test_huge_values_are_truncated(tmp_path: Path) -> None:
    path = write(tmp_path / "run.yaml", "model:\n  batchnorm: " + "x" * 100_000 + "\n")
    line = assert_one_line_error(cli("train", path, "--dry-run"), f"{path}:2", "model.batchnorm = 'xxx", "...")
    assert len(line) < 600


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "big.yaml", "# " + "x" * MAX_BYTES + "\n")
    assert_one_line_error(cli("train", path, "--dry-run"), str(path), "larger than")


def test_bad_timestamp_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "run.yaml", "seed: 2026-13-45\n")
    assert_one_line_error(cli("train", path, "--dry-run"), str(path), "invalid YAML value")


def test_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path / "run.yaml", "- 1\n- 2\n")
    assert_one_line_error(cli("train", path, "--dry-run"), str(path), "expected a mapping")


def test_valid_config_passes_dry_run(tmp_path: Path) -> None:
    code, out, err = cli("train", write(tmp_path / "run.yaml", RUN_CONFIG), "--dry-run")
    assert (code, err) == (0, "")
    assert yaml.safe_load("\n".join(out.splitlines()[:-1]))["model"]["nz"] == 8


_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.floats(allow_nan=False)
_documents = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20)


@given(_documents)
def test_strict_reader_agrees_with_safe_load_on_valid_documents(data: object) -> None:
    """Without duplicates or deep nesting, the strict reader returns what ``yaml.safe_load`` does."""
    text = yaml.safe_dump(data)
    assert parse_yaml(text, "<t>")[0] == yaml.safe_load(text)


@given(st.dictionaries(st.text(min_size=1, max_size=8).filter(str.isidentifier), st.integers(), min_size=1,
                       max_size=5), st.data())
def test_any_repeated_key_is_refused(mapping: dict[str, int], data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(mapping)))
    text = yaml.safe_dump(mapping) + f"{key}: 0\n"
    with pytest.raises(ConfigError, match="duplicate key"):
        parse_yaml(text, "<t>")


def test_key_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "run.yaml", "seed: 1\nmodel:\n  nz: 8\n\ntrain:\n  steps: 3\n")
    _, lines = read_yaml(path)
    assert lines == {("seed",): 1, ("model",): 2, ("model", "nz"): 3, ("train",): 5, ("train", "steps"): 6}
