"""``run_sweep``: plan a sweep's runs, skip the finished ones, run the rest on a backend, keep the table.

Layout of ``<out>/<name>/``: ``sweep.json`` (manifest), ``results.parquet`` (one row per run, rewritten
atomically after each run), ``runs/<run_id>/`` (written by ``ganlab.train.train``),
``logs/<run_id>.log`` (worker output and tracebacks) and ``.lock``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ganlab.io import read_json
from ganlab.schema.run import RunRecord, finished_record, git_commit, read_run, timestamp, versions, write_run
from ganlab.schema.sweep import MANIFEST, SweepManifest, run_path, write_manifest
from ganlab.sweep.backends import get_backend
from ganlab.sweep.lock import sweep_lock
from ganlab.sweep.options import SweepOptions
from ganlab.sweep.plan import dispatch_order, plan_runs
from ganlab.sweep.progress import SweepProgress
from ganlab.sweep.results import read_results, result_row, write_results
from ganlab.sweep.spec import BASELINE, Sweep, load_sweep_spec
from ganlab.sweep.task import RunTask

ERROR_EXIT = 3


@dataclass
class SweepResult:
    sweep_dir: Path
    results: pd.DataFrame  # read_results(sweep_dir)
    n_runs: int
    n_skipped: int  # already finished before this invocation

    @property
    def n_errors(self) -> int:
        return int((self.results["status"] == "error").sum())

    @property
    def exit_code(self) -> int:
        """0, or 3 when a run errored (``failed`` runs are results, not errors)."""
        return ERROR_EXIT if self.n_errors else 0


def finished_info(task: RunTask) -> RunRecord | None:
    """run.json of the task's run when that run is finished (completed or failed), else None."""
    return finished_record(task.run_dir, task.run_id)


def run_sweep(sweep: Sweep | str | Path, out: str | Path = "runs", *, overrides: dict[str, Any] | None = None,
              workers: int | None = None, backend: str = "local", ray_address: str | None = None,
              threads: int | None = None, runs_per_gpu: int | None = None,
              progress: bool | None = None) -> SweepResult:
    """Run every unfinished run of ``sweep`` (a ``Sweep`` or a sweep file) into ``<out>/<name>/``.

    Finished runs are skipped without starting a worker; interrupted ones resume from their last
    checkpoint; errored ones are retried. A run that crashes is recorded as ``error`` and the sweep
    goes on. Raises ``SweepLocked`` (a ``GanlabError``) when another sweep holds the folder.
    """
    if not isinstance(sweep, Sweep):
        sweep = load_sweep_spec(sweep, overrides)
    sweep_dir = Path(out).absolute() / sweep.name
    run_backend = get_backend(backend)
    with sweep_lock(sweep_dir):
        tasks = plan_runs(sweep, sweep_dir)
        by_id = {t.run_id: t for t in tasks}
        rows: dict[str, dict[str, Any]] = {}
        todo = []
        for task in tasks:
            info = finished_info(task)
            log = task.log_file if Path(task.log_file).is_file() else None
            rows[task.run_id] = result_row(task, sweep_dir, info, {"log_path": log} if info else None)
            if info is None:
                todo.append(task)
        options = SweepOptions(sweep_dir=str(sweep_dir), workers=workers or sweep.workers, backend=backend,
                               ray_address=ray_address, runs_per_gpu=runs_per_gpu or sweep.runs_per_gpu,
                               threads=threads, progress=progress)
        devices = {info.device for task in tasks if (info := finished_info(task)) is not None}
        previous = _read_manifest(sweep_dir)
        manifest = _manifest(sweep, options, len(todo), devices)
        write_manifest(sweep_dir, manifest)
        write_results(sweep_dir, list(rows.values()))

        def on_done(record: dict[str, Any]) -> None:
            task = by_id[record["run_id"]]
            if record.get("status") == "error":
                _mark_error(task, record)
            if record.get("info") is not None:
                devices.add(record["info"].device)
            rows[task.run_id] = row = result_row(task, sweep_dir, record=record)
            write_results(sweep_dir, list(rows.values()))
            bar.done(row)

        try:
            with SweepProgress(len(tasks), len(tasks) - len(todo), progress) as bar:
                if previous not in (None, sweep.sha256):
                    bar.note(f"note: {sweep.source} changed since the last sweep into {sweep_dir}; runs are matched "
                             "by run id, so unchanged runs are still skipped")
                if len(todo) < len(tasks):
                    bar.note(f"{len(tasks) - len(todo)} of {len(tasks)} runs already finished in {sweep_dir}; "
                             "skipping them")
                for task, reason in _retrain_reasons(todo, sweep_dir):
                    bar.note(f"run {task.run_id} ({task.variant}, seed {task.seed}): {reason}; retraining")
                for variants, note in _short_run_notes(todo):
                    bar.note(f"{variants}: {note}")
                run_backend(dispatch_order(todo), options, on_done)
            status = "completed"
        except BaseException:
            status = "interrupted"
            raise
        finally:
            write_manifest(sweep_dir, manifest.model_copy(update={
                "status": status, "finished_at": timestamp(), "device": ", ".join(sorted(devices)) or None}))
    return SweepResult(sweep_dir, read_results(sweep_dir), len(tasks), len(tasks) - len(todo))


