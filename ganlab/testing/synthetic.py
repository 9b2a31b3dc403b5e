"""Synthetic sweep directories for tests and benchmarks: the on-disk layout of ``ganlab sweep``, no training.

``make_sweep(root)`` writes ``sweep.json``, ``results.parquet`` and one run folder per (variant, seed)
with ``config.yaml``, ``metrics.parquet``, ``samples/step_XXXXXX.png``, ``events.json`` and ``run.json``.
Each variant fails with its own probability, so tests can build sweeps with or without a real difference.
The files are written through the same writers as real runs and sweeps (``write_run_config``,
``ganlab.schema``'s ``write_log``, ``write_events``, ``RunRecord`` and ``SweepManifest``,
``ganlab.sweep.results``), so the fixture cannot drift from the contract.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ganlab.config import config_to_dict, validate, write_run_config
from ganlab.io import atomic_write_bytes
from ganlab.schema import (
    EVAL_KEYS,
    EVENTS_JSON,
    LOG_COLUMNS,
    METRICS_FILE,
    Event,
    EventKind,
    EventSummary,
    RunRecord,
    Severity,
    SweepManifest,
    run_log,
    run_path,
    sample_path,
    write_events,
    write_log,
    write_manifest,
    write_run,
)
from ganlab.sweep.results import result_row, write_results
from ganlab.sweep.task import RunTask

VERSIONS = {"ganlab": "0.1.0", "torch": "2.13.0", "python": "3.11.2"}
DEFAULT_VARIANTS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "no_batchnorm": {"model.batchnorm": "none"},
    "relu_in_d": {"model.d_activation": "relu"},
}
DEFAULT_FAIL = {"baseline": 0.1, "no_batchnorm": 0.9, "relu_in_d": 0.3}
_BASE_CONFIG: dict[str, Any] = {
    "seed": 0,
    "data": {"dataset": "stacked-digits", "resolution": 32},
    "model": {"nz": 100, "d_downsample": "strided", "g_upsample": "transposed", "batchnorm": "both",
              "d_activation": "leaky_relu", "g_activation": "relu", "fc_hidden": 0, "g_output": "tanh"},
    "train": {"steps": 400, "batch_size": 64, "lr_g": 0.0002, "lr_d": 0.0002, "loss": "nonsaturating"},
    "output": {"dir": "runs"},
}


def make_sweep(root: str | Path, variants: dict[str, dict[str, Any]] | None = None, seeds: int = 5,
               steps: int = 400, fail: dict[str, float] | None = None, *, name: str = "synthetic",
               checkpoint_every: int = 100, pending: int = 0, errored: int = 0, seed: int = 0,
               baseline_seeds: int | None = None, warn: float = 0.15) -> Path:
    """Write a finished (or, with ``pending``/``errored``, partial) synthetic sweep into ``root``; return it.

    ``fail[variant]`` is the chance that a run of that variant has a failure event (default 0.2). The last
    ``pending`` runs are still pending (no run folder); the ``errored`` runs before them crashed.
    ``baseline_seeds`` gives the baseline a larger arm; ``warn`` is the chance of an ``oscillation`` warning.
    """
    root = Path(root)
    variants = DEFAULT_VARIANTS if variants is None else variants
    fail = DEFAULT_FAIL if fail is None else fail
    rng, warn_rng = np.random.default_rng(seed), np.random.default_rng(seed + 10_000)
    plan = [(v, s) for v in variants for s in range(baseline_seeds if v == "baseline" and baseline_seeds else seeds)]
    rows = []
    for i, (variant, s) in enumerate(plan):
        status = "pending" if i >= len(plan) - pending else "error" if i >= len(plan) - pending - errored else None
        rows.append(_run(root, variant, s, variants[variant], steps, fail.get(variant, 0.2), checkpoint_every,
                         status, rng, warn_rng.random() < warn))
    meta = SweepManifest(name=name, sweep_file=f"{name}.yaml", sweep_sha256="0" * 64, versions=VERSIONS,
                         git_commit="0123abcd" * 5, started_at="2025-01-01T10:00:00+0000",
                         finished_at="2025-01-01T11:00:00+0000", status="completed", backend="local", workers=2,
                         device="cpu", variants=variants, seeds=list(range(seeds)), n_runs=len(plan),
                         n_to_run=len(plan),
                         baseline_seeds=list(range(baseline_seeds)) if baseline_seeds else None)
    write_manifest(root, meta)
    write_results(root, rows)
    return root


def _run(root: Path, variant: str, seed: int, overrides: dict[str, Any], steps: int, p_fail: float,
         checkpoint_every: int, status: str | None, rng: np.random.Generator, warned: bool = False) -> dict[str, Any]:
    """Write one run folder (unless pending) and return its results.parquet row."""
    rid = hashlib.sha256(f"{variant}/{seed}".encode()).hexdigest()[:12]
    run_dir = run_path(root, rid)
    config = validate(_config(seed, overrides, steps), "<synthetic>")
    task = RunTask(variant=variant, seed=seed, run_id=rid, overrides=overrides, config=config_to_dict(config),
                   run_dir=str(run_dir))
    if status == "pending":
        return result_row(task, root)
    onsets: dict[EventKind, float] = {}
    failed = rng.random() < p_fail
    if failed:
        kinds = [EventKind.MODE_COLLAPSE, EventKind.D_DOMINANCE, EventKind.GRADIENT_EXPLOSION, EventKind.NON_FINITE]
        kind = kinds[int(rng.choice(len(kinds), p=[0.5, 0.25, 0.15, 0.1]))]
        onsets[kind] = float(int(rng.uniform(0.15, 0.7) * steps))
    done = steps if not failed else min(steps, int(min(onsets.values())) + steps // 8)
    if status == "error":
        done = int(rng.integers(1, steps))
    step_time = 0.01 * (1 + 0.1 * rng.random())
    final_status = status or ("failed" if done < steps else "completed")
    events = [Event(k, int(v), Severity.FAILURE, {"until": done}, f"{k} from step {int(v)}") for k, v in onsets.items()]
    if warned:
        events.append(Event(EventKind.OSCILLATION, steps // 4, Severity.WARNING, {},
                            f"{EventKind.OSCILLATION} from step {steps // 4}"))
    write_run_config(run_dir, config)
    if final_status != "error":
        _write_logs(run_dir, final_status, done, events, onsets, step_time, checkpoint_every, rng)
    record = RunRecord(
        run_id=rid, status=final_status, steps_done=done, steps_total=steps, wall_time_s=done * step_time,
        versions=VERSIONS, device="cpu", git_commit="0123abcd" * 5, started_at="2025-01-01T10:00:00+0000",
        finished_at=None if final_status == "error" else "2025-01-01T10:01:00+0000",
        events=[EventSummary(kind=e.kind, step=e.step, severity=e.severity) for e in events],
        stop_reason=f"stopped at step {done} by {next(iter(onsets))}" if final_status == "failed" else None,
        error="RuntimeError: CUDA out of memory (synthetic)" if final_status == "error" else None,
        final_metrics=_final_metrics(bool(onsets), final_status, rng))
    write_run(run_dir, record)
    return result_row(task, root, record, {"log_path": str(run_log(root, rid))})


def _final_metrics(failed: bool, status: str, rng: np.random.Generator) -> dict[str, float | None] | None:
    if status not in ("completed", "failed"):
        return None
    quality = float(rng.uniform(0.1, 0.4) if failed else rng.uniform(0.8, 1.0))
    out: dict[str, float | None] = dict.fromkeys(EVAL_KEYS)
    out.update(n_samples=1000.0, modes_total=10.0, modes=float(round(10 * quality)), kl=float(2.5 * (1 - quality)),
               precision=quality, recall=quality * 0.9, diversity=quality, dup_rate=float(1 - quality) * 0.5)
    return out


def _config(seed: int, overrides: dict[str, Any], steps: int) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(json.dumps(_BASE_CONFIG))
    config["seed"] = seed
    config["train"]["steps"] = steps
    for key, value in overrides.items():
        node = config
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return config


def _write_logs(run_dir: Path, status: str, done: int, events: list[Event], onsets: dict[EventKind, float],
                step_time: float, checkpoint_every: int, rng: np.random.Generator) -> None:
    """``metrics.parquet``, the sample grids and ``events.json`` of a finished run."""
    onset = min(onsets.values(), default=np.inf)
    curves = _curves(done, onset, step_time, rng)
    write_log(run_dir / METRICS_FILE, [dict(zip(LOG_COLUMNS, row, strict=True))
                                       for row in zip(*(curves[c].tolist() for c in LOG_COLUMNS), strict=True)])
    shots = [s for s in range(checkpoint_every, done + 1, checkpoint_every)] + ([done] if status == "failed" else [])
    for s in sorted(set(shots)):
        _sample_png(sample_path(run_dir, s), collapsed=s >= onset, rng=rng)
    write_events(run_dir / EVENTS_JSON, events)


def _curves(done: int, onset: float, step_time: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    step = np.arange(1, done + 1)
    after = step >= onset
    noise = lambda scale: rng.normal(0, scale, done)  # noqa: E731
    d_real = np.clip(np.where(after, 0.97, 0.6) + noise(0.05), 0, 1)
    d_fake = np.clip(np.where(after, 0.03, 0.4) + noise(0.05), 0, 1)
    return {"step": step, "loss_d": np.where(after, 0.05, 1.3) + noise(0.1),
            "loss_g": np.where(after, 5.0, 0.9) + noise(0.2), "d_real": d_real, "d_fake": d_fake,
            "grad_norm_d": np.abs(np.where(after, 0.1, 1.0) + noise(0.2)),
            "grad_norm_g": np.abs(np.where(after, 20.0, 2.0) + noise(0.5)),
            "lr_d": np.full(done, 2e-4), "lr_g": np.full(done, 2e-4), "time_s": step * step_time}


def _sample_png(path: Path, collapsed: bool, rng: np.random.Generator) -> None:
    """A 4x4 grid of 8x8 grey tiles: noise before the onset, one repeated tile after (a "collapse")."""
    tiles = rng.integers(0, 256, (1 if collapsed else 16, 8, 8), dtype=np.uint8)
    tiles = np.repeat(tiles, 16, axis=0) if collapsed else tiles
    grid = np.zeros((4 * 10 + 2, 4 * 10 + 2), dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, 4)
        grid[2 + r * 10: 10 + r * 10, 2 + c * 10: 10 + c * 10] = tile
    buffer = io.BytesIO()
    Image.fromarray(grid).save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())
