"""The run directory ``<out>/<run_id>/`` and its ``run.json`` (``RunRecord``), written by ``ganlab.train``.

Readers (the sweep driver, the report, ``diagnose``, the CI gate) use this module, never the trainer,
so they need no torch. Layout: ``config.yaml`` (resolved), ``metrics.parquet`` (``ganlab.schema.log``),
``samples/step_XXXXXX.png``, ``checkpoint.pt``, ``run.json``, ``events.json`` (``ganlab.schema.events``),
``error.log`` after a crash and ``.lock`` (held by the process training there). The names below are the
only place these file names are spelled.
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
import subprocess
import time
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

import ganlab
from ganlab.io import atomic_write_text
from ganlab.schema.events import EventKind, Severity

CONFIG_YAML = "config.yaml"
METRICS_FILE = "metrics.parquet"
CHECKPOINT = "checkpoint.pt"
RUN_JSON = "run.json"
EVENTS_JSON = "events.json"
ERROR_LOG = "error.log"
LOCK_FILE = ".lock"  # a run directory's, and a sweep folder's (``ganlab.lock.held``)
SAMPLES_DIR = "samples"
SAMPLE_NAME = re.compile(r"^step_(\d+)\.png$")  # samples/step_XXXXXX.png: the grid at that step


def sample_path(run_dir: str | Path, step: int) -> Path:
    """``run_dir/samples/step_XXXXXX.png``, the sample grid written at ``step``."""
    return Path(run_dir) / SAMPLES_DIR / f"step_{step:06d}.png"


def sample_files(run_dir: str | Path | None) -> dict[int, Path]:
    """``{step: path}`` of a run's sample grids, in step order (empty when there are none)."""
    folder = None if run_dir is None else Path(run_dir) / SAMPLES_DIR
    if folder is None or not folder.is_dir():
        return {}
    found = {int(m.group(1)): p for p in folder.iterdir() if (m := SAMPLE_NAME.match(p.name))}
    return dict(sorted(found.items()))

RunStatus = Literal["running", "completed", "failed", "error"]
RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)  # what RunRecord.status accepts
# A finished run is a result and is never trained again: ``failed`` means a detector (or a NaN) stopped
# it. ``error`` (it crashed) and ``running`` (interrupted) runs resume from their checkpoint.
FINISHED: tuple[RunStatus, ...] = ("completed", "failed")


def timestamp() -> str:
    """Local time as ISO 8601 with offset, the format of every ``*_at`` field ganlab writes."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def versions() -> dict[str, str]:
    """``{ganlab, torch, python}``; torch's from its installed metadata, so no torch import is needed."""
    try:
        torch_version = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        torch_version = "not installed"
    return {"ganlab": ganlab.__version__, "torch": torch_version, "python": platform.python_version()}


def git_commit(cwd: str | Path | None = None) -> str | None:
    """The commit of the repository the user runs from, or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


class EventSummary(BaseModel):
    """An event as ``run.json`` and ``results.parquet`` list it (``events.json`` has the full event)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: EventKind
    step: int
    severity: Severity


class RunRecord(BaseModel):
    """``run.json``: one run's identity, progress and outcome. Rewritten (atomically) at the start, at
    every checkpoint and at the end; ``model_copy(update=...)`` makes the next version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str  # 12 hex digits of the resolved config's hash (``ganlab.train.run_id``)
    status: RunStatus
    steps_done: int
    steps_total: int
    wall_time_s: float | None  # training time over all resumed segments; None: not known (another tool's log)
    versions: dict[str, str]  # ganlab, torch, python
    device: str  # the resolved device, e.g. "cpu" or "cuda:0"
    git_commit: str | None  # of the directory the run was started from
    code: dict[str, str] | None = None  # the code identity in the run id: ganlab's version, each model module's hash
    resumed_from: int | None = None  # the checkpoint step this segment resumed from
    events: list[EventSummary] = []
    stop_reason: str | None = None  # why a ``failed`` run stopped, one sentence
    error: str | None = None  # ``TypeName: message`` of an ``error`` run
    error_log: str | None = None  # the traceback's file (``error.log``)
    final_metrics: dict[str, float | None] | None = None  # the ``EVAL_KEYS``; None when not evaluated
    non_finite_tensor: str | None = None  # the first NaN/Inf tensor, e.g. "grad of D.main.3.weight"
    started_at: str
    finished_at: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def to_json(self) -> dict[str, object]:
        return self.model_dump(mode="json")


def read_run(run_dir: str | Path) -> RunRecord | None:
    """``run_dir/run.json``, or None when it is missing, unreadable or not a run record."""
    try:
        return RunRecord.model_validate_json((Path(run_dir) / RUN_JSON).read_bytes())
    except (OSError, ValidationError, RecursionError):
        return None


def write_run(run_dir: str | Path, record: RunRecord) -> None:
    atomic_write_text(Path(run_dir) / RUN_JSON, record.model_dump_json(indent=2) + "\n")


def finished_record(run_dir: str | Path, run_id: str) -> RunRecord | None:
    """run.json of ``run_id`` in ``run_dir`` when that run finished (completed or failed), else None."""
    record = read_run(run_dir)
    return record if record is not None and record.run_id == run_id and record.finished else None
