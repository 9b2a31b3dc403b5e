"""``train(config)``: one run, from a config to a finished run directory (resumable).

The whole story is here, top to bottom: set up (or resume), loop over steps, finish. ``Trainer`` does
one step and holds the models; this module owns the loop, the log rows, the clock and ``run.json``
(a ``RunRecord``, rewritten at the start, at each checkpoint and at the end).

``ganlab train``, sweeps and the CI gate all call ``train``. On CPU the same config gives a
bit-identical log (``time_s`` aside), and a resumed run gives the same log as an uninterrupted one.
"""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ganlab.config import GanlabConfig, write_run_config
from ganlab.data import build_dataset
from ganlab.errors import ConfigError, GanlabError
from ganlab.lock import held
from ganlab.sampling import final_samples, load_checkpoint, non_finite_samples, real_generator, save_checkpoint
from ganlab.sampling.grid import save_grid
from ganlab.schema import (
    CHEAP_KEYS,
    CHECKPOINT,
    ERROR_LOG,
    EVAL_PREFIX,
    EVENTS_JSON,
    LOCK_FILE,
    LOGGED_VALUES,
    METRICS_FILE,
    Event,
    EventSummary,
    RunRecord,
    git_commit,
    read_run,
    sample_path,
    timestamp,
    versions,
    write_events,
    write_log,
    write_run,
)
from ganlab.train.checkpoint import check_resumable
from ganlab.train.device import resolve_device
from ganlab.train.progress import TrainProgress
from ganlab.train.rundir import code_identity, run_id
from ganlab.train.trainer import Trainer, resolve_config

# The tensors named when G's parameters are finite but its samples are not (a user model, an overflow).
EVAL_SAMPLES_NAN = "output of G on the evaluation batch"
FINAL_SAMPLES_NAN = "output of G on the final samples"


class RunLocked(GanlabError):
    """Another process is training into the same run directory."""


@dataclass(frozen=True)
class RunResult:
    """What ``train`` returns: the run directory and its final ``run.json``."""

    run_dir: Path
    record: RunRecord

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def steps_done(self) -> int:
        return self.record.steps_done

    @property
    def events(self) -> list[dict[str, Any]]:
        return [e.model_dump() for e in self.record.events]

    @property
    def info(self) -> dict[str, Any]:
        """``run.json`` as a plain dict."""
        return self.record.to_json()


@dataclass(frozen=True)
class Stop:
    """Why the loop ended: ``completed``, or ``failed`` with a reason (and the NaN/Inf tensor, if any)."""

    status: str = "completed"
    reason: str | None = None
    non_finite_tensor: str | None = None


class Clock:
    """Training seconds, over all resumed segments (``time_s`` in the log, ``wall_time_s`` in run.json)."""

    def __init__(self, offset: float = 0.0):
        self.offset, self.t0 = offset, time.perf_counter()

    def __call__(self) -> float:
        return self.offset + time.perf_counter() - self.t0


