"""Issue 21 item 13: the report does not trust results.parquet or the run files it points to.

Repeated rows count once, with a note (they doubled n); a truncated metrics.parquet and a damaged sample
PNG each get a note naming the run (they were dropped without one).
"""

from __future__ import annotations

import pandas as pd

from ganlab.report import build_report, load_sweep

TWO = {"baseline": {}, "no_batchnorm": {"model.batchnorm": "none"}}


def test_repeated_rows_count_once_with_a_note(new_sweep, tmp_path):
    path = new_sweep(variants=TWO, seeds=3)
    original = load_sweep(path)
    runs = pd.read_parquet(path / "results.parquet")
    doubled = pd.concat([runs, runs, runs.iloc[[0]]], ignore_index=True)
    doubled.to_parquet(path / "results.parquet")
    sweep = load_sweep(path)
    assert len(sweep.runs) == len(original.runs) == 6
    assert sweep.runs.groupby("variant").size().to_dict() == {"baseline": 3, "no_batchnorm": 3}
    (note,) = [n for n in sweep.notes if "repeated" in n]
    assert "7 repeated row(s)" in note and "baseline seed 0" in note and "counted once" in note
    text = build_report(path, tmp_path / "r.html").read_text()
    assert "7 repeated row(s)" in text
    assert " / 6" not in text and " / 3" in text  # n per arm is 3, not 6


def test_a_clean_results_table_gets_no_repeat_note(new_sweep):
    assert not [n for n in load_sweep(new_sweep(variants=TWO, seeds=2)).notes if "repeated" in n]


def test_a_truncated_metrics_log_is_noted(new_sweep, tmp_path):
    path = new_sweep(variants=TWO, seeds=3)
    run = load_sweep(path).runs.iloc[1]
    log = run["path"] / "metrics.parquet"
    log.write_bytes(log.read_bytes()[: log.stat().st_size // 2])
    sweep = load_sweep(path)
    assert not sweep.runs.loc[1, "has_log"]
    (note,) = [n for n in sweep.notes if "could not be read" in n]
    assert "metrics.parquet of 1 run(s)" in note and "baseline seed 1" in note
    assert not [n for n in sweep.notes if n.startswith("No metrics.parquet")]  # it is there, just damaged
    assert "baseline seed 1; their training curves are missing" in build_report(path, tmp_path / "r.html").read_text()


def test_a_damaged_sample_png_is_noted(new_sweep, tmp_path):
    path = new_sweep(variants=TWO, seeds=3)
    run = load_sweep(path).runs.iloc[4]
    png = sorted((run["path"] / "samples").iterdir())[0]
    png.write_bytes(png.read_bytes()[:-20])  # cut: IEND and part of the image data gone
    sweep = load_sweep(path)
    (note,) = [n for n in sweep.notes if "Unreadable sample grids" in n]
    label = f"{run['variant']} seed {int(run['seed'])}"
    assert f"{label} ({png.name})" in note and "in 1 run(s)" in note
    assert png.name in build_report(path, tmp_path / "r.html").read_text()
