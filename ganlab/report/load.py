"""Read a sweep directory from disk: ``sweep.json``, ``results.parquet`` and each run's files.

Nothing here raises for missing or broken pieces except a missing sweep folder: whatever is absent
becomes a note that the report prints. See docs/report.md for the inputs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ganlab.config.load import flatten
from ganlab.config.yamlfile import read_yaml
from ganlab.errors import DataError, GanlabError
from ganlab.schema import (
    CONFIG_YAML,
    FINISHED,
    MANIFEST,
    METRICS_FILE,
    RESULTS,
    RUN_JSON,
    Severity,
    SweepManifest,
    sample_files,
)

# Metric columns that describe the evaluation rather than score it: kept in summary.csv, not plotted.
AUX_METRICS = ("n_samples", "modes_total", "modes_expected", "kid_std")
_TEXT_COLUMNS = {"variant": "", "run_id": "", "overrides": "{}", "status": "pending", "stop_reason": "",
                 "error": "", "run_dir": "", "log_path": ""}
_NUMBER_COLUMNS = ("seed", "steps_done", "steps_total", "wall_time_s")


@dataclass
class LoadedSweep:
    """A sweep as the report reads it from disk (``ganlab.sweep.spec.Sweep`` is the sweep *file*).

    ``runs`` has one row per run with the results columns plus derived ones:
    ``finished`` (completed or failed), ``fail_<kind>`` / ``warn_<kind>`` (onset of that kind's
    failure-severity / warning-severity events, NaN if none), ``fail_step`` (earliest failure onset),
    ``failed_any``, ``warned_any``, ``surv_time`` (fail_step, or steps_done for runs that never failed)
    and ``path`` (run folder or None). Only failure-severity events count as failures; warnings are shown
    in their own columns.
    """

    path: Path
    meta: dict[str, Any]
    runs: pd.DataFrame
    kinds: list[str]
    metrics: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.path.resolve().name)

    @property
    def variants(self) -> list[str]:
        """Variants in sweep.json order, then any others found only in results.parquet."""
        declared = self.meta.get("variants")
        names = [str(v) for v in declared] if isinstance(declared, (dict, list)) else []
        seen = list(dict.fromkeys(self.runs["variant"].tolist()))
        return list(dict.fromkeys(names)) + [v for v in seen if v not in names]

    def overrides(self, variant: str) -> dict[str, Any]:
        """The variant's dotted overrides, from sweep.json, else from its runs' ``overrides`` column."""
        declared = self.meta.get("variants")
        mine = declared.get(variant) if isinstance(declared, dict) else None
        if isinstance(mine, dict):
            return flatten(mine)
        for text in self.runs.loc[self.runs["variant"] == variant, "overrides"]:
            parsed = _json(text, {})
            if isinstance(parsed, dict):
                return {k: v for k, v in flatten(parsed).items() if k != "seed"}
        return {}


def load_sweep(sweep_dir: str | Path) -> LoadedSweep:
    """Load what a sweep has written so far; raise DataError only when there is no sweep there at all."""
    path = Path(sweep_dir)
    if not path.is_dir():
        raise DataError(f"{path}: no such sweep directory; pass the folder `ganlab sweep` wrote")
    notes: list[str] = []
    meta = _read_meta(path / MANIFEST, notes)
    results_path = path / RESULTS
    if meta is None and not results_path.is_file():
        raise DataError(f"{path}: not a sweep directory (no sweep.json or results.parquet); "
                        "run `ganlab sweep` first or pass its output folder")
    runs = _read_results(results_path, notes)
    runs = _deduplicate(_normalize(runs), notes)
    kinds = _prefixed(runs, "onset_")
    metrics = [m for m in _prefixed(runs, "metric_") if runs[f"metric_{m}"].notna().any()]
    runs = _derive(runs, kinds, path)
    sweep = LoadedSweep(path, meta or {}, runs, kinds, metrics, notes)
    _inventory(sweep)
    return sweep


def _read_meta(path: Path, notes: list[str]) -> dict[str, Any] | None:
    if not path.is_file():
        notes.append("sweep.json is missing: sweep name, versions and variant overrides are unknown.")
        return None
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as err:
        notes.append(f"sweep.json could not be read ({type(err).__name__}); header details are unknown.")
        return {}
    if not isinstance(meta, dict):
        notes.append("sweep.json is not a JSON object; header details are unknown.")
        return {}
    try:
        return SweepManifest.model_validate(meta).model_dump()
    except ValidationError as err:
        # Keep what can be read: a manifest from another ganlab version still names the sweep.
        first = err.errors()[0]
        where = ".".join(map(str, first["loc"])) or MANIFEST
        notes.append(f"sweep.json does not follow the manifest schema ({where}: {first['msg']}); "
                     "header details may be incomplete.")
        return meta


def _read_results(path: Path, notes: list[str]) -> pd.DataFrame:
    if not path.is_file():
        notes.append("results.parquet is missing: no run has been recorded yet.")
        return pd.DataFrame()
    try:
        return pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several unrelated types for a damaged file
        notes.append(f"results.parquet could not be read ({type(err).__name__}: {err}).")
        return pd.DataFrame()


def _normalize(runs: pd.DataFrame) -> pd.DataFrame:
    runs = runs.copy()
    for col, default in _TEXT_COLUMNS.items():
        if col not in runs:
            runs[col] = default
        runs[col] = runs[col].map(lambda v, d=default: d if _missing(v) else str(v))
    for col in _NUMBER_COLUMNS:
        runs[col] = pd.to_numeric(runs[col], errors="coerce") if col in runs else np.nan
    runs["status"] = runs["status"].str.lower()
    if not _prefixed(runs, "onset_") and "events" in runs:
        _onsets_from_events(runs)
    for col in [c for c in runs.columns if c.startswith(("onset_", "metric_"))]:
        runs[col] = pd.to_numeric(runs[col], errors="coerce").astype(float)
    return runs.reset_index(drop=True)


def _deduplicate(runs: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """One row per run: a results.parquet edited, concatenated or written by other code may repeat a run
    (same variant and seed), which would count it twice in every n. The last row is the latest state."""
    key = runs["variant"] + "\x00" + runs["seed"].astype(str)
    repeated = key.duplicated(keep="last")
    if not repeated.any():
        return runs
    dropped = runs[repeated]
    labels = list(dict.fromkeys(f"{v} seed {'?' if pd.isna(s) else int(s)}"
                                for v, s in zip(dropped["variant"], dropped["seed"], strict=True)))
    notes.append(f"results.parquet holds {int(repeated.sum())} repeated row(s) of {_some(labels)}: each run is "
                 "counted once, from its last row.")
    return runs[~repeated].reset_index(drop=True)


def _onsets_from_events(runs: pd.DataFrame) -> None:
    """Older results without onset_* columns: take each kind's earliest step from the events list."""
    parsed = [_json(text, []) for text in runs["events"]]
    kinds = sorted({str(e.get("kind")) for events in parsed for e in events if isinstance(e, dict)})
    for kind in kinds:
        steps = [min((float(e.get("step", math.nan)) for e in events if isinstance(e, dict) and e.get("kind") == kind),
                     default=math.nan) for events in parsed]
        runs[f"onset_{kind}"] = steps


