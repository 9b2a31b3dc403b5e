"""``Monitor``: ganlab's diagnostics inside any training loop, writing a run directory like ``ganlab train``'s.

Per step the loop hands over what it already has (losses, D's outputs on real and fake, optionally G and
D for their gradient norms); the monitor computes the metrics log's columns itself, every
``diagnostics.eval_every`` steps scores a sampling function's images with the trainer's readers
(``ganlab.metrics.evaluate``, ``full=False``), and every ``diagnostics.check_every`` steps feeds the new
rows to the incremental detectors (``IncrementalDetector``: a check costs the new rows). ``close()``
writes ``metrics.parquet``, ``events.json`` (``detect`` on the whole log, as ``ganlab diagnose`` computes
it), ``run.json`` and the diagnostics settings (``config.yaml``) through the schema's writers.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

import torch
from torch import Tensor, nn

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.data.range import from_data_range
from ganlab.diagnostics import IncrementalDetector, detect, should_stop
from ganlab.diagnostics.columns import required_columns
from ganlab.diagnostics.settings import diagnostics_settings
from ganlab.errors import ConfigError, GanlabError
from ganlab.io import atomic_write_text
from ganlab.lock import held
from ganlab.monitor.data import real_dataset
from ganlab.monitor.generator import data_section
from ganlab.sampling import non_finite_samples, real_generator
from ganlab.schema import (
    CHEAP_KEYS,
    CONFIG_YAML,
    EVAL_PREFIX,
    EVENTS_JSON,
    LOCK_FILE,
    LOGGED_VALUES,
    METRICS_FILE,
    Event,
    EventSummary,
    RunRecord,
    git_commit,
    timestamp,
    versions,
    write_events,
    write_log,
    write_run,
)

Outputs = Literal["logits", "probabilities"]
SAMPLES_NAN = "output of G on the evaluation batch"
Scalar = float | int | Tensor


def _grad_norm(module: nn.Module) -> Tensor:
    """Total L2 norm of ``module``'s current gradients (0 when it has none)."""
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    return torch.nn.utils.get_total_norm(grads) if grads else torch.zeros(())


