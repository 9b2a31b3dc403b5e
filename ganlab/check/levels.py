"""Collapse levels calibrated on the check baseline's own healthy seeds (issue 18, item 4).

``mode_collapse`` (and ``d_dominance``'s "G's output is low") read two data-dependent signals of the
periodic evaluation, ``eval_diversity`` and ``eval_dup_rate``. Their default levels are shares of what
real data reads (diversity 1, duplicate rate 0) and were set on digits; on a team's own data a healthy
generator can read below them. ``ganlab check --update-baseline`` measures the signals on the healthy
baseline's own runs (every evaluation of every finished run of the ``must_be_stable`` variants) and
reads each configured level as a share of that reading instead of real data's (rule ``RULE``)::

    d = the lowest eval_diversity, u = the highest eval_dup_rate (finite values only)
    m = the lowest, over runs, of a run's best eval_manifold_share
    collapse_{full,partial}_diversity = configured level x d
    collapse_{partial,full}_dup_rate  = u + configured level x (1 - u)
    quality_min_share                 = configured level x min(1, m / GATE_PASS_RATE)

``quality_collapse`` reads the realism gate's share, on which held-out real data reads ``GATE_PASS_RATE``;
its level is a share of that reading, and here of the best the healthy baseline reached when that is lower
(a run's best, not its lowest: every healthy run starts off the manifold and climbs).
With d = 1, u = 0 and m >= GATE_PASS_RATE (a generator that reads like real data) the levels are the
configured ones. The
levels are stored in the baseline file; ``ganlab check`` rediagnoses every finished run's log with them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.config.types import Int, Number
from ganlab.schema import EVAL_DIVERSITY, EVAL_DUP_RATE, EVAL_MANIFOLD_SHARE, FINISHED, GATE_PASS_RATE, METRICS_FILE

RULE = "healthy-baseline-v2"
DIVERSITY_LEVELS = ("collapse_full_diversity", "collapse_partial_diversity")
DUP_RATE_LEVELS = ("collapse_partial_dup_rate", "collapse_full_dup_rate")
REALISM_LEVEL = "quality_min_share"
LEVEL_KEYS = (*DIVERSITY_LEVELS, *DUP_RATE_LEVELS, REALISM_LEVEL)


def rule_levels(shares: dict[str, float], lowest_diversity: float | None, highest_dup_rate: float | None,
                lowest_best_share: float | None = None) -> dict[str, float]:
    """The calibrated levels (``RULE``) of the signals that have a reading; ``shares`` are the configured levels."""
    levels: dict[str, float] = {}
    if lowest_diversity is not None:
        levels |= {k: shares[k] * lowest_diversity for k in DIVERSITY_LEVELS}
    if highest_dup_rate is not None:
        levels |= {k: highest_dup_rate + shares[k] * (1.0 - highest_dup_rate) for k in DUP_RATE_LEVELS}
    if lowest_best_share is not None:
        levels[REALISM_LEVEL] = shares[REALISM_LEVEL] * min(1.0, lowest_best_share / GATE_PASS_RATE)
    return levels


class CalibratedLevels(BaseModel):
    """The ``levels`` block of a baseline file: the readings, the configured shares and the levels derived.

    Validated as strictly as the rest of the baseline (the gate fails closed): every number finite, the
    levels exactly what ``rule_levels`` makes of the readings and shares, and a valid diagnostics setting.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: Literal["healthy-baseline-v2"]
    variants: list[str] = Field(min_length=1)  # the must_be_stable variants measured
    runs: Int = Field(ge=1)
    evaluations: Int = Field(ge=1)
    lowest_diversity: Number | None = Field(ge=0.0)
    highest_dup_rate: Number | None = Field(ge=0.0, le=1.0)
    lowest_best_manifold_share: Number | None = Field(default=None, ge=0.0, le=1.0)
    shares: dict[str, Number]  # LEVEL_KEYS -> the configured level
    levels: dict[str, Number]  # the calibrated levels of the signals measured

    @model_validator(mode="after")
    def _derived_by_the_rule(self) -> CalibratedLevels:
        if set(self.shares) != set(LEVEL_KEYS):
            raise ValueError(f"shares must hold exactly {', '.join(LEVEL_KEYS)}")
        if self.lowest_diversity is None and self.highest_dup_rate is None and self.lowest_best_manifold_share is None:
            raise ValueError("no reading (lowest_diversity, highest_dup_rate and lowest_best_manifold_share all null): "
                             "nothing was calibrated")
        expected = rule_levels(self.shares, self.lowest_diversity, self.highest_dup_rate,
                               self.lowest_best_manifold_share)
        if set(self.levels) != set(expected):
            raise ValueError(f"levels must hold exactly {', '.join(expected)} (the measured signals' levels)")
        off = [k for k, v in expected.items() if not math.isclose(self.levels[k], v, rel_tol=1e-12, abs_tol=1e-15)]
        if off:
            raise ValueError(f"levels {', '.join(off)} are not what rule {self.rule} makes of the readings and shares")
        try:
            DiagnosticsConfig.model_validate({**self.shares, **self.levels})
        except ValidationError as err:
            raise ValueError(str(err.errors()[0]["msg"])) from None
        return self

    def overrides(self) -> dict[str, float]:
        """``{'diagnostics.KEY': level}`` for ``ganlab.diagnostics.diagnose_path``."""
        return {f"diagnostics.{k}": v for k, v in self.levels.items()}


