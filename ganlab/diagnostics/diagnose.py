"""Offline diagnosis: ``diagnose_path`` on a run directory or a metrics file (what ``ganlab diagnose`` runs)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics.log import check_log, read_log
from ganlab.diagnostics.registry import detect
from ganlab.diagnostics.settings import diagnostics_settings
from ganlab.diagnostics.sources import Run, find_runs
from ganlab.errors import DataError
from ganlab.schema import CONFIG_YAML, EVAL_COLUMNS, METRICS_FILE, RUN_JSON, Event

if TYPE_CHECKING:
    import pandas as pd

    from ganlab.diagnostics.sources.sample_grids import SampleGrids


def run_context(run_dir: Path) -> dict[str, Any]:
    """``non_finite_tensor`` (and the step the run stopped at) from run.json, when the trainer recorded one."""
    path = run_dir / RUN_JSON
    if not path.is_file():
        return {}
    try:
        info = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as err:
        why = "nested too deeply" if isinstance(err, RecursionError) else str(err).splitlines()[0][:200]
        raise DataError(f"{path}: not valid JSON ({why}); delete it or fix it to diagnose this run") from None
    tensor = info.get("non_finite_tensor") if isinstance(info, dict) else None
    if not isinstance(tensor, str) or not tensor:
        return {}
    step = info.get("steps_done")
    return {"non_finite_tensor": tensor, **({"non_finite_step": step} if isinstance(step, int) else {})}


def _diagnostics_section(config_yaml: Path) -> DiagnosticsConfig:
    """The ``diagnostics:`` section of a run's config.yaml, validated (errors name the file and line).

    Only this section is validated: the rest (dataset, model) means nothing to a detector, and a log
    written by another version of ganlab may hold keys this one does not know.
    """
    from ganlab.config.load import read_yaml, validate  # here, not at import: keeps detectors light

    data, lines = read_yaml(config_yaml)
    section = {"diagnostics": data["diagnostics"]} if "diagnostics" in data else {}
    return validate(section, str(config_yaml), lines).diagnostics


def resolve(path: str | Path) -> tuple[Path, DiagnosticsConfig, dict[str, Any]]:
    """The metrics file, the diagnostics config and the context for a run directory or a metrics file."""
    path = Path(path)
    if path.is_dir():
        metrics = path / METRICS_FILE
        if not metrics.is_file():
            raise DataError(f"{path}: no {METRICS_FILE} in this directory; pass a run directory or a metrics file")
        config = DiagnosticsConfig()
        if (path / CONFIG_YAML).is_file():
            config = _diagnostics_section(path / CONFIG_YAML)
        return metrics, config, run_context(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    return path, DiagnosticsConfig(), {}


def diagnose_path(path: str | Path, config: DiagnosticsConfig | str | Path | None = None,
                  overrides: Mapping[str, Any] | None = None, mapping: Mapping[str, str] | None = None,
                  grids: SampleGrids | None = None) -> list[Event]:
    """Events for a run directory (its metrics.parquet, config.yaml and run.json) or a .parquet/.csv log.

    ``config`` (a ``DiagnosticsConfig`` or a config file's ``diagnostics:`` section) replaces the one
    found in the run directory (default: ``DiagnosticsConfig()``); ``overrides`` (``--set``:
    ``{'diagnostics.KEY': value}``) apply on top, as the trainer applies them; ``mapping`` names the
    log's column for a schema column (``--map loss_d=lossD``). Raises ``DataError`` for a missing path,
    an unreadable file or a column an enabled detector needs (``ConfigError`` for bad settings).
    """
    runs = find_runs(path)
    if len(runs) > 1:
        raise DataError(f"{path}: holds {len(runs)} runs; diagnose one of them, or use diagnose_runs")
    return diagnose_run(runs[0], config, overrides, mapping, grids)


def diagnose_run(run: Run, config: DiagnosticsConfig | str | Path | None = None,
                 overrides: Mapping[str, Any] | None = None, mapping: Mapping[str, str] | None = None,
                 grids: SampleGrids | None = None) -> list[Event]:
    """Events of one run found by ``find_runs`` (a ganlab run directory, a log file, TensorBoard, MLflow).

    ``grids``: score a TensorBoard log's sample grids against real data into the ``eval_*`` columns
    (``ganlab.diagnostics.sources.sample_grids``); other kinds of run have none to score.
    """
    if run.kind in ("ganlab", "file"):
        metrics, found, context = resolve(run.path)
        settings = diagnostics_settings(found if config is None else config, overrides)
        return detect(read_log(metrics, settings.detectors, mapping), settings, context)
    log, settings = external_log(run, diagnostics_settings(config, overrides), mapping, grids)
    return detect(log, settings)


def external_log(run: Run, settings: DiagnosticsConfig, mapping: Mapping[str, str] | None = None,
                 grids: SampleGrids | None = None) -> tuple[pd.DataFrame, DiagnosticsConfig]:
    """Another tool's log (TensorBoard, MLflow) under the schema's names, with a TensorBoard log's sample
    grids scored into the ``eval_*`` columns when ``grids`` is given, and the settings to detect on it
    (``eval_samples``: the grids' tile count, the sample size the coverage is normalised by)."""
    if grids is not None and run.kind == "tensorboard":
        frame, samples = with_grid_columns(run.path, grids)
        if samples:
            settings = settings.model_copy(update={"eval_samples": samples})
    else:
        frame = run.read()
    return check_log(frame, str(run.path), settings.detectors, mapping), settings


def with_grid_columns(path: Path, grids: SampleGrids) -> tuple[pd.DataFrame, int]:
    """A TensorBoard log's scalars with its sample grids' ``eval_*`` columns joined at their steps, and the
    grids' largest tile count (0 when it has no images)."""
    from ganlab.diagnostics.sources.sample_grids import grid_columns
    from ganlab.diagnostics.sources.tensorboard import read_tensorboard

    scalars = read_tensorboard(path, allow_empty=True)
    evals, samples = grid_columns(path, grids)
    if not samples:
        return (scalars if not scalars.empty else read_tensorboard(path)), 0
    clash = [c for c in EVAL_COLUMNS if c in scalars.columns]
    if clash:
        raise DataError(f"{path}: the log has {clash[0]!r} scalars and sample grids to score into it; "
                        "diagnose it without the real data to use its own")
    return scalars.merge(evals, on="step", how="outer").sort_values("step", kind="stable"), samples


def diagnose_runs(path: str | Path, config: DiagnosticsConfig | str | Path | None = None,
                  overrides: Mapping[str, Any] | None = None,
                  mapping: Mapping[str, str] | None = None,
                  grids: SampleGrids | None = None) -> list[tuple[Path, list[Event]]]:
    """``(run path, events)`` of every run at or below ``path`` (one per seed or variant), sorted by path;
    ``grids`` as for ``diagnose_run``."""
    return [(run.path, diagnose_run(run, config, overrides, mapping, grids)) for run in find_runs(path)]
