"""The run directory: run ids, ``run.json``, versions and the user's git commit."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import torch

import ganlab
from ganlab.config import GanlabConfig, config_to_dict
from ganlab.io import atomic_write_json, read_json

RUN_STATUSES = ("running", "completed", "failed", "error")
FINISHED = ("completed", "failed")


def run_id(config: GanlabConfig) -> str:
    """Stable 12-hex-digit hash of the resolved config (seed included, ``output`` excluded).

    ``output`` only says where results go, so moving a sweep's output keeps its run ids.
    """
    data = config_to_dict(config)
    data.pop("output", None)
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def timestamp() -> str:
    """Local time as ISO 8601 with offset, the format of every ``*_at`` field ganlab writes."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def versions() -> dict[str, str]:
    return {"ganlab": ganlab.__version__, "torch": torch.__version__, "python": platform.python_version()}


def git_commit(cwd: str | Path | None = None) -> str | None:
    """The commit of the repository the user runs from, or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def read_run(run_dir: str | Path) -> dict[str, Any] | None:
    """``run.json`` as a dict, or None when it is missing or unreadable."""
    path = Path(run_dir) / "run.json"
    try:
        return read_json(path)
    except (OSError, ValueError):
        return None


def write_run(run_dir: str | Path, info: dict[str, Any]) -> None:
    atomic_write_json(Path(run_dir) / "run.json", info)
