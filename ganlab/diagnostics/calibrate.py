"""Calibrate the detectors on a labelled corpus of real runs (issue 10).

    python -m ganlab.diagnostics.calibrate train ablations/calibration.yaml --out /work/corpus [--jobs 2]
    python -m ganlab.diagnostics.calibrate table ablations/calibration.yaml --out /work/corpus [--md FILE]

``train`` trains every run of the corpus file that has not finished (each in its own process, at
low priority). ``table`` labels each finished run from ground truth that does not use the detectors
(``ganlab.diagnostics.truth``), runs the detectors on its metrics log, and prints each detector's
false-alarm rate, miss rate and onset error as markdown (and writes it to ``--md``).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ganlab.config.diagnostics import DETECTOR_KINDS
from ganlab.errors import ConfigError, GanlabError

Intended = Literal["healthy", "non_finite", "d_dominance", "mode_collapse", "gradient_explosion", "oscillation"]


class RunSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # What the configuration is meant to do; the label comes from ground truth, not from this.
    intended: Intended
    seeds: list[int] = Field(min_length=1)
    set: dict[str, Any] = Field(default_factory=dict)  # dotted overrides of the base config


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
    config: Any  # GanlabConfig (typed loosely so this module imports without the config package's cost)


def load_corpus(path: str | Path) -> list[CorpusRun]:
    """Every (variant, seed) run of a corpus file, validated; a bad file is a one-line ConfigError."""
    from ganlab.config.load import read_yaml, validate

    data, lines = read_yaml(path)
    try:
        spec = CorpusFile.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise ConfigError(f"{path}: {where}: {first['msg']} (keys: name, base, "
                          "runs.<variant>.{intended, seeds, set}; "
                          f"intended is healthy or one of {', '.join(DETECTOR_KINDS)})") from None
    runs = []
    for variant, run in spec.runs.items():
        for seed in run.seeds:
            config = validate(spec.base, str(path), lines, {**run.set, "seed": seed}, f"runs.{variant}.set")
            runs.append(CorpusRun(f"{variant}-s{seed}", variant, seed, run.intended, config))
    return runs


def run_dir(out: Path, run: CorpusRun) -> Path | None:
    """The finished run directory of ``run`` under ``out`` (one per run name), or None."""
    from ganlab.schema import finished_record

    for path in sorted((out / "runs" / run.name).glob("*/run.json")):
        if finished_record(path.parent, path.parent.name) is not None:
            return path.parent
    return None


def train_corpus(runs: list[CorpusRun], out: Path, jobs: int = 2) -> None:
    """Train every run without a run directory, ``jobs`` at a time, each ``nice -n 19``; logs in OUT/logs."""
    from ganlab.config.load import dump_config
    from ganlab.io import atomic_write_text

    todo = [r for r in runs if run_dir(out, r) is None]
    (out / "configs").mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    active: list[tuple[CorpusRun, subprocess.Popen[bytes], IO[bytes]]] = []
    while todo or active:
        while todo and len(active) < jobs:
            run = todo.pop(0)
            cfg = out / "configs" / f"{run.name}.yaml"
            atomic_write_text(cfg, dump_config(run.config))
            cmd = ["nice", "-n", "19", sys.executable, "-m", "ganlab", "train", str(cfg),
                   "--out", str(out / "runs" / run.name)]
            log = (out / "logs" / f"{run.name}.log").open("wb")
            active.append((run, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log))
            print(f"started {run.name}", flush=True)
        time.sleep(2)
        for item in list(active):
            if item[1].poll() is not None:
                active.remove(item)
                item[2].close()
                print(f"finished {item[0].name} (exit {item[1].returncode})", flush=True)


def label_corpus(runs: list[CorpusRun], out: Path) -> dict[str, Any]:
    """Ground truth of every finished run, cached in OUT/labels.json (10k samples per run are not free)."""
    from ganlab.diagnostics.truth import Truth, final_sample_metrics, label_run
    from ganlab.io import atomic_write_json, read_json

    cache_path = out / "labels.json"
    cache = read_json(cache_path) if cache_path.is_file() else {}
    truths: dict[str, Truth] = {}
    for run in runs:
        found = run_dir(out, run)
        if found is None:
            continue
        key = f"{run.name}/{found.name}"
        if key not in cache:
            final = final_sample_metrics(found) if (found / "checkpoint.pt").is_file() else None
            cache[key] = final
            atomic_write_json(cache_path, cache)
        elif cache[key] is not None and not {"kl_expected", "precision"} <= set(cache[key]):
            cache[key] = final_sample_metrics(found)  # labelled before the KL and quality criteria
            atomic_write_json(cache_path, cache)
        truths[run.name] = label_run(found, cache[key], run.config.diagnostics.eval_samples)
    return truths


def detector_config(run: CorpusRun) -> Any:
    """Today's default thresholds, with the run's evaluation settings (config.yaml froze old defaults)."""
    from ganlab.config.diagnostics import DiagnosticsConfig

    d = run.config.diagnostics
    return DiagnosticsConfig(eval_every=d.eval_every, eval_samples=d.eval_samples, check_every=d.check_every)


def corpus_events(runs: list[CorpusRun], out: Path) -> dict[str, list[Any]]:
    """The detectors' events on every finished run's log, with the run.json context."""
    from ganlab.diagnostics.diagnose import _run_context
    from ganlab.diagnostics.log import read_log
    from ganlab.diagnostics.registry import detect

    events = {}
    for run in runs:
        found = run_dir(out, run)
        if found is not None:
            events[run.name] = detect(read_log(found / "metrics.parquet"), detector_config(run), _run_context(found))
    return events


def write_table(runs: list[CorpusRun], out: Path, md: Path | None) -> str:
    from ganlab.diagnostics.calibration_table import markdown
    from ganlab.io import atomic_write_text

    truths = label_corpus(runs, out)
    events = corpus_events(runs, out)
    text = markdown([r for r in runs if r.name in truths], truths, events)
    print(text)
    if md is not None:
        atomic_write_text(md, text)
    return text


def write_fixtures(runs: list[CorpusRun], out: Path, to: Path, names: list[str]) -> None:
    """Copy the named runs' logs (float32, zstd: ~85 KB each) and ground truth into ``to`` as
    ``<run>.parquet`` + ``<run>.json``: the regression fixtures of tests/diagnostics/test_calibration.py."""
    import pandas as pd

    from ganlab.diagnostics.diagnose import _run_context
    from ganlab.diagnostics.log import EVAL_COLUMNS, REQUIRED_COLUMNS
    from ganlab.io import atomic_path, atomic_write_json

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
        log = pd.read_parquet(found / "metrics.parquet")
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
            "context": _run_context(found),  # what the trainer recorded beside the log (a non-finite tensor)
        })


def _overrides(run: CorpusRun) -> dict[str, Any]:
    from ganlab.config.load import flatten

    base = flatten(run.config.model_dump(mode="json"))
    return {k: v for k, v in base.items() if k.startswith(("model.", "train.")) and k in _SHOWN}


_SHOWN = ("model.width", "model.batchnorm", "model.d_activation", "model.g_output", "model.fc_hidden",
          "train.loss", "train.lr_d", "train.lr_g", "train.n_critic", "train.z_distribution", "train.steps")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ganlab.diagnostics.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["train", "table", "fixtures"])
    parser.add_argument("corpus", type=Path, help="corpus file, e.g. ablations/calibration.yaml")
    parser.add_argument("--out", type=Path, required=True, help="corpus folder (runs/, configs/, logs/, labels.json)")
    parser.add_argument("--jobs", type=int, default=2, help="runs trained at a time")
    parser.add_argument("--md", type=Path, default=None, help="also write the markdown table here")
    parser.add_argument("--to", type=Path, default=Path("tests/diagnostics/fixtures"), help="fixtures folder")
    parser.add_argument("--runs", default="", help="fixtures: comma-separated run names, e.g. baseline-s0")
    args = parser.parse_args(argv)
    try:
        runs = load_corpus(args.corpus)
        if args.action == "train":
            train_corpus(runs, args.out, args.jobs)
        elif args.action == "table":
            write_table(runs, args.out, args.md)
        else:
            write_fixtures(runs, args.out, args.to, [n for n in args.runs.split(",") if n])
    except GanlabError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
