"""A sweep folder ``<out>/<name>/``: ``sweep.json`` (``SweepManifest``) and ``results.parquet``'s columns.

Layout: ``sweep.json``, ``results.parquet`` (one row per run, rewritten atomically after each run),
``runs/<run_id>/`` (run directories, ``ganlab.schema.run``), ``logs/<run_id>.log`` and ``.lock``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from ganlab.io import atomic_write_text
from ganlab.schema.events import EVENT_KINDS
from ganlab.schema.log import EVAL_KEYS

MANIFEST = "sweep.json"
RESULTS = "results.parquet"
RUNS_DIR = "runs"
LOGS_DIR = "logs"
BASELINE = "baseline"  # the variant that is the base config itself


def run_path(sweep_dir: str | Path, run_id: str) -> Path:
    """``<sweep>/runs/<run_id>``: the run directory of one run of a sweep."""
    return Path(sweep_dir) / RUNS_DIR / run_id


def run_log(sweep_dir: str | Path, run_id: str) -> Path:
    """``<sweep>/logs/<run_id>.log``: the worker output of one run of a sweep."""
    return Path(sweep_dir) / LOGS_DIR / f"{run_id}.log"


class SweepManifest(BaseModel):
    """``sweep.json``: the latest invocation of a sweep (docs/sweeps.md)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    sweep_file: str | None = None  # absolute path; None for a sweep built in code
    sweep_sha256: str = ""  # of the sweep file's text ("" without a file)
    set_overrides: dict[str, Any] = {}
    versions: dict[str, str]  # ganlab, torch, python
    git_commit: str | None = None
    started_at: str
    finished_at: str | None = None
    status: Literal["running", "completed", "interrupted"] = "running"
    backend: str = "local"
    workers: int | None = None
    runs_per_gpu: int = 1
    threads: int | None = None  # torch threads per worker
    gpus: list[str | None] | None = None  # each local worker's CUDA_VISIBLE_DEVICES; None on CPU
    device: str | None = None  # the devices the runs trained on ("cpu", "cuda:0, cuda:1"); None before any ran
    baseline: str = BASELINE
    variants: dict[str, dict[str, Any]]  # name -> dotted overrides
    seeds: list[int]
    n_runs: int
    n_to_run: int = 0  # runs this invocation had to train
    # The sweep file's analysis plan (ganlab.stats.plan.AnalysisPlan, as JSON) and a larger baseline arm.
    analysis: dict[str, Any] | None = None
    baseline_seeds: list[int] | None = None


def write_manifest(sweep_dir: str | Path, manifest: SweepManifest) -> None:
    """``<sweep>/sweep.json``, written atomically."""
    atomic_write_text(Path(sweep_dir) / MANIFEST, manifest.model_dump_json(indent=2) + "\n")


# results.parquet: the fixed columns, then onset_<kind> per detector and metric_<key> per final metric.
BASE_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("variant", pa.string()), ("seed", pa.int64()), ("run_id", pa.string()), ("overrides", pa.string()),
    ("status", pa.string()), ("steps_done", pa.int64()), ("steps_total", pa.int64()),
    ("wall_time_s", pa.float64()), ("stop_reason", pa.string()), ("error", pa.string()),
    ("log_path", pa.string()), ("run_dir", pa.string()), ("events", pa.string()), ("event_kinds", pa.string()),
)
ONSET_PREFIX, METRIC_PREFIX = "onset_", "metric_"


def results_schema() -> pa.Schema:
    return pa.schema([*BASE_COLUMNS, *((f"{ONSET_PREFIX}{k}", pa.float64()) for k in EVENT_KINDS),
                      *((f"{METRIC_PREFIX}{k}", pa.float64()) for k in EVAL_KEYS)])


def result_columns() -> list[str]:
    return list(results_schema().names)
