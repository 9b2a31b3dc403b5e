"""``train(config)``: one run, from a config to a finished run directory (resumable)."""

from __future__ import annotations

import math
import traceback
from pathlib import Path
from typing import Any

import torch

from ganlab.config import GanlabConfig, dump_config
from ganlab.data import build_dataset
from ganlab.errors import ConfigError
from ganlab.io import atomic_write_json, atomic_write_text
from ganlab.train.checkpoint import all_finite, load_checkpoint, save_checkpoint
from ganlab.train.device import resolve_device
from ganlab.train.progress import TrainProgress
from ganlab.train.rundir import FINISHED, git_commit, read_run, run_id, timestamp, versions, write_run
from ganlab.train.samples import save_grid
from ganlab.train.trainer import RunResult, Trainer, resolve_config, write_metrics

# The step values that are log columns (the rest, like G's output range, are only checked).
LOGGED_VALUES = ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g")


def _result(run_dir: Path, info: dict[str, Any]) -> RunResult:
    return RunResult(run_dir, info["run_id"], info["status"], info.get("steps_done", 0),
                     info.get("events", []), info)


def train(config: GanlabConfig, run_dir: str | Path | None = None, *, progress: bool | None = None,
          resume: bool = True) -> RunResult:
    """Train one GAN into ``run_dir`` (default ``<output.dir>/<run_id>``).

    A finished run there is returned as is; an interrupted one resumes from its last checkpoint.
    Raises ``GanlabError`` for bad input; any other exception marks the run ``error`` and propagates.
    """
    dataset = build_dataset(config.data)
    config = resolve_config(config, dataset)
    rid = run_id(config)
    run_dir = Path(run_dir) if run_dir is not None else Path(config.output.dir) / rid
    previous = read_run(run_dir)
    if previous and previous.get("run_id") != rid:
        raise ConfigError(f"{run_dir}: holds run {previous.get('run_id')}, not this config's run {rid}; "
                          "choose another output directory")
    if resume and previous and previous.get("status") in FINISHED:
        return _result(run_dir, previous)

    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "config.yaml", dump_config(config))
    if config.train.threads:
        torch.set_num_threads(config.train.threads)
    device = resolve_device(config.train.device)
    trainer = Trainer(config, dataset, device)
    state = load_checkpoint(run_dir, device) if resume else None
    if state is not None:
        trainer.restore(state)
    info: dict[str, Any] = {
        "run_id": rid, "status": "running", "steps_done": trainer.step_done, "steps_total": config.train.steps,
        "wall_time_s": trainer.time_offset, "versions": versions(), "device": str(device),
        "git_commit": git_commit(), "resumed_from": trainer.step_done or None, "events": [],
        "stop_reason": None, "error": None, "final_metrics": None, "non_finite_tensor": None,
        "started_at": timestamp(),
    }
    write_run(run_dir, info)
    try:
        status, stop_reason = _loop(trainer, run_dir, info, progress)
        _finish(trainer, run_dir, info, status, stop_reason)
    except Exception as err:
        (run_dir / "error.log").write_text(traceback.format_exc())
        info.update(status="error", error=f"{type(err).__name__}: {err}", steps_done=trainer.step_done,
                    error_log=str(run_dir / "error.log"))
        write_run(run_dir, info)
        raise
    return _result(run_dir, info)


def _loop(tr: Trainer, run_dir: Path, info: dict[str, Any], progress: bool | None) -> tuple[str, str | None]:
    t, diag = tr.config.train, tr.config.diagnostics
    eval_every = diag.eval_every if diag.enabled else 0
    monitor = None
    if diag.enabled and diag.stop_on:
        from ganlab.diagnostics import OnlineMonitor

        monitor = OnlineMonitor(diag)
    tr.start_clock()
    with TrainProgress(t.steps, tr.step_done, t.batch_size, progress) as bar:
        while tr.step_done < t.steps:
            values = tr.step()
            step = tr.step_done
            finite = all(map(math.isfinite, values.values()))
            is_eval = bool(eval_every) and step % eval_every == 0 and finite
            if step % t.log_every == 0 or is_eval or not finite:
                row = {"step": step, **{k: values[k] for k in LOGGED_VALUES},
                       "lr_d": t.lr_d, "lr_g": t.lr_g, "time_s": tr.elapsed()}
                if is_eval:
                    row.update(_evaluate(tr, full=False, prefix="eval_"))
                tr.rows.append(row)
            if not finite:
                tr.non_finite_tensor = tr.find_non_finite(values)
                return "failed", f"non_finite at step {step}: {tr.non_finite_tensor}"
            if monitor is not None and step % diag.check_every == 0:
                event = monitor.check(tr.rows, step)
                if event is not None:
                    return "failed", (f"stopped at step {step} by {event.kind} (onset step {event.step}, "
                                      f"lasted past patience {diag.patience})")
            if step % t.checkpoint_every == 0 or step == t.steps:
                if bad := all_finite(tr.G, tr.D):
                    tr.non_finite_tensor = bad
                    return "failed", f"non_finite at step {step}: {bad}"
                _checkpoint(tr, run_dir, info)
            bar.update(step, values, force=step == t.steps)
    return "completed", None


def _checkpoint(tr: Trainer, run_dir: Path, info: dict[str, Any]) -> None:
    save_grid(tr.generate(tr.fixed_z), run_dir / "samples" / f"step_{tr.step_done:06d}.png")
    save_checkpoint(run_dir, tr.state())
    write_metrics(run_dir, tr.rows)
    info.update(steps_done=tr.step_done, wall_time_s=tr.elapsed())
    write_run(run_dir, info)


def _evaluate(tr: Trainer, full: bool, prefix: str = "") -> dict[str, Any]:
    from ganlab.metrics import CHEAP_KEYS, evaluate

    fake = tr.generate(tr.eval_z)
    scores = evaluate(fake.cpu(), tr.dataset, full=full, generator=torch.Generator().manual_seed(tr.config.seed))
    keep = scores if full else {k: scores.get(k) for k in CHEAP_KEYS}
    return {f"{prefix}{k}": (math.nan if v is None else v) if prefix else v for k, v in keep.items()}


def _finish(tr: Trainer, run_dir: Path, info: dict[str, Any], status: str, stop_reason: str | None) -> None:
    diag = tr.config.diagnostics
    if status == "failed" and tr.non_finite_tensor is None:
        # Stopped by a detector: keep a sample grid at the stop, beside the periodic ones.
        save_grid(tr.generate(tr.fixed_z), run_dir / "samples" / f"step_{tr.step_done:06d}.png")
    log = write_metrics(run_dir, tr.rows)
    events: list[dict[str, Any]] = []
    if diag.enabled:
        from ganlab.diagnostics import detect

        context = {"non_finite_tensor": tr.non_finite_tensor} if tr.non_finite_tensor else None
        events = [e.to_dict() for e in detect(log, diag, context)]
    atomic_write_json(run_dir / "events.json", events)
    final = _evaluate(tr, full=True) if diag.enabled and tr.non_finite_tensor is None else None
    info.update(status=status, stop_reason=stop_reason, steps_done=tr.step_done, wall_time_s=tr.elapsed(),
                events=[{k: e[k] for k in ("kind", "step", "severity")} for e in events],
                final_metrics=final, non_finite_tensor=tr.non_finite_tensor,
                finished_at=timestamp())
    write_run(run_dir, info)
