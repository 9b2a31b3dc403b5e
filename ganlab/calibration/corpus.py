"""The labelled corpus of real runs the detectors are calibrated on (issue 10): its file, training, labels.

``train_corpus`` trains every run of the corpus file that has not finished, on a sweep backend
(``ganlab.sweep.backends``: worker processes, crash-isolated, or Ray). ``write_table`` labels each finished
run from ground truth that does not use the detectors (``ganlab.calibration.truth``), runs the detectors
on its metrics log and writes each detector's false-alarm rate, miss rate and onset error as markdown.
``python -m ganlab.calibration`` is the command line.

Layout of the corpus folder ``OUT``: ``runs/<run name>/<run_id>/`` (run directories), ``logs/<run name>.log``,
``configs/<run name>.yaml`` and ``labels.json`` (the ground truth's final-sample metrics, cached).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ganlab.calibration.table import HEALTHY, markdown
from ganlab.calibration.truth import Truth, final_sample_metrics, label_run
from ganlab.config import GanlabConfig, config_to_dict, dump_config
from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.config.load import flatten, read_yaml
from ganlab.diagnostics import EVAL_COLUMNS, REQUIRED_COLUMNS, Event, detect, read_log
from ganlab.diagnostics.diagnose import run_context
from ganlab.errors import ConfigError
from ganlab.io import atomic_path, atomic_write_json, atomic_write_text, read_json
from ganlab.schema import CHECKPOINT, EVENT_KINDS, LOGS_DIR, METRICS_FILE, RUN_JSON, RUNS_DIR, finished_record
from ganlab.sweep.backends import get_backend
from ganlab.sweep.options import SweepOptions
from ganlab.sweep.task import RunTask
from ganlab.train import resolve_config, run_id
from ganlab.train.load import validate_run


class RunSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # What the configuration is meant to do; the label comes from ground truth, not from this.
    intended: str  # HEALTHY or an EventKind
    seeds: list[int] = Field(min_length=1)
    set: dict[str, Any] = Field(default_factory=dict)  # dotted overrides of the base config

    @field_validator("intended")
    @classmethod
    def _known(cls, value: str) -> str:
        if value != HEALTHY and value not in EVENT_KINDS:
            raise ValueError(f"unknown intent {value!r}")
        return value


class CorpusFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    base: dict[str, Any]
    runs: dict[str, RunSpec] = Field(min_length=1)


@dataclass(frozen=True)
class CorpusRun:
    name: str  # "<variant>-s<seed>"
    variant: str
    seed: int
    intended: str
    config: GanlabConfig


def load_corpus(path: str | Path) -> list[CorpusRun]:
    """Every (variant, seed) run of a corpus file, validated; a bad file is a one-line ConfigError."""
    data, lines = read_yaml(path)
    try:
        spec = CorpusFile.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise ConfigError(f"{path}: {where}: {first['msg']} (keys: name, base, "
                          "runs.<variant>.{intended, seeds, set}; "
                          f"intended is {HEALTHY} or one of {', '.join(EVENT_KINDS)})") from None
    runs = []
    for variant, run in spec.runs.items():
        for seed in run.seeds:
            config = validate_run(spec.base, str(path), lines, {**run.set, "seed": seed}, f"runs.{variant}.set")
            runs.append(CorpusRun(f"{variant}-s{seed}", variant, seed, run.intended, config))
    return runs


def run_dir(out: Path, run: CorpusRun) -> Path | None:
    """The finished run directory of ``run`` under ``out`` (one per run name), or None."""
    for path in sorted((out / RUNS_DIR / run.name).glob(f"*/{RUN_JSON}")):
        if finished_record(path.parent, path.parent.name) is not None:
            return path.parent
    return None


def train_corpus(runs: list[CorpusRun], out: Path, jobs: int = 2, backend: str = "local") -> None:
    """Train every run that has not finished, ``jobs`` at a time on the sweep ``backend``; logs in OUT/logs.

    A run that crashes is recorded (its run.json says ``error``, its log holds the traceback) and the
    others go on; running this again resumes interrupted runs and retries crashed ones.
    """
    tasks = []
    for run in runs:
        if run_dir(out, run) is not None:
            continue
        atomic_write_text(out / "configs" / f"{run.name}.yaml", dump_config(run.config))
        config = resolve_config(run.config)
        rid = run_id(config)
        tasks.append(RunTask(variant=run.variant, seed=run.seed, run_id=rid, overrides={},
                             config=config_to_dict(config), run_dir=str(out / RUNS_DIR / run.name / rid),
                             log_path=str(out / LOGS_DIR / f"{run.name}.log")))
    names = {t.run_id: f"{t.variant}-s{t.seed}" for t in tasks}

    def on_done(record: dict[str, Any]) -> None:
        error = f": {record['error']}" if record.get("error") else ""
        print(f"finished {names[record['run_id']]} ({record['status']}{error})", flush=True)

    print(f"{len(runs) - len(tasks)} of {len(runs)} runs already finished; training {len(tasks)}", flush=True)
    if tasks:
        get_backend(backend)(tasks, SweepOptions(sweep_dir=str(out.absolute()), workers=jobs, backend=backend,
                                                 progress=False), on_done)


def label_corpus(runs: list[CorpusRun], out: Path) -> dict[str, Truth]:
    """Ground truth of every finished run, cached in OUT/labels.json (10k samples per run are not free)."""
    cache_path = out / "labels.json"
    cache = read_json(cache_path) if cache_path.is_file() else {}
    truths: dict[str, Truth] = {}
    for run in runs:
        found = run_dir(out, run)
        if found is None:
            continue
        key = f"{run.name}/{found.name}"
        if key not in cache:
            final = final_sample_metrics(found) if (found / CHECKPOINT).is_file() else None
            cache[key] = final
            atomic_write_json(cache_path, cache)
        elif cache[key] is not None and not {"kl_expected", "precision"} <= set(cache[key]):
            cache[key] = final_sample_metrics(found)  # labelled before the KL and quality criteria
            atomic_write_json(cache_path, cache)
        truths[run.name] = label_run(found, cache[key], run.config.diagnostics.eval_samples)
    return truths


def detector_config(run: CorpusRun) -> DiagnosticsConfig:
    """Today's default thresholds, with the run's evaluation settings (config.yaml froze old defaults)."""
    d = run.config.diagnostics
    return DiagnosticsConfig(eval_every=d.eval_every, eval_samples=d.eval_samples, check_every=d.check_every)


def corpus_events(runs: list[CorpusRun], out: Path) -> dict[str, list[Event]]:
    """The detectors' events on every finished run's log, with the run.json context."""
    events = {}
    for run in runs:
        found = run_dir(out, run)
        if found is not None:
            events[run.name] = detect(read_log(found / METRICS_FILE), detector_config(run), run_context(found))
    return events


def write_table(runs: list[CorpusRun], out: Path, md: Path | None) -> str:

    truths = label_corpus(runs, out)
    events = corpus_events(runs, out)
    text = markdown([r for r in runs if r.name in truths], truths, events)
    print(text)
    if md is not None:
        atomic_write_text(md, text)
    return text


def write_fixtures(runs: list[CorpusRun], out: Path, to: Path, names: list[str]) -> None:
    """Copy the named runs' logs (float32, zstd: ~85 KB each) and ground truth into ``to`` as
    ``<run>.parquet`` + ``<run>.json``: the regression fixtures of tests/calibration/test_calibration.py."""


    by_name = {r.name: r for r in runs}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ConfigError(f"--runs: unknown run(s) {', '.join(unknown)}; valid: {', '.join(by_name)}")
    truths = label_corpus([by_name[n] for n in names], out)
    to.mkdir(parents=True, exist_ok=True)
    for name in names:
        run = by_name[name]
        found = run_dir(out, run)
        if found is None or name not in truths:
            raise ConfigError(f"{name}: not trained yet under {out}; run the train action first")
        log = pd.read_parquet(found / METRICS_FILE)
        log = log[[c for c in (*REQUIRED_COLUMNS, *EVAL_COLUMNS) if c in log.columns]]
        log = log.astype({c: "float32" for c in log.columns if c != "step"})
        with atomic_path(to / f"{name}.parquet") as tmp:
            log.to_parquet(tmp, compression="zstd", index=False)
        d = run.config.diagnostics
        truth = truths[name].to_dict()
        truth.pop("eval_coverage")
        atomic_write_json(to / f"{name}.json", {
            "run": name, "variant": run.variant, "seed": run.seed, "intended": run.intended,
            "config_overrides": {k: v for k, v in _overrides(run).items()},
            "eval_every": d.eval_every, "eval_samples": d.eval_samples, "truth": truth,
            "context": run_context(found),  # what the trainer recorded beside the log (a non-finite tensor)
        })


def _overrides(run: CorpusRun) -> dict[str, Any]:

    base = flatten(run.config.model_dump(mode="json"))
    return {k: v for k, v in base.items() if k.startswith(("model.", "train.")) and k in _SHOWN}


_SHOWN = ("model.width", "model.batchnorm", "model.d_activation", "model.g_output", "model.fc_hidden",
          "train.loss", "train.lr_d", "train.lr_g", "train.n_critic", "train.z_distribution", "train.steps")
