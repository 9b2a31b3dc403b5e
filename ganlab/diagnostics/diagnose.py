"""Offline diagnosis: ``diagnose_path`` on a run directory or a metrics file (what ``ganlab diagnose`` runs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics.events import Event
from ganlab.diagnostics.log import read_log
from ganlab.diagnostics.registry import detect
from ganlab.errors import DataError

METRICS_FILE = "metrics.parquet"


def _run_context(run_dir: Path) -> dict[str, Any]:
    """``non_finite_tensor`` from run.json, when the trainer recorded one."""
    path = run_dir / "run.json"
    if not path.is_file():
        return {}
    try:
        info = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise DataError(f"{path}: not valid JSON ({err}); delete it or fix it to diagnose this run") from None
    tensor = info.get("non_finite_tensor") if isinstance(info, dict) else None
    return {"non_finite_tensor": tensor} if tensor else {}


def resolve(path: str | Path) -> tuple[Path, DiagnosticsConfig, dict[str, Any]]:
    """The metrics file, the diagnostics config and the context for a run directory or a metrics file."""
    path = Path(path)
    if path.is_dir():
        metrics = path / METRICS_FILE
        if not metrics.is_file():
            raise DataError(f"{path}: no {METRICS_FILE} in this directory; pass a run directory or a metrics file")
        config = DiagnosticsConfig()
        if (path / "config.yaml").is_file():
            from ganlab.config import load_config  # here, not at import: keeps detectors light

            config = load_config(path / "config.yaml").diagnostics
        return metrics, config, _run_context(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    return path, DiagnosticsConfig(), {}


def diagnose_path(path: str | Path, config: DiagnosticsConfig | None = None) -> list[Event]:
    """Events for a run directory (its metrics.parquet, config.yaml and run.json) or a .parquet/.csv log.

    ``config`` overrides the one found in the run directory (default: ``DiagnosticsConfig()``).
    Raises ``DataError`` for a missing path, an unreadable file or missing required columns.
    """
    metrics, found, context = resolve(path)
    return detect(read_log(metrics), config or found, context)
