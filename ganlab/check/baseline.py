"""The baseline file: per-variant failure counts and per-seed metric values of a reference check run.

JSON, committed by the user, written by ``ganlab check --update-baseline``. It records the hash of
the check file's resolved runs: a baseline made from another definition is refused, never compared.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

import ganlab
from ganlab.check.levels import CalibratedLevels
from ganlab.config.types import Int, Number
from ganlab.errors import GanlabError
from ganlab.io import atomic_write_json
from ganlab.schema import FINISHED, timestamp

FORMAT_VERSION = 2  # 2 (issue 18): `levels`, calibrated on the baseline's healthy seeds; 1 still loads


class BaselineError(GanlabError):
    """A baseline is missing, unreadable, malformed or made from another check definition."""


class VariantBaseline(BaseModel):
    """One variant's reference numbers (``summarize`` without its error and pending counts).

    Strict and self-consistent, because the gate fails open on anything less: a NaN or infinite metric
    value compares as "not worse", a bool reads as 1, zero runs skip the failure-rate test, and counts
    that disagree with the per-seed events hide a rise.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_runs: Int = Field(ge=1)  # finished runs
    seeds: list[Int]
    runs_with_event: dict[str, Int]  # kind -> runs that showed it
    runs_by_seed_events: dict[int, list[str]]  # seed -> its event kinds
    # metric -> per-seed final values (finite only; a run without a value is left out)
    metrics: dict[str, Annotated[list[Number], Field(min_length=1)]]

    @model_validator(mode="after")
    def _counts_fit(self) -> VariantBaseline:
        bad = {k: n for k, n in self.runs_with_event.items() if not 0 <= n <= self.n_runs}
        if bad:
            raise ValueError(f"runs_with_event counts {bad} must lie between 0 and n_runs={self.n_runs}")
        if len(self.seeds) != self.n_runs or len(set(self.seeds)) != self.n_runs:
            raise ValueError(f"seeds {self.seeds} must be n_runs={self.n_runs} distinct seeds")
        if set(self.runs_by_seed_events) != set(self.seeds):
            raise ValueError(f"runs_by_seed_events must have one entry per seed {self.seeds}")
        counted = {k: n for k, n in _count_kinds(self.runs_by_seed_events.values()).items() if n}
        if {k: n for k, n in self.runs_with_event.items() if n} != counted:
            raise ValueError(f"runs_with_event {self.runs_with_event} disagrees with runs_by_seed_events "
                             f"(which count {counted})")
        long = [m for m, values in self.metrics.items() if len(values) > self.n_runs]
        if long:
            raise ValueError(f"metrics {', '.join(long)} hold more values than n_runs={self.n_runs}")
        return self


def _count_kinds(kinds_per_run: Iterable[list[str]]) -> dict[str, int]:
    """Event kind -> how many runs showed it (a run counts once per kind)."""
    runs = [set(kinds) for kinds in kinds_per_run]
    return {k: sum(k in ks for ks in runs) for k in sorted(set().union(*runs))}


class Baseline(BaseModel):
    """The baseline file, validated before any training so a broken one fails fast."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal[1, 2]
    check: str
    definition_hash: str
    ganlab_version: str
    created_at: str
    variants: dict[str, VariantBaseline] = Field(min_length=1)
    # format 2: the collapse levels calibrated by `--update-baseline` (ganlab.check.levels), or null with
    # `levels_note` saying why none were (then the runs' configured levels apply). Format 1 has neither.
    levels: CalibratedLevels | None = None
    levels_note: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _levels_fit_the_format(self) -> Baseline:
        if self.format == 1 and (self.levels is not None or self.levels_note is not None):
            raise ValueError("format 1 holds no levels; write format 2 (ganlab check --update-baseline)")
        if self.format == 2 and (self.levels is None) == (self.levels_note is None):
            raise ValueError("format 2 holds either levels or a levels_note saying why there are none")
        return self


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
            "runs_with_event": _count_kinds(kinds),
            "runs_by_seed_events": {int(s): ks for s, ks in zip(done["seed"], kinds, strict=True)},
            "metrics": metrics,
        }
    return summary


def make_baseline(summary: dict[str, dict[str, Any]], definition_hash: str, check_name: str,
                  levels: CalibratedLevels | None = None, levels_note: str | None = None) -> dict[str, Any]:
    """The baseline file's content; ``levels`` calibrated, or ``levels_note`` saying why there are none."""
    variants = {name: {k: v for k, v in s.items() if k not in ("n_errors", "n_pending")} for name, s in summary.items()}
    baseline = Baseline.model_validate({
        "format": FORMAT_VERSION, "check": check_name, "definition_hash": definition_hash,
        "ganlab_version": ganlab.__version__, "created_at": timestamp(), "variants": variants,
        "levels": None if levels is None else levels.model_dump(mode="json"),
        "levels_note": None if levels is not None else (levels_note or "not calibrated"),
    })
    return baseline.model_dump(mode="json")


def write_baseline(path: str | Path, baseline: dict[str, Any]) -> None:
    atomic_write_json(path, baseline)


def read_baseline(path: str | Path, check_file: str | Path, definition_hash: str,
                  variants: Iterable[str] = (), metrics: Iterable[str] = ()) -> dict[str, Any]:
    """Load and validate a baseline (``Baseline``) and make sure it was made from this check definition.

    ``variants`` are the check file's variants and ``metrics`` the ones it gates (its tolerances): the
    baseline must hold exactly those variants, each with values of every gated metric, or nothing could
    be compared and the gate would pass by default.

    Raises ``BaselineError`` (one line naming the file and the first bad key) for a missing, unreadable,
    malformed, foreign or incomplete baseline; nothing has trained yet when it does.
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
    variants = list(variants)
    missing = [v for v in variants if v not in baseline.variants]
    extra = [v for v in baseline.variants if variants and v not in variants]
    if missing or extra:
        what = "; ".join(f"{label} {', '.join(map(repr, names))}" for label, names in
                         (("lacks variant(s)", missing), ("holds variant(s) not in the check file", extra)) if names)
        raise BaselineError(f"{path}: baseline {what}; refresh it with `{refresh}`")
    for name, variant in baseline.variants.items():
        absent = [m for m in metrics if m not in variant.metrics]
        if absent:
            raise BaselineError(f"{path}: variant {name!r} has no baseline values of {', '.join(absent)} "
                                f"(check.tolerances gates it); refresh it with `{refresh}`, or drop the tolerance")
    return baseline.model_dump(mode="json")