def train(config: GanlabConfig, run_dir: str | Path | None = None, *, progress: bool | None = None,
          resume: bool = True) -> RunResult:
    """Train one GAN into ``run_dir`` (default ``<output.dir>/<run_id>``).

    A finished run there is returned as is; an interrupted one resumes from its last checkpoint.
    Raises ``GanlabError`` for bad input (``RunLocked`` when another process trains into ``run_dir``);
    any other exception marks the run ``error`` and propagates.
    """
    dataset = build_dataset(config.data)
    config = resolve_config(config, dataset)
    rid = run_id(config)
    run_dir = Path(run_dir) if run_dir is not None else Path(config.output.dir) / rid

    def busy(holder: str) -> GanlabError:
        return RunLocked(f"{run_dir} is in use by another ganlab train ({holder}); wait for it to finish, "
                         "or stop it, or train into another --out")

    with held(run_dir / LOCK_FILE, busy):
        previous = read_run(run_dir)
        if previous is not None and previous.run_id != rid:
            raise ConfigError(f"{run_dir}: holds run {previous.run_id}, not this config's run {rid}; "
                              "choose another output directory")
        if resume and previous is not None and previous.finished:
            return RunResult(run_dir, previous)

        # --- set up, or resume from the last checkpoint ---------------------------------------------
        write_run_config(run_dir, config)
        if config.train.threads:
            torch.set_num_threads(config.train.threads)
        device = resolve_device(config.train.device)
        if config.diagnostics.enabled:  # the evaluations' reader (the digit ensemble: loaded or trained) now,
            from ganlab.metrics.features import prepare_reader  # not inside the loop's first evaluation

            prepare_reader(config.data.dataset)
        trainer = Trainer(config, dataset, device)
        rows: list[dict[str, float]] = []  # the metrics log so far (ganlab.schema.LOG_COLUMNS + eval_*)
        state = load_checkpoint(run_dir, device) if resume else None
        if state is not None:
            check_resumable(state, trainer, run_dir / CHECKPOINT)
            trainer.restore(state)
            rows = list(state["rows"])
        clock = Clock(state["time_s"] if state is not None else 0.0)
        record = RunRecord(run_id=rid, status="running", steps_done=trainer.step_done,
                           steps_total=config.train.steps, wall_time_s=clock.offset, versions=versions(),
                           device=str(device), git_commit=git_commit(),
                           code=code_identity(config), resumed_from=trainer.step_done or None,
                           started_at=timestamp())
        write_run(run_dir, record)

        try:
            stop = _loop(trainer, rows, clock, run_dir, record, progress)
            record = _finish(trainer, rows, clock, run_dir, record, stop)
        except Exception as err:
            (run_dir / ERROR_LOG).write_text(traceback.format_exc())
            write_run(run_dir, record.model_copy(update={
                "status": "error", "error": f"{type(err).__name__}: {err}", "steps_done": trainer.step_done,
                "wall_time_s": clock(), "error_log": str(run_dir / ERROR_LOG)}))
            raise
        return RunResult(run_dir, record)


def _loop(tr: Trainer, rows: list[dict[str, float]], clock: Clock, run_dir: Path, record: RunRecord,
          progress: bool | None) -> Stop:
    """Train until ``train.steps`` or a stop. Each step: update, log, stop on NaN/Inf, run the online
    detectors, checkpoint."""
    t, diag = tr.config.train, tr.config.diagnostics
    eval_every = diag.eval_every if diag.enabled else 0  # diagnostics off = no evaluation either
    monitor = None
    if diag.enabled and diag.stop_on:
        from ganlab.diagnostics import OnlineMonitor

        monitor = OnlineMonitor(diag)
    with TrainProgress(t.steps, tr.step_done, t.batch_size, progress) as bar:
        while tr.step_done < t.steps:
            values = tr.step()
            step = tr.step_done
            finite = all(map(math.isfinite, values.values()))

            # Log every log_every steps, at every evaluation, and always the step that went non-finite.
            evaluate_now = bool(eval_every) and step % eval_every == 0 and finite
            if step % t.log_every == 0 or evaluate_now or not finite:
                row = {"step": step, **{k: values[k] for k in LOGGED_VALUES},
                       "lr_d": t.lr_d, "lr_g": t.lr_g, "time_s": clock()}
                scores = _cheap_eval(tr) if evaluate_now else {}
                row.update(scores or {})
                rows.append(row)
                if scores is None:
                    return Stop("failed", f"non_finite at step {step}: {EVAL_SAMPLES_NAN}", EVAL_SAMPLES_NAN)

            if not finite:
                tensor = tr.find_non_finite(values)
                return Stop("failed", f"non_finite at step {step}: {tensor}", tensor)

            if monitor is not None and step % diag.check_every == 0:
                event = monitor.check(rows, step)
                if event is not None:
                    return Stop("failed", f"stopped at step {step} by {event.kind} (onset step {event.step}, "
                                          f"lasted past patience {diag.patience})")

            checkpoint_now = step % t.checkpoint_every == 0 or step == t.steps
            if checkpoint_now or step % diag.check_every == 0:
                # A NaN can hide in a BN buffer or weight without reaching this step's scalars (at lr
                # 1e10, D's running_var overflows at step 2 while every loss stays finite). A few
                # reductions every check_every steps date it; before, only a checkpoint found it.
                if param := tr.non_finite_param():
                    return Stop("failed", f"non_finite at step {step}: {param}", param)
            if checkpoint_now:
                save_grid(tr.images(tr.fixed_z), sample_path(run_dir, step))
                save_checkpoint(run_dir, {**tr.state(), "rows": rows, "time_s": clock()})
                write_log(run_dir / METRICS_FILE, rows)
                write_run(run_dir, record.model_copy(update={"steps_done": step, "wall_time_s": clock()}))
            bar.update(step, values, force=step == t.steps)
    return Stop()


