"""One formatter for pydantic errors in run configs, sweep files and check files; safe quoting."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ganlab.config.messages import MAX_VALUE, quote
from ganlab.errors import MAX_LINE, ConfigError
from tests.badinput.helpers import CHECK, RUN_CONFIG, SWEEP, assert_one_line_error, cli, write


def test_the_same_typo_reads_the_same_in_all_three_files(tmp_path: Path) -> None:
    run = write(tmp_path / "run.yaml", RUN_CONFIG + "seeed: 1\n")
    assert_one_line_error(cli("train", run, "--dry-run"), f"{run}:4: unknown key 'seeed'; did you mean 'seed'?",
                          "(valid keys here: seed, data")
    sweep = write(tmp_path / "sweep.yaml", SWEEP + "seedz: 1\n")
    assert_one_line_error(cli("sweep", sweep, "--dry-run", "--out", tmp_path),
                          f"{sweep}:9: unknown sweep key 'seedz'; did you mean 'seeds'?", "(valid keys here: name")
    check = write(tmp_path / "CHECK.yaml", CHECK + "  alhpa: 0.1\n")
    assert_one_line_error(cli("check", check, "--out", tmp_path),
                          f"{check}:13: unknown key 'check.alhpa'; did you mean 'check.alpha'?")


def test_wrong_values_name_key_value_and_what_is_allowed(tmp_path: Path) -> None:
    check = write(tmp_path / "CHECK.yaml", CHECK.replace("alpha: 0.05", "alpha: 7"))
    assert_one_line_error(cli("check", check, "--out", tmp_path), f"{check}:12: check.alpha = 7:", "less than 1")
    sweep = write(tmp_path / "sweep.yaml", SWEEP.replace("seeds: 2", "seeds: two"))
    assert_one_line_error(cli("sweep", sweep, "--dry-run", "--out", tmp_path), f"{sweep}:6: seeds = 'two':",
                          "a count N")


@given(st.text(max_size=200))
def test_quote_is_printable_bounded_and_exact_when_short(text: str) -> None:
    shown = quote(text)
    assert shown.isprintable() and len(shown) <= MAX_VALUE
    if len(repr(text)) <= MAX_VALUE:
        assert ast.literal_eval(shown) == text  # Python's own parser reads back the very string
    else:
        assert shown.endswith("...")


@given(st.recursive(st.integers() | st.text(max_size=30) | st.floats(),
                    lambda inner: st.lists(inner, max_size=20) | st.dictionaries(st.text(max_size=5), inner),
                    max_leaves=200))
def test_quote_bounds_any_value(value: object) -> None:
    shown = quote(value)
    assert shown.isprintable() and len(shown) <= MAX_VALUE


@given(st.text(max_size=2000))
def test_every_ganlab_error_is_one_bounded_line(message: str) -> None:
    line = str(ConfigError(message))
    assert line.isprintable() and len(line) <= MAX_LINE
    if message.isprintable() and len(message) <= MAX_LINE:
        assert line == message