class Monitor:
    """Stability diagnostics for a training loop of your own.

    ``Monitor(run_dir, data, diagnostics, outputs="logits")``; then per step
    ``monitor.step(loss_d=..., loss_g=..., d_real=D(x), d_fake=D(G(z)), G=G, D=D, sample=...)`` and
    stop when ``monitor.should_stop``; ``monitor.close()`` (or a ``with`` block) writes the run directory.
    ``diagnostics``: a ``DiagnosticsConfig``, a mapping of its keys, or a config file (see
    ``diagnostics_settings``); ``outputs``: whether ``d_real``/``d_fake`` are D's logits or probabilities.
    ``data_range``: the range G's output is in ([-1, 1] or [0, 1]). ``seed`` fixes the real images the
    evaluations compare with.
    """

    def __init__(self, run_dir: str | Path, data: Any, diagnostics: Any = None, *, outputs: Outputs = "logits",
                 resolution: int | None = None, labels: Any = None, data_range: tuple[float, float] = (-1.0, 1.0),
                 log_every: int = 1, write_every: int = 500, seed: int = 0, steps_total: int | None = None):
        if outputs not in ("logits", "probabilities"):
            raise ConfigError(f"Monitor outputs={outputs!r}: say 'logits' (D's raw scores) or 'probabilities'")
        if log_every < 1 or write_every < 1:
            raise ConfigError("Monitor log_every and write_every: at least 1 step")
        self.config: DiagnosticsConfig = diagnostics_settings(diagnostics, origin="Monitor diagnostics")
        self.run_dir = Path(run_dir)
        self.dataset = real_dataset(data, resolution, labels=labels)
        self._data_section = data_section(data, self.dataset, data_range)
        self.outputs, self.data_range, self.seed = outputs, data_range, seed
        self.log_every, self.write_every, self.steps_total = log_every, write_every, steps_total
        self.rows: list[dict[str, float]] = []
        self.step_done = 0
        self.stop_event: Event | None = None
        self.stop_reason: str | None = None
        self.non_finite_tensor: str | None = None
        self._detector = IncrementalDetector(self.config)
        self._fed = 0
        self._closed = False
        self._lock = ExitStack()
        self._lock.enter_context(held(self.run_dir / LOCK_FILE, lambda holder: GanlabError(
            f"{self.run_dir} is in use by another writer ({holder}); give this Monitor another run_dir")))
        self._t0 = time.perf_counter()
        self.record = RunRecord(
            run_id=hashlib.sha256(f"{self.run_dir.resolve()} {time.time_ns()} {os.getpid()}".encode()).hexdigest()[:12],
            status="running", steps_done=0, steps_total=steps_total or 0, wall_time_s=0.0, versions=versions(),
            device="user loop", git_commit=git_commit(), started_at=timestamp())
        if self.config.enabled and self.config.eval_every:
            from ganlab.metrics.features import prepare_reader

            prepare_reader(self.dataset.name)
        self._write_settings()
        write_run(self.run_dir, self.record)

    # --- per step ------------------------------------------------------------------------------------
    def step(self, loss_d: Scalar, loss_g: Scalar, d_real: Scalar, d_fake: Scalar, *, G: nn.Module | None = None,
             D: nn.Module | None = None, grad_norm_d: Scalar | None = None, grad_norm_g: Scalar | None = None,
             sample: Callable[[int], Tensor] | None = None, lr_d: float | None = None, lr_g: float | None = None,
             step: int | None = None) -> bool:
        """Log one training step; True when the run should stop (``should_stop``).

        ``d_real``/``d_fake``: D's outputs (any shape) on the real and fake batch, as said by ``outputs``.
        ``G``/``D``: their current ``.grad``s give ``grad_norm_g``/``grad_norm_d`` (call this right after
        G's update: D's gradients are then those of its last update, plus G's backward if the loop did
        not zero them, as pytorch/examples' does not), or pass the norms. ``sample(n)`` -> ``n`` images
        ``(n, C, R, R)`` in ``data_range``, called every ``eval_every`` steps.
        """
        if self._closed:
            raise GanlabError(f"{self.run_dir}: this Monitor is closed; make a new one for another run")
        self.step_done = step if step is not None else self.step_done + 1
        now = self.step_done
        if grad_norm_d is None and D is not None:
            grad_norm_d = _grad_norm(D)
        if grad_norm_g is None and G is not None:
            grad_norm_g = _grad_norm(G)
        named = {"loss_d": loss_d, "loss_g": loss_g, "d_real": self._probability(d_real),
                 "d_fake": self._probability(d_fake), "grad_norm_d": grad_norm_d, "grad_norm_g": grad_norm_g}
        values = self._floats({k: v for k, v in named.items() if v is not None})
        finite = all(map(math.isfinite, values.values()))
        diag = self.config
        evaluate_now = (diag.enabled and bool(diag.eval_every) and sample is not None and now % diag.eval_every == 0
                        and finite)
        if now % self.log_every == 0 or evaluate_now or not finite:
            row = {"step": now, **{k: values[k] for k in LOGGED_VALUES if k in values}}
            row.update({k: float(v) for k, v in (("lr_d", lr_d), ("lr_g", lr_g)) if v is not None})
            row["time_s"] = time.perf_counter() - self._t0
            if evaluate_now:
                assert sample is not None
                scores = self.evaluate(sample)
                if scores is None:
                    self.rows.append(row)
                    return self._stop(f"non_finite at step {now}: {SAMPLES_NAN}", SAMPLES_NAN)
                row.update(scores)
            if not self.rows:
                self._check_columns(row)
            self.rows.append(row)
        if not finite:
            column = next(k for k in LOGGED_VALUES if k in values and not math.isfinite(values[k]))
            return self._stop(f"non_finite at step {now}: {column}", column)
        if diag.enabled and now % diag.check_every == 0:
            self._check(now)
        if now % self.write_every == 0:
            write_log(self.run_dir / METRICS_FILE, self.rows)
            write_run(self.run_dir, self.record.model_copy(update={"steps_done": now, "wall_time_s": self._clock()}))
        return self.should_stop

    def evaluate(self, sample: Callable[[int], Tensor]) -> dict[str, float] | None:
        """The ``eval_*`` columns of ``sample(eval_samples)`` (NaN where undefined); None when the images hold
        NaN/Inf. G's mode is left as the loop set it; the sampling runs without gradients."""
        from ganlab.metrics.evaluate import evaluate

        with torch.no_grad():
            images = sample(self.config.eval_samples)
        images = from_data_range(images.detach().float().cpu(), self.data_range)
        if non_finite_samples(images):
            return None
        scores = evaluate(images, self.dataset, full=False, generator=real_generator(self.seed))
        return {f"{EVAL_PREFIX}{k}": math.nan if scores.get(k) is None else float(scores[k]) for k in CHEAP_KEYS}

    # --- what the loop reads -------------------------------------------------------------------------
    @property
    def should_stop(self) -> bool:
        """True once a detector of ``diagnostics.stop_on`` has lasted ``patience`` steps, or a value went NaN/Inf."""
        return self.stop_reason is not None

    @property
    def events(self) -> list[Event]:
        """The events of the log so far (equal to ``detect`` on it); reads the rows not yet checked."""
        self._feed()
        return self._detector.events()

    # --- the end -------------------------------------------------------------------------------------
    def close(self, G: nn.Module | None = None, generator: str | Mapping[str, Any] | None = None,
              nz: int | None = None) -> RunRecord:
        """Write ``metrics.parquet``, ``events.json`` and the final ``run.json``; release the run directory.

        With ``G`` and ``generator`` (how to rebuild G, as ``model.generator`` in a ganlab config:
        ``"pkg.module:factory"`` or ``{"_target_": "pkg.module.Class", **kwargs}``; ``nz`` z's size when
        the generator takes no ``nz`` keyword) it also writes ``checkpoint.pt`` and a ``config.yaml`` that
        rebuild G, G's sample grid at the last step (``samples/step_*.png``, as the trainer writes it) and
        ``final_metrics`` computed as ``ganlab train`` computes them, so ``ganlab score
        RUN_DIR`` scores this G. A G that config would not rebuild is a ``ConfigError`` and the monitor
        stays open (call ``close()`` again).
        """
        if self._closed:
            return self.record
        final = None
        if G is not None or generator is not None:
            final = self._write_generator(G, generator, nz)
        try:
            log = write_log(self.run_dir / METRICS_FILE, self.rows)
            context = ({"non_finite_tensor": self.non_finite_tensor, "non_finite_step": self.step_done}
                       if self.non_finite_tensor else None)
            events = detect(log, self.config, context) if self.config.enabled and self.rows else []
            write_events(self.run_dir / EVENTS_JSON, events)
            self.record = self.record.model_copy(update={
                "status": "failed" if self.should_stop else "completed", "stop_reason": self.stop_reason,
                "steps_done": self.step_done, "steps_total": self.steps_total or self.step_done,
                "wall_time_s": self._clock(), "non_finite_tensor": self.non_finite_tensor,
                "events": [EventSummary(kind=e.kind, step=e.step, severity=e.severity) for e in events],
                "final_metrics": final, "finished_at": timestamp()})
            write_run(self.run_dir, self.record)
        finally:
            self._closed = True
            self._lock.close()
        return self.record

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- inside --------------------------------------------------------------------------------------
    def _probability(self, output: Scalar) -> Scalar:
        if not isinstance(output, Tensor):
            return float(output) if self.outputs == "probabilities" else 1.0 / (1.0 + math.exp(-float(output)))
        output = output.detach()
        return (torch.sigmoid(output) if self.outputs == "logits" else output).float().mean()

    @staticmethod
    def _floats(values: Mapping[str, Scalar]) -> dict[str, float]:
        """Every value as a float, with one device sync for all the tensors."""
        tensors = {k: v for k, v in values.items() if isinstance(v, Tensor)}
        out = {k: float(v) for k, v in values.items() if not isinstance(v, Tensor)}
        if tensors:
            stacked = torch.stack([t.detach().float().reshape(()) if t.numel() == 1 else t.detach().float().mean()
                                   for t in tensors.values()])
            out.update(zip(tensors, stacked.tolist(), strict=True))
        return {k: out[k] for k in values}

    def _check_columns(self, row: Mapping[str, float]) -> None:
        """The rule ``ganlab diagnose`` applies to the log afterwards, at the first row: a column an enabled
        detector needs is there, or the run could not be diagnosed the same way offline."""
        missing = {c: k for c, k in required_columns(self.config.detectors).items() if c not in row}
        if missing:
            column, kind = next(iter(missing.items()))
            how = {"grad_norm_d": "pass D= (or grad_norm_d=)", "grad_norm_g": "pass G= (or grad_norm_g=)"}
            raise ConfigError(f"Monitor.step: no {column}, which detector {kind} needs; {how.get(column, 'pass it')}, "
                              f"or drop {kind} from the diagnostics' detectors")

    def _feed(self) -> None:
        self._detector.extend(self.rows[self._fed:])
        self._fed = len(self.rows)

    def _check(self, now: int) -> None:
        self._feed()
        event = self._detector.stop(now, should_stop)
        if event is not None:
            self.stop_event = event
            self._stop(f"stopped at step {now} by {event.kind} (onset step {event.step}, lasted past patience "
                       f"{self.config.patience})")

    def _stop(self, reason: str, tensor: str | None = None) -> bool:
        if self.stop_reason is None:
            self.stop_reason, self.non_finite_tensor = reason, tensor
            if tensor:
                self._detector.context.update(non_finite_tensor=tensor, non_finite_step=self.step_done)
        return True

    def _clock(self) -> float:
        return time.perf_counter() - self._t0

    def _write_generator(self, G: nn.Module | None, generator: str | Mapping[str, Any] | None,
                         nz: int | None) -> dict | None:
        from ganlab.monitor.generator import generator_config, write_generator

        if G is None or generator is None:
            raise ConfigError("Monitor.close: pass both G= (the trained generator) and generator= (how to rebuild "
                              "it: 'pkg.module:factory' or {'_target_': 'pkg.module.Class', **kwargs})")
        config = generator_config(generator, nz, self.seed, self._data_section, self.config)
        return write_generator(self.run_dir, G, config, self.dataset, self.step_done)

    def _write_settings(self) -> None:
        """config.yaml: the diagnostics section (what ``ganlab diagnose`` reads back) and where the data came from."""
        import yaml

        section = self.config.model_dump(mode="json")
        text = ("# written by ganlab.Monitor for a training loop of its user's: only these settings are ganlab's\n"
                + yaml.safe_dump({"data": {"dataset": self.dataset.name}, "diagnostics": section}, sort_keys=False))
        atomic_write_text(self.run_dir / CONFIG_YAML, text)