def finished_run_dirs(results: pd.DataFrame, sweep_dir: Path, variants: list[str] | None = None) -> list[Path]:
    """Run directories of the finished runs (of ``variants`` when given), in the table's order."""
    rows = results[results["status"].isin(FINISHED)]
    if variants is not None:
        rows = rows[rows["variant"].isin(variants)]
    return [sweep_dir / str(d) for d in rows["run_dir"]]


def _eval_readings(run_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eval_diversity, eval_dup_rate, eval_manifold_share) of a run's evaluation rows, finite values only
    (float64)."""
    from ganlab.diagnostics.log import read_log

    log = read_log(run_dir / METRICS_FILE, ())
    out = []
    for column in (EVAL_DIVERSITY, EVAL_DUP_RATE, EVAL_MANIFOLD_SHARE):
        values = log[column].to_numpy(np.float64) if column in log.columns else np.array([])
        out.append(values[np.isfinite(values)])
    return out[0], out[1], out[2]


def calibrate(results: pd.DataFrame, sweep_dir: Path, healthy: list[str],
              configured: DiagnosticsConfig) -> tuple[CalibratedLevels | None, str]:
    """The levels measured on the ``healthy`` variants' finished runs, or None; and one line saying so."""
    dirs = finished_run_dirs(results, sweep_dir, healthy)
    readings = [_eval_readings(d) for d in dirs]
    diversity = np.concatenate([r[0] for r in readings]) if readings else np.array([])
    dup_rate = np.concatenate([r[1] for r in readings]) if readings else np.array([])
    best_shares = [float(r[2].max()) for r in readings if len(r[2])]
    if not dirs or not (len(diversity) or len(dup_rate) or best_shares):
        return None, (f"no eval_diversity, eval_dup_rate or eval_manifold_share reading in the {len(dirs)} finished "
                      f"run(s) of {', '.join(healthy)} (diagnostics.eval_every 0?)")
    shares = {k: float(getattr(configured, k)) for k in LEVEL_KEYS}
    lowest = float(diversity.min()) if len(diversity) else None
    highest = float(dup_rate.max()) if len(dup_rate) else None
    share = min(best_shares) if best_shares else None
    levels = CalibratedLevels(rule=RULE, variants=list(healthy), runs=len(dirs),
                              evaluations=max(len(diversity), len(dup_rate), sum(len(r[2]) for r in readings)),
                              lowest_diversity=lowest,
                              highest_dup_rate=highest, lowest_best_manifold_share=share, shares=shares,
                              levels=rule_levels(shares, lowest, highest, share))
    return levels, describe(levels)


def describe(levels: CalibratedLevels) -> str:
    """One line: which levels, measured on what."""
    shown = ", ".join(f"{k.removeprefix('collapse_')} {v:.4g}" for k, v in levels.levels.items())
    read = [f"lowest diversity {levels.lowest_diversity:.4g}" if levels.lowest_diversity is not None else "",
            f"highest dup rate {levels.highest_dup_rate:.4g}" if levels.highest_dup_rate is not None else "",
            f"lowest best manifold share {levels.lowest_best_manifold_share:.4g}"
            if levels.lowest_best_manifold_share is not None else ""]
    return (f"{shown} (rule {levels.rule}: calibrated on {levels.runs} run(s) of {', '.join(levels.variants)}, "
            f"{levels.evaluations} evaluation(s): {', '.join(r for r in read if r)})")


def rediagnose(results: pd.DataFrame, sweep_dir: Path, levels: CalibratedLevels) -> pd.DataFrame:
    """``results`` with each finished run's ``event_kinds`` from its log diagnosed at ``levels`` (the run's
    own config.yaml for everything else, as ``ganlab diagnose`` reads it). A run whose config switched its
    diagnostics off (``diagnostics.enabled: false``) keeps the events it has (none), as it would uncalibrated."""
    from ganlab.diagnostics.diagnose import diagnose_path, resolve

    out = results.copy()
    finished = out["status"].isin(FINISHED)
    kinds: list[Any] = []
    for run_dir, before in zip(finished_run_dirs(out, sweep_dir), out.loc[finished, "event_kinds"], strict=True):
        if not resolve(run_dir)[1].enabled:
            kinds.append(before)
            continue
        events = diagnose_path(run_dir, overrides=levels.overrides())
        kinds.append(",".join(sorted({str(e.kind) for e in events})))
    out.loc[finished, "event_kinds"] = kinds
    return out
