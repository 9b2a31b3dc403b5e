"""Partial, running and damaged sweeps: the report always builds and says what is missing."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from ganlab.errors import DataError
from ganlab.report import build_report, load_sweep

TWO = {"baseline": {}, "no_batchnorm": {"model.batchnorm": "none"}}


def build(path, tmp_path):
    return build_report(path, tmp_path / "out" / "r.html").read_text()


def test_running_sweep_with_pending_and_errored_runs(new_sweep, tmp_path):
    path = new_sweep(variants=TWO, seeds=4, pending=3, errored=1)
    runs = pd.read_parquet(path / "results.parquet")
    runs.loc[0, "status"] = "running"
    runs.to_parquet(path / "results.parquet")
    text = build(path, tmp_path)
    assert "4 of 8 runs have not finished (status pending, running)" in text
    assert ("no_batchnorm seed 0 crashed (status error) and is left out of the statistics: "
            "RuntimeError: CUDA out of memory (synthetic)") in text
    assert "3 / 4" in text and "no finished runs" in text  # baseline 3 finished, variant 0


def test_missing_run_files_are_reported(new_sweep, tmp_path):
    path = new_sweep(variants=TWO, seeds=3)
    runs = load_sweep(path).runs
    first, second, third = runs["path"].iloc[0], runs["path"].iloc[1], runs["path"].iloc[3]
    (first / "metrics.parquet").unlink()
    shutil.rmtree(second / "samples")
    (third / "config.yaml").unlink()
    shutil.rmtree(runs["path"].iloc[4])  # the whole run folder
    text = build(path, tmp_path)
    assert "No metrics.parquet for 2 run(s): baseline seed 0, no_batchnorm seed 1." in text
    assert "No sample grids for 2 run(s): baseline seed 1, no_batchnorm seed 1." in text
    assert "No config.yaml for 2 run(s)" in text


def test_every_run_without_files(new_sweep, tmp_path):
    path = new_sweep(variants=TWO, seeds=3)
    shutil.rmtree(path / "runs")
    text = build(path, tmp_path)
    assert "No training curves: no run of this variant has a readable metrics.parquet." in text
    assert "no sample grids on disk" in text
    assert "No config.yaml for the baseline&#39;s runs; showing the sweep&#39;s overrides." in text


def test_damaged_files_do_not_crash(new_sweep, tmp_path):
    path = new_sweep(variants=TWO, seeds=3, fail={"baseline": 1.0, "no_batchnorm": 1.0})
    runs = load_sweep(path).runs
    for p in runs["path"]:
        (p / "metrics.parquet").write_bytes(b"not parquet")
        (p / "config.yaml").write_text("{unclosed: [")
        for png in (p / "samples").iterdir():
            png.write_bytes(b"\x89PNG broken")
    text = build(path, tmp_path)
    assert "is not a readable PNG" in text
    assert 'src="data:image/png;base64,"' not in text


def test_non_finite_values_in_logs_and_no_final_metrics(new_sweep, tmp_path):
    path = new_sweep(variants=TWO, seeds=3)
    for p in load_sweep(path).runs["path"]:
        log = pd.read_parquet(p / "metrics.parquet")
        log.loc[log.index[-5:], ["loss_d", "grad_norm_g"]] = [np.nan, np.inf]
        log.to_parquet(p / "metrics.parquet")
    runs = pd.read_parquet(path / "results.parquet")
    runs[[c for c in runs if c.startswith("metric_")]] = np.nan
    runs.to_parquet(path / "results.parquet")
    text = build(path, tmp_path)
    assert "No final metrics were recorded" in text and "No final metrics to plot." in text


def test_only_sweep_json(new_sweep, tmp_path):
    path = new_sweep(variants=TWO, seeds=3)
    (path / "results.parquet").unlink()
    text = build(path, tmp_path)
    assert "results.parquet is missing: no run has been recorded yet." in text


def test_damaged_results_and_no_sweep_json(new_sweep, tmp_path):
    path = new_sweep(variants=TWO, seeds=3)
    (path / "results.parquet").write_bytes(b"garbage")
    (path / "sweep.json").unlink()
    text = build(path, tmp_path)
    assert "results.parquet could not be read" in text and "sweep.json is missing" in text


def test_old_results_with_few_columns(new_sweep, tmp_path):
    path = new_sweep(variants=TWO, seeds=3)
    runs = pd.read_parquet(path / "results.parquet")[["variant", "seed", "status", "run_dir"]]
    runs.to_parquet(path / "results.parquet")
    (path / "sweep.json").write_text(json.dumps({"name": "old"}))
    text = build(path, tmp_path)
    assert "Sweep report: old" in text


def test_not_a_sweep_is_a_one_line_error(tmp_path):
    with pytest.raises(DataError, match="no such sweep directory"):
        build_report(tmp_path / "missing")
    with pytest.raises(DataError, match="not a sweep directory"):
        build_report(tmp_path)


def test_unknown_baseline_is_an_error_that_lists_the_variants(sweep_dir, tmp_path):
    with pytest.raises(DataError, match="choose one of: baseline, no_batchnorm, relu_in_d"):
        build_report(sweep_dir, tmp_path / "r.html", baseline="nope")


def test_runs_without_diagnostics_are_flagged(new_sweep):
    path = new_sweep(variants=TWO, seeds=3)
    for p in load_sweep(path).runs["path"]:
        config = yaml.safe_load((p / "config.yaml").read_text())
        (p / "config.yaml").write_text(yaml.safe_dump({**config, "diagnostics": {"enabled": False}}))
    notes = " ".join(load_sweep(path).notes)
    assert "Diagnostics were disabled (diagnostics.enabled: false) in the runs of baseline, no_batchnorm" in notes
