"""``results.parquet``: one row per run of a sweep, rewritten atomically after every finished run.

The columns are a contract (the report and the CI gate read them); docs/sweeps.md lists them.
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

from ganlab.config.diagnostics import DETECTOR_KINDS
from ganlab.errors import GanlabError
from ganlab.io import atomic_path
from ganlab.metrics.evaluate import EVAL_KEYS
from ganlab.sweep.task import RunTask

RESULTS = "results.parquet"
STATUSES = ("completed", "failed", "error", "pending")
METRIC_KEYS = EVAL_KEYS  # the final metrics in run.json, one metric_<key> column each


def detector_kinds() -> tuple[str, ...]:
    """Event kinds, one onset_<kind> column each (the keys of ``ganlab.diagnostics.DETECTORS``)."""
    return DETECTOR_KINDS


_BASE_SCHEMA = [
    ("variant", pa.string()), ("seed", pa.int64()), ("run_id", pa.string()), ("overrides", pa.string()),
    ("status", pa.string()), ("steps_done", pa.int64()), ("steps_total", pa.int64()),
    ("wall_time_s", pa.float64()), ("stop_reason", pa.string()), ("error", pa.string()),
    ("log_path", pa.string()), ("run_dir", pa.string()), ("events", pa.string()), ("event_kinds", pa.string()),
]


def schema() -> pa.Schema:
    return pa.schema([*_BASE_SCHEMA, *((f"onset_{k}", pa.float64()) for k in detector_kinds()),
                      *((f"metric_{k}", pa.float64()) for k in METRIC_KEYS)])


def result_columns() -> list[str]:
    return list(schema().names)


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
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def result_row(task: RunTask, sweep_dir: str | Path, info: Mapping[str, Any] | None = None,
               record: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One table row from a run's ``run.json`` (``info``) and/or the backend's record; neither = pending."""
    sweep_dir = Path(sweep_dir)
    info = info or (record or {}).get("info") or {}
    record = record or {}
    status = record.get("status") or info.get("status") or "pending"
    if status == "running":
        status = "pending"
    events = [{k: e.get(k) for k in ("kind", "step", "severity")} for e in info.get("events") or []]
    metrics = info.get("final_metrics") or {}
    row: dict[str, Any] = {
        "variant": task.variant, "seed": int(task.seed), "run_id": task.run_id,
        "overrides": json.dumps(task.overrides, sort_keys=False, default=str), "status": status,
        "steps_done": int(info.get("steps_done") or 0),
        "steps_total": int(info.get("steps_total") or task.config.get("train", {}).get("steps", 0)),
        "wall_time_s": _float(record.get("wall_time_s", info.get("wall_time_s", math.nan))),
        "stop_reason": info.get("stop_reason"),
        "error": (record.get("error") or info.get("error")) if status == "error" else None,
        "log_path": _relative(record.get("log_path"), sweep_dir), "run_dir": _relative(task.run_dir, sweep_dir),
        "events": json.dumps(events), "event_kinds": ",".join(sorted({str(e["kind"]) for e in events})),
    }
    for kind in detector_kinds():
        onsets = [_float(e["step"]) for e in events if e["kind"] == kind]
        row[f"onset_{kind}"] = min(onsets) if onsets else math.nan
    for key in METRIC_KEYS:
        row[f"metric_{key}"] = _float(metrics.get(key))
    return row


def write_results(sweep_dir: str | Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``<sweep_dir>/results.parquet`` atomically (temp file + rename); returns its path."""
    path = Path(sweep_dir) / RESULTS
    table = pa.Table.from_pylist(rows, schema=schema())
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
    missing = [c for c in (name for name, _ in _BASE_SCHEMA) if c not in table.columns]
    if missing:
        raise GanlabError(f"{file}: not a sweep results table (missing columns: {', '.join(missing)})")
    return table
