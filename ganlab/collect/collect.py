"""``collect_runs``: runs of ``ganlab train``, of ``ganlab.Monitor`` and of other code (TensorBoard, MLflow,
W&B or CSV logs) gathered into one sweep folder, grouped into variants by a pattern, for ``ganlab report``.

Run directories with a ``run.json`` are referenced where they are (their events and final metrics as
written); another tool's log is diagnosed (``ganlab diagnose``'s settings) and written as a run directory
under ``<out>/runs/`` through the schema's writers. ``sweep.json`` and ``results.parquet`` are written
with the sweep's own writers, so the report reads the folder as it reads a sweep.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics import detect
from ganlab.diagnostics.diagnose import external_log, resolve
from ganlab.diagnostics.log import read_log
from ganlab.diagnostics.settings import diagnostics_settings
from ganlab.diagnostics.sources import Run, find_runs
from ganlab.errors import ConfigError, DataError
from ganlab.io import check_output_dir
from ganlab.schema import (
    EVENTS_JSON,
    METRICS_FILE,
    EventSummary,
    RunRecord,
    SweepManifest,
    git_commit,
    read_run,
    run_path,
    timestamp,
    versions,
    write_events,
    write_log,
    write_manifest,
    write_run,
)
from ganlab.sweep.results import result_row, write_results
from ganlab.sweep.task import RunTask

if TYPE_CHECKING:
    from ganlab.diagnostics.sources.sample_grids import SampleGrids

BACKEND = "collected"


def group_of(path: Path, pattern: str | None) -> tuple[str, int | None]:
    """``(variant, seed or None)`` of a run path: the parent folder's name without a pattern; else the
    pattern's ``variant`` group (or its first group, or the whole match) and ``seed`` group, searched in
    the path (``/``-separated)."""
    if pattern is None:
        return path.parent.name or path.name, None
    try:
        regex = re.compile(pattern)
    except re.error as err:
        raise ConfigError(f"--group {pattern!r}: not a regular expression ({err})") from None
    match = regex.search(path.as_posix())
    if match is None:
        raise DataError(f"{path}: matches no --group pattern {pattern!r}; give a pattern every run path matches, "
                        "e.g. 'runs/(?P<variant>[^/]+)/seed(?P<seed>\\d+)'")
    named = match.groupdict()
    variant = named.get("variant") or (match.group(1) if regex.groups else match.group(0))
    seed = named.get("seed")
    return str(variant), int(seed) if seed is not None and seed.isdigit() else None


def _external(run: Run, out: Path, settings: DiagnosticsConfig | str | Path | None, overrides: Mapping[str, Any] | None,
              mapping: Mapping[str, str] | None, grids: SampleGrids | None = None) -> tuple[str, RunRecord]:
    """Another tool's log as a run directory under ``<out>/runs/``: its log, events and a run.json."""
    run_id = hashlib.sha256(str(run.path.resolve()).encode()).hexdigest()[:12]
    if run.kind in ("ganlab", "file"):
        metrics, found, context = resolve(run.path)
        config = diagnostics_settings(found if settings is None else settings, overrides)
        log = read_log(metrics, config.detectors, mapping)
    else:
        log, config = external_log(run, diagnostics_settings(settings, overrides), mapping, grids)
        context = {}
    events = detect(log, config, context)
    run_dir = run_path(out, run_id)
    write_log(run_dir / METRICS_FILE, [{str(k): v for k, v in row.items()} for row in log.to_dict("records")])
    write_events(run_dir / EVENTS_JSON, events)
    last = int(log["step"].max())
    record = RunRecord(run_id=run_id, status="completed", steps_done=last, steps_total=last, wall_time_s=None,
                       versions=versions(), device=f"{run.kind} log: {run.path}", git_commit=None,
                       events=[EventSummary(kind=e.kind, step=e.step, severity=e.severity) for e in events],
                       started_at=timestamp(), finished_at=timestamp())
    write_run(run_dir, record)
    return str(run_dir), record


def collect_runs(paths: Sequence[str | Path], out: str | Path, group: str | None = None, *,
                 baseline: str | None = None, name: str | None = None,
                 settings: DiagnosticsConfig | str | Path | None = None,
                 overrides: Mapping[str, Any] | None = None, mapping: Mapping[str, str] | None = None,
                 grids: SampleGrids | None = None) -> Path:
    """Write ``<out>/sweep.json`` and ``results.parquet`` for every run at or below ``paths``; returns ``out``.

    ``group`` is a regular expression over each run's path (see ``group_of``); ``baseline`` is the
    variant the report compares with (default: the first in path order). ``settings``, ``overrides``
    ``mapping`` and ``grids`` (a TensorBoard log's sample grids to score) are ``ganlab diagnose``'s, for the
    logs that are not ganlab run directories.
    """
    out = check_output_dir(out, "--out")
    runs: dict[Path, Run] = {}
    for path in paths:
        for run in find_runs(path, skip=out):  # not a previous collect's own run folders
            runs.setdefault(run.path.resolve(), run)
    if not runs:
        raise DataError(f"no runs to collect in {', '.join(map(str, paths))} outside --out {out}")
    rows: list[dict[str, Any]] = []
    variants: dict[str, dict[str, Any]] = {}
    seeds: set[int] = set()
    taken: dict[str, set[int]] = {}
    for run in sorted(runs.values(), key=lambda r: r.path.as_posix()):
        variant, seed = group_of(run.path, group)
        used = taken.setdefault(variant, set())
        seed = seed if seed is not None and seed not in used else next(i for i in range(len(used) + 1) if i not in used)
        used.add(seed)
        info = read_run(run.path) if run.kind == "ganlab" else None
        if info is not None:
            run_dir, run_id = str(run.path.resolve()), info.run_id
        else:
            run_dir, info = _external(run, out, settings, overrides, mapping, grids)
            run_id = info.run_id
        variants.setdefault(variant, {})
        seeds.add(seed)
        rows.append(result_row(RunTask(variant, seed, run_id, {}, {}, run_dir), out, info))
    if baseline is not None and baseline not in variants:
        raise ConfigError(f"--baseline {baseline!r}: no such group; the groups are {', '.join(variants)}")
    now = timestamp()
    manifest = SweepManifest(
        name=name or out.resolve().name, description="runs gathered by ganlab collect", versions=versions(),
        git_commit=git_commit(), started_at=now, finished_at=now, status="completed", backend=BACKEND,
        baseline=baseline or next(iter(variants)), variants=variants, seeds=sorted(seeds), n_runs=len(rows))
    write_manifest(out, manifest)
    write_results(out, rows)
    return out
