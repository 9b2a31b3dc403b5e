"""``quality_collapse``: G's samples leave the data's manifold, and stay off it.

Reads ``eval_manifold_share`` (NaN on rows without an evaluation): the share of the evaluation's samples
that pass the realism gate (``ganlab.metrics.gate``), on which held-out real data reads ``GATE_PASS_RATE``.
A row is *off the manifold* when the share is at or below ``quality_min_share`` of that rate. As for
``mode_collapse``, a failure is confirmed only when that held on ``collapse_persist`` consecutive eval rows
spanning ``collapse_min_steps`` steps, and the share made no new best (by ``collapse_min_coverage_gain``,
absolute, and above the level) after the first of them: a healthy G starts off the manifold too, but it
is climbing. Checkerboards and stripes that the digit classifier reads as ten digits, and samples that a
diverging learning rate leaves as noise, are what it catches; a collapse onto a few realistic images is
``mode_collapse``'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ganlab.diagnostics.collapse import confirmed_rows, off_level, window_starts
from ganlab.diagnostics.log import true_runs
from ganlab.schema import EVAL_MANIFOLD_SHARE, GATE_PASS_RATE, Event, EventKind, Severity

if TYPE_CHECKING:
    from ganlab.config.diagnostics import DiagnosticsConfig


def latest_share(share: np.ndarray, carry: float = np.nan) -> np.ndarray:
    """Per log row, the latest evaluation's share at or before it (``share``: ``eval_manifold_share``, NaN
    on other rows; ``carry``: the value before the first row). NaN before the first evaluation."""
    filled = pd.Series(np.concatenate(([carry], share)), dtype=np.float64).ffill().to_numpy()
    return filled[1:]


def off_manifold(latest: np.ndarray, config: DiagnosticsConfig) -> np.ndarray:
    """Per log row: whether the latest evaluation's share (``latest_share``) is at or below the level;
    False before the first. ``d_dominance`` reads it as evidence from G's side."""
    with np.errstate(invalid="ignore"):
        return latest <= off_level(config)


def climbing(share: np.ndarray, starts: np.ndarray, config: DiagnosticsConfig) -> np.ndarray:
    """True at eval row t when, after the first row of t's window, the share beat its best up to that row
    by ``collapse_min_coverage_gain`` and rose above the level: G was still finding the manifold."""
    level = off_level(config)
    oriented = np.where(np.isfinite(share), share, -np.inf)
    best = np.maximum.accumulate(oriented)
    out = np.zeros(len(share), bool)
    for t in np.flatnonzero(starts >= 0):
        first = starts[t]
        if first < t:
            new_best = oriented[first + 1 : t + 1].max()
            out[t] = bool(new_best > best[first] + config.collapse_min_coverage_gain and new_best > level)
    return out


def quality_collapse(log: pd.DataFrame, config: DiagnosticsConfig) -> list[Event]:
    if EVAL_MANIFOLD_SHARE not in log.columns:
        return []
    ev = log.loc[log[EVAL_MANIFOLD_SHARE].notna(), ["step", EVAL_MANIFOLD_SHARE]].reset_index(drop=True)
    if ev.empty:
        return []
    steps, share = ev["step"].to_numpy(), ev[EVAL_MANIFOLD_SHARE].to_numpy(np.float64)
    starts = window_starts(steps, config.collapse_persist, config.collapse_min_steps)
    confirmed = confirmed_rows(share <= off_level(config), starts, climbing(share, starts, config))
    return [event(steps, share, first, last, config) for first, last in true_runs(confirmed)]


def event(steps: np.ndarray, share: np.ndarray, first: int, last: int, config: DiagnosticsConfig) -> Event:
    """The ``quality_collapse`` event of eval rows ``first..last``."""
    best = float(np.nanmax(share[: last + 1]))
    evidence: dict[str, float | int | str] = {
        "manifold_share": float(share[last]), "best_manifold_share": best, "real_share": GATE_PASS_RATE,
        "level": off_level(config), "evals": int(last - first + 1), "until": int(steps[last])}
    message = (f"quality collapse from step {int(steps[first])} over {last - first + 1} evals: "
               f"{share[last]:.2f} of G's samples lie on the data's manifold (held-out real data: "
               f"{GATE_PASS_RATE:.2f}, best so far {best:.2f}): G's samples do not look like the data; "
               "look at them, lower the learning rates, keep batchnorm and tanh in G (DCGAN guidelines 2, 4)")
    return Event(EventKind.QUALITY_COLLAPSE, int(steps[first]), Severity.FAILURE, evidence, message)