def _derive(runs: pd.DataFrame, kinds: list[str], root: Path) -> pd.DataFrame:
    _split_severity(runs, kinds)
    onsets = runs[[f"fail_{k}" for k in kinds]] if kinds else pd.DataFrame(index=runs.index)
    runs["finished"] = runs["status"].isin(FINISHED)
    runs["fail_step"] = onsets.min(axis=1) if kinds else np.nan
    runs["failed_any"] = runs["fail_step"].notna()
    warned = runs[[f"warn_{k}" for k in kinds]] if kinds else pd.DataFrame(index=runs.index)
    runs["warned_any"] = warned.notna().any(axis=1) if kinds else False
    runs["surv_time"] = runs["fail_step"].fillna(runs["steps_done"]).fillna(0.0)
    runs["path"] = pd.Series([_run_path(root, rel) for rel in runs["run_dir"]], index=runs.index, dtype=object)
    return runs


def _split_severity(runs: pd.DataFrame, kinds: list[str]) -> None:
    """``fail_<kind>`` and ``warn_<kind>`` onsets from the events list's severities.

    An event without a severity (older results) counts as a failure; without an events list at all, every
    onset_<kind> is a failure onset.
    """
    parsed = [_json(text, None) for text in runs["events"]] if "events" in runs else [None] * len(runs)
    for kind in kinds:
        fail, warn = [], []
        for onset, events in zip(runs[f"onset_{kind}"], parsed, strict=True):
            if not isinstance(events, list):
                fail.append(onset)
                warn.append(math.nan)
                continue
            mine = [e for e in events if isinstance(e, dict) and e.get("kind") == kind]
            if not mine:  # an onset the events list does not explain (hand-edited or newer columns): a failure
                fail.append(onset)
                warn.append(math.nan)
                continue
            steps = {sev: min((_step(e) for e in mine if (e.get("severity") or Severity.FAILURE) == sev),
                              default=math.nan) for sev in Severity}
            fail.append(steps[Severity.FAILURE])
            warn.append(steps[Severity.WARNING])
        runs[f"fail_{kind}"] = np.asarray(fail, dtype=float)
        runs[f"warn_{kind}"] = np.asarray(warn, dtype=float)


