"""``results.parquet``: one row per run of a sweep, rewritten atomically after every finished run.

The columns are a contract (the report and the CI gate read them): ``ganlab.schema.sweep`` defines them
and docs/sweeps.md lists them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ganlab.errors import GanlabError
from ganlab.io import atomic_path
from ganlab.schema import EVAL_KEYS, EVENT_KINDS, RESULTS, RunRecord, result_columns, results_schema
from ganlab.schema.sweep import BASE_COLUMNS, METRIC_PREFIX, ONSET_PREFIX
from ganlab.sweep.task import RunTask

__all__ = ["RESULTS", "read_results", "result_columns", "result_row", "write_results"]


def _relative(path: str | None, sweep_dir: Path) -> str | None:
    if not path:
        return None
    p = Path(path)
    try:
        return str(p.resolve().relative_to(sweep_dir.resolve()))
    except ValueError:
        return str(p)


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def result_row(task: RunTask, sweep_dir: str | Path, info: RunRecord | None = None,
               record: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One table row from a run's ``run.json`` (``info``) and/or the backend's record; neither = pending."""
    sweep_dir = Path(sweep_dir)
    record = record or {}
    info = info or record.get("info")
    status = record.get("status") or (info.status if info is not None else "pending")
    if status == "running":  # interrupted: it resumes next time
        status = "pending"
    events = [e.model_dump(mode="json") for e in info.events] if info is not None else []
    metrics = (info.final_metrics if info is not None else None) or {}
    wall = record.get("wall_time_s", info.wall_time_s if info is not None else math.nan)
    error = record.get("error") or (info.error if info is not None else None)
    row: dict[str, Any] = {
        "variant": task.variant, "seed": int(task.seed), "run_id": task.run_id,
        "overrides": json.dumps(task.overrides, sort_keys=False, default=str), "status": status,
        "steps_done": info.steps_done if info is not None else 0,
        "steps_total": info.steps_total if info is not None else int(task.config.get("train", {}).get("steps", 0)),
        "wall_time_s": _float(wall), "stop_reason": info.stop_reason if info is not None else None,
        "error": error if status == "error" else None,
        "log_path": _relative(record.get("log_path"), sweep_dir), "run_dir": _relative(task.run_dir, sweep_dir),
        "events": json.dumps(events), "event_kinds": ",".join(sorted({str(e["kind"]) for e in events})),
    }
    for kind in EVENT_KINDS:
        onsets = [_float(e["step"]) for e in events if e["kind"] == kind]
        row[f"{ONSET_PREFIX}{kind}"] = min(onsets) if onsets else math.nan
    for key in EVAL_KEYS:
        row[f"{METRIC_PREFIX}{key}"] = _float(metrics.get(key))
    return row


def write_results(sweep_dir: str | Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``<sweep_dir>/results.parquet`` atomically (temp file + rename); returns its path."""
    path = Path(sweep_dir) / RESULTS
    table = pa.Table.from_pylist(rows, schema=results_schema())
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return path


def read_results(path: str | Path) -> pd.DataFrame:
    """Read a sweep's results table: ``path`` is the sweep folder or the ``results.parquet`` itself.

    One row per run with the documented columns; the ``*_s``/``onset_*``/``metric_*`` columns are float
    (NaN when absent), ``seed``/``steps_*`` int64, and ``stop_reason``/``error``/``log_path`` None or str.
    """
    path = Path(path)
    file = path / RESULTS if path.is_dir() else path
    if not file.is_file():
        raise GanlabError(f"{file}: no sweep results here; run `ganlab sweep SWEEP.yaml` first")
    try:
        table = pd.read_parquet(file)
    except Exception as err:  # noqa: BLE001 - any unreadable file gets the same one-line message
        raise GanlabError(f"{file}: not a readable results table ({type(err).__name__}: {err})") from None
    missing = [name for name, _ in BASE_COLUMNS if name not in table.columns]
    if missing:
        raise GanlabError(f"{file}: not a sweep results table (missing columns: {', '.join(missing)})")
    return table
