"""Sweep size is counted before anything is expanded, and refused above ``max_runs``."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.errors import ConfigError
from ganlab.sweep.spec import MAX_RUNS, sweep_from_dict
from tests.badinput.helpers import assert_one_line_error, cli, write

BASE = {"data": {"dataset": "gaussian-grid", "resolution": 16}, "model": {"nz": 8, "width": 16},
        "train": {"steps": 5, "batch_size": 8, "device": "cpu"}}


def _sweep(tmp_path: Path, **keys: object) -> Path:
    return write(tmp_path / "sweep.yaml", yaml.safe_dump({"name": "big", "base": BASE, **keys}, sort_keys=False))


@pytest.mark.parametrize("seeds", [2**63, 10**9, 10**7, 10**400])
def test_huge_seed_counts_fail_fast(tmp_path: Path, seeds: int) -> None:
    path = _sweep(tmp_path, seeds=seeds)
    start = time.perf_counter()
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), f"{path}:", "max_runs")
    assert time.perf_counter() - start < 5.0


def test_six_axis_grid_fails_fast(tmp_path: Path) -> None:
    grid = {f"diagnostics.{k}": list(range(2, 12)) for k in
            ("eval_every", "check_every", "patience", "dominance_window", "oscillation_smooth", "collapse_persist")}
    path = _sweep(tmp_path, seeds=1, grid=grid)
    start = time.perf_counter()
    line = assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), "1,000,001 runs", "max_runs")
    assert "1000000 grid cells" in line
    assert time.perf_counter() - start < 5.0


def test_huge_seed_in_a_list_is_refused(tmp_path: Path) -> None:
    path = _sweep(tmp_path, seeds=[0, 2**63])
    assert_one_line_error(cli("sweep", path, "--dry-run", "--out", tmp_path), "seeds must lie in")


def test_max_runs_can_be_raised_and_lowered(tmp_path: Path) -> None:
    assert sweep_from_dict({"name": "s", "base": BASE, "seeds": 3, "max_runs": 3}).n_runs == 3
    with pytest.raises(ConfigError, match="3 runs .* more than max_runs = 2"):
        sweep_from_dict({"name": "s", "base": BASE, "seeds": 3, "max_runs": 2})
    assert MAX_RUNS == 10_000  # the documented default (docs/sweeps.md)


@settings(max_examples=15, deadline=None)
@given(n_variants=st.integers(0, 2), axes=st.lists(st.integers(1, 3), max_size=3), n_seeds=st.integers(1, 3),
       max_runs=st.integers(1, 40))
def test_the_count_matches_the_expansion(n_variants: int, axes: list[int], n_seeds: int, max_runs: int) -> None:
    """Refused exactly when the expanded sweep (variants x grid product x seeds, enumerated) exceeds max_runs."""
    keys = ["train.lr_d", "train.lr_g", "train.beta2"][: len(axes)]
    grid = {key: [round(0.0123 * (i + 1) + 0.001 * j, 6) for i in range(n)] for j, (key, n) in
            enumerate(zip(keys, axes, strict=True))}
    variants = {f"v{i}": {"model.nz": 9 + i} for i in range(n_variants)}
    expected = (1 + n_variants + (len(list(itertools.product(*grid.values()))) if grid else 0)) * n_seeds
    data = {"name": "s", "base": BASE, "seeds": n_seeds, "variants": variants, "grid": grid, "max_runs": max_runs}
    if expected > max_runs:
        with pytest.raises(ConfigError, match=f"{expected:,} runs"):
            sweep_from_dict(data)
    else:
        assert sweep_from_dict(data).n_runs == expected
