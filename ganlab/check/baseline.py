"""The baseline file: per-variant failure counts and per-seed metric values of a reference check run.

JSON, committed by the user, written by ``ganlab check --update-baseline``. It records the hash of
the check file's resolved runs: a baseline made from another definition is refused, never compared.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

import ganlab
from ganlab.errors import GanlabError
from ganlab.io import atomic_write_json
from ganlab.schema import FINISHED, timestamp

FORMAT_VERSION = 1


class BaselineError(GanlabError):
    """A baseline is missing, unreadable, malformed or made from another check definition."""


class VariantBaseline(BaseModel):
    """One variant's reference numbers (``summarize`` without its error and pending counts)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_runs: int = Field(ge=0)  # finished runs
    seeds: list[int]
    runs_with_event: dict[str, int]  # kind -> runs that showed it
    runs_by_seed_events: dict[int, list[str]]  # seed -> its event kinds
    metrics: dict[str, list[float]]  # metric -> per-seed final values

    @model_validator(mode="after")
    def _counts_fit(self) -> VariantBaseline:
        bad = {k: n for k, n in self.runs_with_event.items() if not 0 <= n <= self.n_runs}
        if bad:
            raise ValueError(f"runs_with_event counts {bad} must lie between 0 and n_runs={self.n_runs}")
        return self


class Baseline(BaseModel):
    """The baseline file, validated before any training so a broken one fails fast."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal[1]
    check: str
    definition_hash: str
    ganlab_version: str
    created_at: str
    variants: dict[str, VariantBaseline] = Field(min_length=1)


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
    baseline = Baseline.model_validate({
        "format": FORMAT_VERSION, "check": check_name, "definition_hash": definition_hash,
        "ganlab_version": ganlab.__version__, "created_at": timestamp(), "variants": variants,
    })
    return baseline.model_dump(mode="json")


def write_baseline(path: str | Path, baseline: dict[str, Any]) -> None:
    atomic_write_json(path, baseline)


def read_baseline(path: str | Path, check_file: str | Path, definition_hash: str) -> dict[str, Any]:
    """Load and validate a baseline (``Baseline``) and make sure it was made from this check definition.

    Raises ``BaselineError`` (one line naming the file and the first bad key) for a missing, unreadable,
    malformed or foreign baseline; nothing has trained yet when it does.
    """
    path = Path(path)
    refresh = f"ganlab check {check_file} --update-baseline"
    if not path.is_file():
        raise BaselineError(f"{path}: no baseline file; create it with `{refresh}` and commit it")
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as err:
        why = "nested too deeply" if isinstance(err, RecursionError) else str(err).splitlines()[0][:200]
        raise BaselineError(f"{path}: not a ganlab baseline (not readable JSON: {why}); "
                            f"recreate it with `{refresh}`") from None
    try:
        baseline = Baseline.model_validate(data)
    except (ValidationError, RecursionError) as err:
        if isinstance(err, RecursionError):
            why = "nested too deeply"
        else:
            first = err.errors()[0]
            where = ".".join(map(str, first["loc"])) or "top level"
            why = f"{where}: {first['msg']}"[:200]
        raise BaselineError(f"{path}: not a valid ganlab baseline ({why}); recreate it with `{refresh}`") from None
    recorded = baseline.definition_hash
    if recorded != definition_hash:
        raise BaselineError(f"{path}: baseline was made from another check definition (hash {recorded}, "
                            f"{check_file} is now {definition_hash}); refresh it with `{refresh}`")
    return baseline.model_dump(mode="json")
