"""Synthetic sweep directories for tests and benchmarks: the on-disk layout of ``ganlab sweep``, no training.

``make_sweep(root)`` writes ``sweep.json``, ``results.parquet`` and one run folder per (variant, seed)
with ``config.yaml``, ``metrics.parquet``, ``samples/step_XXXXXX.png``, ``events.json`` and ``run.json``.
Each variant fails with its own probability, so tests can build sweeps with or without a real difference.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from PIL import Image

from ganlab.io import atomic_write_bytes, atomic_write_json, atomic_write_text

KINDS = ("non_finite", "d_dominance", "mode_collapse", "gradient_explosion", "oscillation")
METRICS = ("n_samples", "modes", "modes_total", "kl", "frechet", "kid", "kid_std", "precision", "recall",
           "density", "coverage", "diversity", "dup_rate")
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
    meta = {"name": name, "sweep_file": f"{name}.yaml", "sweep_hash": "0" * 12,
            "versions": {"ganlab": "0.1.0", "torch": "2.13.0", "python": "3.11.2"}, "git_commit": "0123abcd" * 5,
            "started_at": "2025-01-01T10:00:00+0000", "finished_at": "2025-01-01T11:00:00+0000", "backend": "local",
            "workers": 2, "baseline": "baseline", "variants": variants, "n_runs": len(plan), "device": "cpu",
            "seeds": list(range(seeds))}
    atomic_write_json(root / "sweep.json", meta)
    pd.DataFrame(rows).to_parquet(root / "results.parquet", index=False)
    return root


def _run(root: Path, variant: str, seed: int, overrides: dict[str, Any], steps: int, p_fail: float,
         checkpoint_every: int, status: str | None, rng: np.random.Generator, warned: bool = False) -> dict[str, Any]:
    rid = hashlib.sha256(f"{variant}/{seed}".encode()).hexdigest()[:12]
    rel = f"runs/{rid}"
    run_dir = root / rel
    row: dict[str, Any] = {"variant": variant, "seed": seed, "run_id": rid,
                           "overrides": json.dumps({**overrides, "seed": seed}), "steps_total": steps,
                           "log_path": f"{rel}/train.log", "run_dir": rel, "stop_reason": None, "error": None}
    onsets: dict[str, float] = {}
    if status == "pending":
        row.update(status="pending", steps_done=0, wall_time_s=np.nan)
    else:
        failed = rng.random() < p_fail
        if failed:
            kind = str(rng.choice(["mode_collapse", "d_dominance", "gradient_explosion", "non_finite"],
                                  p=[0.5, 0.25, 0.15, 0.1]))
            onsets[kind] = float(int(rng.uniform(0.15, 0.7) * steps))
        done = steps if not failed else min(steps, int(min(onsets.values())) + steps // 8)
        if status == "error":
            done = int(rng.integers(1, steps))
        step_time = 0.01 * (1 + 0.1 * rng.random())
        row.update(status=status or ("failed" if done < steps else "completed"), steps_done=done,
                   wall_time_s=done * step_time)
        if status == "error":
            row["error"] = "RuntimeError: CUDA out of memory (synthetic)"
        elif done < steps:
            row["stop_reason"] = f"stopped at step {done} by {next(iter(onsets))}"
        _write_run_dir(run_dir, variant, seed, overrides, done, onsets, step_time, checkpoint_every,
                       row["status"], rng)
    events: list[dict[str, Any]] = [{"kind": k, "step": int(s), "severity": "failure"} for k, s in onsets.items()]
    warning_step = float(steps // 4)
    if warned and status != "pending":
        events.append({"kind": "oscillation", "step": int(warning_step), "severity": "warning"})
    row.update(events=json.dumps(events), event_kinds=",".join(dict.fromkeys(e["kind"] for e in events)))
    for kind in KINDS:
        row[f"onset_{kind}"] = min((float(e["step"]) for e in events if e["kind"] == kind), default=np.nan)
    row.update({f"metric_{m}": v for m, v in _final_metrics(bool(onsets), row["status"], rng).items()})
    return row


def _final_metrics(failed: bool, status: str, rng: np.random.Generator) -> dict[str, float]:
    out = {m: np.nan for m in METRICS}
    if status not in ("completed", "failed"):
        return out
    quality = rng.uniform(0.1, 0.4) if failed else rng.uniform(0.8, 1.0)
    out.update(n_samples=1000.0, modes_total=10.0, modes=float(round(10 * quality)), kl=float(2.5 * (1 - quality)),
               precision=quality, recall=quality * 0.9, diversity=quality, dup_rate=float(1 - quality) * 0.5)
    return out


def _write_run_dir(run_dir: Path, variant: str, seed: int, overrides: dict[str, Any], done: int,
                   onsets: dict[str, float], step_time: float, checkpoint_every: int, status: str,
                   rng: np.random.Generator) -> None:
    config = json.loads(json.dumps(_BASE_CONFIG))
    config["seed"] = seed
    for key, value in overrides.items():
        node = config
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(config, sort_keys=False))
    if status == "error":
        atomic_write_json(run_dir / "run.json", {"status": "error", "steps_done": done})
        return
    onset = min(onsets.values(), default=np.inf)
    pd.DataFrame(_curves(done, onset, step_time, rng)).to_parquet(run_dir / "metrics.parquet", index=False)
    shots = [s for s in range(checkpoint_every, done + 1, checkpoint_every)] + ([done] if status == "failed" else [])
    for s in sorted(set(shots)):
        _sample_png(run_dir / "samples" / f"step_{s:06d}.png", collapsed=s >= onset, rng=rng)
    events = [{"kind": k, "step": int(v), "severity": "failure", "evidence": {}, "message": f"{k} from step {int(v)}"}
              for k, v in onsets.items()]
    atomic_write_json(run_dir / "events.json", events)
    atomic_write_json(run_dir / "run.json", {"status": status, "steps_done": done, "wall_time_s": done * step_time,
                                             "device": "cpu", "events": events})


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