def _retrain_reasons(todo: list[RunTask], sweep_dir: Path) -> list[tuple[RunTask, str]]:
    """The runs to train that have a finished twin of the same config under another id, and why (the code)."""
    if not todo:
        return []
    from ganlab.config import GanlabConfig
    from ganlab.train.rundir import retrain_reasons

    reasons = retrain_reasons({t.run_id: GanlabConfig.model_validate(t.config) for t in todo},
                              run_path(sweep_dir, "_").parent)
    return [(t, reasons[t.run_id]) for t in todo if t.run_id in reasons]


def _short_run_notes(todo: list[RunTask]) -> list[tuple[str, str]]:
    """The detectors that cannot fire in runs this short (``ganlab.config.short_run``): ``(which variants
    ("every variant" when all), note)``, each note once."""
    from ganlab.config import GanlabConfig
    from ganlab.config.short_run import short_run_notes

    first = {t.variant: t for t in reversed(todo)}
    by_note: dict[str, list[str]] = {}
    for variant, task in sorted(first.items()):
        for note in short_run_notes(GanlabConfig.model_validate(task.config)):
            if "cannot fire" in note:
                by_note.setdefault(note, []).append(variant)
    return [("every variant" if len(names) == len(first) > 1 else ", ".join(names), note)
            for note, names in by_note.items()]


def _read_manifest(sweep_dir: Path) -> str | None:
    """The previous invocation's ``sweep_sha256``, or None (no manifest, or an unreadable one)."""
    try:
        previous = read_json(sweep_dir / MANIFEST)
    except (OSError, ValueError):
        return None
    return previous.get("sweep_sha256") if isinstance(previous, dict) else None


def _manifest(sweep: Sweep, options: SweepOptions, n_todo: int, devices: set[str]) -> SweepManifest:
    workers, threads, gpus = options.workers, options.threads, None
    if options.backend == "local" and n_todo:
        from ganlab.sweep.backends.local import worker_plan

        plan = worker_plan(n_todo, options)
        workers, threads = len(plan), plan[0][1]
        gpus = [gpu for gpu, _ in plan] if plan[0][0] is not None else None
    source = str(Path(sweep.source).absolute()) if sweep.source != "<sweep>" else None
    return SweepManifest(
        name=sweep.name, description=sweep.description, sweep_file=source, sweep_sha256=sweep.sha256,
        set_overrides=sweep.set_overrides, versions=versions(), git_commit=git_commit(), started_at=timestamp(),
        status="running", backend=options.backend, workers=workers, runs_per_gpu=options.runs_per_gpu,
        threads=threads, gpus=gpus, device=", ".join(sorted(devices)) or None, baseline=BASELINE,
        variants=sweep.variants, seeds=list(sweep.seeds), n_runs=sweep.n_runs, n_to_run=n_todo,
        analysis=sweep.analysis.model_dump(mode="json"),
        baseline_seeds=list(sweep.baseline_seeds) if sweep.baseline_seeds else None)


def _mark_error(task: RunTask, record: dict[str, Any]) -> None:
    """A worker that died left run.json at ``running``: say ``error`` there too (it still resumes)."""
    info = read_run(task.run_dir)
    if info is not None and info.status == "running":
        write_run(task.run_dir, info.model_copy(update={
            "status": "error", "error": record.get("error"), "error_log": record.get("log_path")}))
