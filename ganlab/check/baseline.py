"""The baseline file: per-variant failure counts and per-seed metric values of a reference check run.

JSON, committed by the user, written by ``ganlab check --update-baseline``. It records the hash of
the check file's resolved runs: a baseline made from another definition is refused, never compared.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

import ganlab
from ganlab.errors import GanlabError
from ganlab.io import atomic_write_json
from ganlab.train.rundir import FINISHED, timestamp

FORMAT_VERSION = 1


class BaselineError(GanlabError):
    """A baseline is missing, unreadable or made from another check definition."""


def default_baseline_path(check_file: str | Path) -> Path:
    """``ablations/ci.yaml`` -> ``ablations/ci-baseline.json``."""
    path = Path(check_file)
    return path.with_name(f"{path.stem}-baseline.json")


def _event_kinds(row: pd.Series) -> list[str]:
    return [k for k in str(row.get("event_kinds") or "").split(",") if k]


def summarize(results: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per variant: finished runs, runs with each event kind, and each metric's per-seed values.

    Only ``completed`` and ``failed`` runs count; errored or pending runs are reported separately.
    """
    metric_columns = [c for c in results.columns if c.startswith("metric_")]
    summary: dict[str, dict[str, Any]] = {}
    for variant, rows in results.groupby("variant", sort=False):
        done = rows[rows["status"].isin(FINISHED)].sort_values("seed")
        kinds = [_event_kinds(r) for _, r in done.iterrows()]
        metrics = {}
        for column in metric_columns:
            values = [float(v) for v in done[column] if v is not None and math.isfinite(float(v))]
            if values:
                metrics[column.removeprefix("metric_")] = values
        summary[str(variant)] = {
            "n_runs": int(len(done)),
            "seeds": [int(s) for s in done["seed"]],
            "n_errors": int((rows["status"] == "error").sum()),
            "n_pending": int((~rows["status"].isin([*FINISHED, "error"])).sum()),
            "runs_with_event": {k: sum(k in ks for ks in kinds) for k in sorted({k for ks in kinds for k in ks})},
            "runs_by_seed_events": {int(s): ks for s, ks in zip(done["seed"], kinds, strict=True)},
            "metrics": metrics,
        }
    return summary


def make_baseline(summary: dict[str, dict[str, Any]], definition_hash: str, check_name: str) -> dict[str, Any]:
    variants = {name: {k: v for k, v in s.items() if k not in ("n_errors", "n_pending")} for name, s in summary.items()}
    return {
        "format": FORMAT_VERSION, "check": check_name, "definition_hash": definition_hash,
        "ganlab_version": ganlab.__version__, "created_at": timestamp(),
        "variants": variants,
    }


def write_baseline(path: str | Path, baseline: dict[str, Any]) -> None:
    atomic_write_json(path, baseline)


def read_baseline(path: str | Path, check_file: str | Path, definition_hash: str) -> dict[str, Any]:
    """Load a baseline and make sure it was made from this check definition."""
    path = Path(path)
    refresh = f"ganlab check {check_file} --update-baseline"
    if not path.is_file():
        raise BaselineError(f"{path}: no baseline file; create it with `{refresh}` and commit it")
    try:
        baseline = json.loads(path.read_text())
        recorded = baseline["definition_hash"]
        baseline["variants"]  # noqa: B018 - presence check
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise BaselineError(f"{path}: not a ganlab baseline ({type(err).__name__}: {err}); "
                            f"recreate it with `{refresh}`") from None
    if recorded != definition_hash:
        raise BaselineError(f"{path}: baseline was made from another check definition (hash {recorded}, "
                            f"{check_file} is now {definition_hash}); refresh it with `{refresh}`")
    return baseline