def _step(event: dict[str, Any]) -> float:
    try:
        return float(event.get("step"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _run_path(root: Path, rel: str) -> Path | None:
    if not rel:
        return None
    path = Path(rel)
    return path if path.is_absolute() else root / path


def _inventory(sweep: LoadedSweep) -> None:
    """Note which runs are unfinished, errored, or lack a run folder, log, config or samples."""
    runs, notes = sweep.runs, sweep.notes
    on_disk = [p is not None and (p / METRICS_FILE).is_file() for p in runs["path"]]
    runs["has_log"] = [found and plot_log(p) is not None for found, p in zip(on_disk, runs["path"], strict=True)]
    runs["has_config"] = [p is not None and (p / CONFIG_YAML).is_file() for p in runs["path"]]
    runs["has_samples"] = [bool(sample_files(p)) for p in runs["path"]]
    label = pd.Series([f"{v} seed {'?' if pd.isna(s) else int(s)}" for v, s in zip(runs["variant"], runs["seed"],
                                                                                   strict=True)], index=runs.index)
    damaged = label[pd.Series(on_disk, index=runs.index) & ~runs["has_log"]].tolist()
    if damaged:
        notes.append(f"{METRICS_FILE} of {len(damaged)} run(s) could not be read (truncated or damaged): "
                     f"{_some(damaged)}; their training curves are missing.")
    bad_pngs = [f"{label[i]} ({', '.join(names)})" for i, p in zip(runs.index, runs["path"], strict=True)
                if (names := _unreadable_pngs(p))]
    if bad_pngs:
        notes.append(f"Unreadable sample grids (not a complete PNG) in {len(bad_pngs)} run(s): {_some(bad_pngs)}; "
                     "they are not shown.")
    unfinished = runs[~runs["finished"] & (runs["status"] != "error")]
    if len(unfinished):
        notes.append(f"{len(unfinished)} of {len(runs)} runs have not finished (status "
                     f"{', '.join(sorted(set(unfinished['status'])))}); they are left out of the statistics.")
    crashed = runs[runs["status"] == "error"]
    for message, group in crashed.groupby(crashed["error"].replace("", "no message recorded"), sort=False):
        notes.append(f"{_some(label[group.index].tolist())} crashed (status error) and "
                     f"{'is' if len(group) == 1 else 'are'} left out of the statistics: {message}")
    started = runs["status"] != "pending"
    present = {"has_log": pd.Series(on_disk, index=runs.index), "has_config": runs["has_config"],
               "has_samples": runs["has_samples"]}
    for col, what in (("has_log", METRICS_FILE), ("has_config", CONFIG_YAML), ("has_samples", "sample grids")):
        lacking = label[started & ~present[col]].tolist()
        if lacking:
            notes.append(f"No {what} for {len(lacking)} run(s): {_some(lacking)}.")
    blind = [v for v in dict.fromkeys(runs["variant"]) if _diagnostics_off(runs[runs["variant"] == v])]
    if blind:
        notes.append(f"Diagnostics were disabled (diagnostics.enabled: false) in the runs of {_some(blind)}: "
                     "no failure events could be detected there, so their failure rates say nothing.")
    if not sweep.metrics and len(runs):
        notes.append("No final metrics were recorded (no metric_* values in results.parquet).")


def _unreadable_pngs(run_dir: Path | None) -> list[str]:
    """Names of the run's sample grids that are not complete PNGs (Pillow's verify: header, chunks, CRCs)."""
    from PIL import Image

    bad = []
    for path in sample_files(run_dir).values():
        try:
            with Image.open(path) as image:
                if image.format != "PNG":
                    raise ValueError("not a PNG")
                image.verify()
        except Exception:  # noqa: BLE001 - Pillow raises many unrelated types for a damaged file
            bad.append(path.name)
    return bad


def _diagnostics_off(runs: pd.DataFrame) -> bool:
    """Whether the first readable config.yaml of these runs switches the detectors off."""
    for path in runs.loc[runs["has_config"], "path"]:
        config = read_config(path)
        if config is not None:
            diagnostics = config.get("diagnostics")
            return isinstance(diagnostics, dict) and diagnostics.get("enabled") is False
    return False


def _some(labels: list[str], limit: int = 8) -> str:
    return ", ".join(labels[:limit]) + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def first_run_info(sweep: LoadedSweep) -> dict[str, Any]:
    """``run.json`` of the first run that has one (for header details sweep.json lacks), or {}."""
    for path in sweep.runs["path"]:
        if path is not None and (path / RUN_JSON).is_file():
            info = _json(_read_text(path / RUN_JSON), None)
            if isinstance(info, dict):
                return info
    return {}


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def plot_log(run_dir: Path | None) -> pd.DataFrame | None:
    """A run's ``metrics.parquet`` for plotting: infinities turned into NaN; None when it is missing or
    unreadable (the report shows a gap). ``ganlab.diagnostics.read_log`` is the strict reader."""
    if run_dir is None or not (run_dir / METRICS_FILE).is_file():
        return None
    try:
        log = pd.read_parquet(run_dir / METRICS_FILE)
    except Exception:  # a damaged file is reported as missing
        return None
    if "step" not in log:
        return None
    return log.replace([np.inf, -np.inf], np.nan)


def read_config(run_dir: Path | None) -> dict[str, Any] | None:
    """A run's resolved ``config.yaml`` as a nested dict, or None."""
    if run_dir is None:
        return None
    try:
        data, _ = read_yaml(run_dir / CONFIG_YAML, "run config")
    except (OSError, GanlabError):  # an unreadable config.yaml leaves the config diff blank, not the report
        return None
    return data


def _prefixed(runs: pd.DataFrame, prefix: str) -> list[str]:
    return [c[len(prefix):] for c in runs.columns if isinstance(c, str) and c.startswith(prefix)]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _json(text: Any, default: Any) -> Any:
    if isinstance(text, (list, tuple, np.ndarray)):
        return list(text)
    if not isinstance(text, str):
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default