def _finish(tr: Trainer, rows: list[dict[str, float]], clock: Clock, run_dir: Path, record: RunRecord,
            stop: Stop) -> RunRecord:
    """Write the final log, ``events.json`` and ``run.json``; returns the final record."""
    diag = tr.config.diagnostics
    if stop.status == "failed" and stop.non_finite_tensor is None:
        # Stopped by a detector: keep a sample grid at the stop, beside the periodic ones, and G as it was
        # then, so `ganlab score RUN_DIR` reads the generator that final_metrics were computed on.
        save_grid(tr.images(tr.fixed_z), sample_path(run_dir, tr.step_done))
        save_checkpoint(run_dir, {**tr.state(), "rows": rows, "time_s": clock()})
    final = _full_eval(tr) if diag.enabled and stop.non_finite_tensor is None else None
    if diag.enabled and stop.non_finite_tensor is None and final is None:
        stop = Stop("failed", f"non_finite after step {tr.step_done}: {FINAL_SAMPLES_NAN}", FINAL_SAMPLES_NAN)
    log = write_log(run_dir / METRICS_FILE, rows)
    events: list[Event] = []
    if diag.enabled:
        from ganlab.diagnostics import detect

        context = ({"non_finite_tensor": stop.non_finite_tensor, "non_finite_step": tr.step_done}
                   if stop.non_finite_tensor else None)
        events = detect(log, diag, context)
    write_events(run_dir / EVENTS_JSON, events)
    record = record.model_copy(update={
        "status": stop.status, "stop_reason": stop.reason, "steps_done": tr.step_done, "wall_time_s": clock(),
        "events": [EventSummary(kind=e.kind, step=e.step, severity=e.severity) for e in events],
        "final_metrics": final, "non_finite_tensor": stop.non_finite_tensor, "finished_at": timestamp()})
    write_run(run_dir, record)
    return record


def _cheap_eval(tr: Trainer) -> dict[str, float] | None:
    """The ``eval_*`` log columns: ``CHEAP_KEYS`` of the fixed eval batch (NaN where not defined); None when
    G's samples hold NaN/Inf (no metric means anything then: the run stops as ``non_finite``)."""
    from ganlab.metrics.evaluate import evaluate

    images = tr.images(tr.eval_z).cpu()
    if non_finite_samples(images):
        return None
    scores = evaluate(images, tr.dataset, full=False, generator=real_generator(tr.config.seed))
    return {f"{EVAL_PREFIX}{k}": math.nan if scores.get(k) is None else scores[k] for k in CHEAP_KEYS}


def _full_eval(tr: Trainer) -> dict[str, Any] | None:
    """``run.json``'s ``final_metrics``: every metric of ``evaluate`` on ``diagnostics.final_samples`` samples
    from the final z stream; ``ganlab score RUN_DIR`` draws the same ones (``sampling.final_samples``).
    None when those samples hold NaN/Inf."""
    from ganlab.metrics.evaluate import evaluate

    fake = final_samples(tr.G, tr.config, device=tr.device)
    if non_finite_samples(fake):
        return None
    return evaluate(fake, tr.dataset, full=True, generator=real_generator(tr.config.seed))
