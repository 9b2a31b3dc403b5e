"""results.parquet: exact columns and types, rows from run.json, atomic rewrites, reading back."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from ganlab.errors import GanlabError
from ganlab.schema import EVAL_KEYS as METRIC_KEYS
from ganlab.schema import RunRecord
from ganlab.sweep.results import read_results, result_columns, result_row, write_results
from ganlab.sweep.task import RunTask

KINDS = ("non_finite", "d_dominance", "mode_collapse", "gradient_explosion", "oscillation")
BASE_COLUMNS = ["variant", "seed", "run_id", "overrides", "status", "steps_done", "steps_total", "wall_time_s",
                "stop_reason", "error", "log_path", "run_dir", "events", "event_kinds"]


def run_record(**fields):
    base = {"run_id": "abc123def456", "status": "running", "steps_done": 0, "steps_total": 40, "wall_time_s": 0.0,
            "versions": {}, "device": "cpu", "git_commit": None, "started_at": "2025-01-01T00:00:00+0000"}
    return RunRecord.model_validate({**base, **fields})


def task(tmp_path, variant="no-bn", seed=1, run_id="abc123def456"):
    return RunTask(variant=variant, seed=seed, run_id=run_id, overrides={"model.batchnorm": "none"},
                   config={"train": {"steps": 40}}, run_dir=str(tmp_path / "runs" / run_id))


def test_columns_are_exactly_the_documented_ones():
    columns = result_columns()
    assert columns[:14] == BASE_COLUMNS
    onsets = [c for c in columns if c.startswith("onset_")]
    assert set(KINDS) <= {c.removeprefix("onset_") for c in onsets}
    assert columns[14 + len(onsets):] == [f"metric_{k}" for k in METRIC_KEYS]
    assert len(columns) == 14 + len(onsets) + len(METRIC_KEYS)


def test_a_failed_run_with_events_and_metrics(tmp_path):
    info = run_record(status="failed", steps_done=30, wall_time_s=2.5,
                      stop_reason="stopped at step 30 by mode_collapse",
                      events=[{"kind": "mode_collapse", "step": 20, "severity": "failure"},
                              {"kind": "d_dominance", "step": 12, "severity": "warning"},
                              {"kind": "mode_collapse", "step": 10, "severity": "warning"}],
                      final_metrics={"modes": 12, "modes_total": 1000, "kl": 3.5, "frechet": None})
    row = result_row(task(tmp_path), tmp_path, info, {"log_path": str(tmp_path / "logs" / "x.log")})
    assert row["status"] == "failed" and row["error"] is None and row["steps_done"] == 30
    assert row["run_dir"] == "runs/abc123def456" and row["log_path"] == "logs/x.log"
    assert row["event_kinds"] == "d_dominance,mode_collapse"
    assert json.loads(row["events"])[0] == {"kind": "mode_collapse", "step": 20, "severity": "failure"}
    assert row["onset_mode_collapse"] == 10.0 and row["onset_d_dominance"] == 12.0
    assert math.isnan(row["onset_oscillation"])
    assert row["metric_modes"] == 12.0 and math.isnan(row["metric_frechet"]) and math.isnan(row["metric_kid"])
    assert json.loads(row["overrides"]) == {"model.batchnorm": "none"}


def test_pending_and_error_rows(tmp_path):
    pending = result_row(task(tmp_path), tmp_path)
    assert pending["status"] == "pending" and pending["steps_total"] == 40 and pending["event_kinds"] == ""
    interrupted = result_row(task(tmp_path), tmp_path, run_record(steps_done=7))
    assert interrupted["status"] == "pending" and interrupted["steps_done"] == 7
    record = {"status": "error", "error": "worker process died with SIGKILL", "log_path": str(tmp_path / "l.log"),
              "wall_time_s": 1.0, "info": run_record(steps_done=5)}
    error = result_row(task(tmp_path), tmp_path, record=record)
    assert error["status"] == "error" and error["error"].startswith("worker process died")
    assert error["steps_done"] == 5 and error["log_path"] == "l.log"


def test_written_table_reads_back_with_stable_types_and_no_temp_files(tmp_path):
    rows = [result_row(task(tmp_path, seed=s, run_id=f"r{s}"), tmp_path) for s in range(3)]
    rows[1] = result_row(task(tmp_path, seed=1, run_id="r1"), tmp_path,
                         run_record(run_id="r1", status="completed", steps_done=40, wall_time_s=1.5,
                                    final_metrics={"kl": 0.5}))
    path = write_results(tmp_path, rows)
    write_results(tmp_path, rows)  # a rewrite replaces it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.parquet"]
    for source in (tmp_path, path):
        table = read_results(source)
        assert list(table.columns) == result_columns() and len(table) == 3
    assert table["seed"].dtype == "int64" and table["steps_done"].dtype == "int64"
    assert table["wall_time_s"].dtype == "float64" and table["metric_kl"].dtype == "float64"
    assert table["metric_kl"].iloc[1] == 0.5 and table["status"].tolist() == ["pending", "completed", "pending"]
    assert pd.isna(table["error"]).all()


def test_read_results_errors_are_one_line(tmp_path):
    with pytest.raises(GanlabError, match="no sweep results here"):
        read_results(tmp_path)
    (tmp_path / "results.parquet").write_text("not parquet")
    with pytest.raises(GanlabError, match="not a readable results table"):
        read_results(tmp_path)
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "other.parquet")
    with pytest.raises(GanlabError, match="missing columns: variant"):
        read_results(tmp_path / "other.parquet")
