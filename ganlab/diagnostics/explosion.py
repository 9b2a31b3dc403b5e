"""``gradient_explosion``: a gradient norm jumps far above every level it has held and stays there.

Healthy DCGAN training has single-step spikes of 10-50x the running median (calibration runs in
docs/diagnostics.md), so the test is on the median of ``explosion_sustain`` steps. Its reference is
the median of the ``explosion_window`` steps before them, or the highest such window median seen
earlier in the run, whichever is larger:

* the reference follows the run: norms that drift up slowly (G's grows ~30x over a healthy
  stacked-digits run) move it along with them and are not explosions;
* it keeps the run's highest sustained level: under the nonsaturating loss G's gradient swings
  between ~25 and ~500 as D takes and loses the lead (ReLU-in-D runs of the corpus), and a gradient
  coming back from having vanished is a recovery. Neither is an explosion; a jump to 10x anything the
  run has sustained before is;
* nothing before ``explosion_burn_in`` steps counts, in the reference or as an onset: from
  N(0, 0.02) init, without batchnorm, Adam grows the tiny first gradients 10-100x in tens of steps.
  That is warm-up (issue 10: every no-batchnorm run "exploded" at step ~15).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ganlab.diagnostics.events import earliest_per_episode
from ganlab.diagnostics.log import has, rows, stride, true_runs
from ganlab.schema import Event, EventKind, Evidence, Severity

if TYPE_CHECKING:
    from ganlab.config.diagnostics import DiagnosticsConfig

COLUMNS = ("grad_norm_d", "grad_norm_g")
MIN_SUSTAIN_ROWS = 5


def _episodes(x: np.ndarray, hot: np.ndarray, threshold: np.ndarray, sustain: int, factor: float):
    """Yield ``(onset, end, detected)`` row indices of each explosion; its threshold is frozen at detection.

    Freezing matters: once the explosion fills the reference window the rolling median catches up and
    ``hot`` switches off, although the norms are still 10x what they were before.
    """
    n, covered = len(x), -1
    for first, _ in true_runs(hot):
        if first <= covered:
            continue
        thr = threshold[first]
        block = np.arange(max(0, first - sustain + 1), first + 1)
        above = block[x[block] >= thr]
        start = int(above[0]) if len(above) else first
        # Onset: walk back over the rise that led up to it (rows above thr / sqrt(factor)).
        low = np.flatnonzero(~(x[: start + 1] >= thr / math.sqrt(factor)))
        onset = int(low[-1]) + 1 if len(low) else 0
        onset = min(onset, start)
        # End: the last row before `sustain` consecutive rows back below the frozen threshold.
        below = (~(x[start:] >= thr)).astype(np.int64)
        back = np.convolve(below, np.ones(sustain, dtype=np.int64), mode="valid") >= sustain
        end = start + int(np.argmax(back)) - 1 if back.any() else n - 1
        end = max(end, start)
        covered = end
        yield onset, end, first


def gradient_explosion(log: pd.DataFrame, config: DiagnosticsConfig) -> list[Event]:
    steps = log["step"].to_numpy()
    st = stride(steps)
    # At least 5 rows: a median of fewer is moved by two coincident spikes (seen with log_every=5).
    sustain = max(MIN_SUSTAIN_ROWS, rows(config.explosion_sustain, st))
    window = max(sustain, rows(config.explosion_window, st))
    ceiling = config.explosion_ceiling if config.explosion_ceiling is not None else math.inf
    warm = steps <= config.explosion_burn_in
    found: list[Event] = []
    for column in COLUMNS:
        if not has(log, column):
            continue
        raw = log[column].to_numpy(dtype=np.float64)
        norm = pd.Series(np.where(np.isfinite(raw), raw, np.nan))  # non_finite reports NaN/Inf
        recent = norm.rolling(sustain, min_periods=sustain).median()
        settled = norm.where(~warm)
        reference = settled.rolling(window, min_periods=sustain).median().shift(sustain)
        base = np.fmax(reference.to_numpy(), reference.cummax().to_numpy())
        threshold = np.fmin(base * config.explosion_factor, ceiling)
        # A zero reference (gradients exactly 0: a dead network) is no running level to exceed.
        hot = (recent.to_numpy() >= threshold) & np.isfinite(threshold) & (threshold > 0) & ~warm
        x = norm.to_numpy()
        for onset, end, first in _episodes(x, hot, threshold, sustain, config.explosion_factor):
            # Still exploded at the end of the log, or went on to NaN: the run did not recover.
            ongoing = end == len(x) - 1 or not np.isfinite(raw[end + 1 :]).all()
            ref = float(base[first])
            top = float(np.nanmax(x[onset : end + 1]))
            evidence: Evidence = {
                "column": column,
                "peak": top,
                "reference": ref,
                "ratio": top / ref if ref > 0 else math.inf,
                "until": int(steps[end]),
            }
            state = "and is still there" if ongoing else f"until step {int(steps[end])}"
            message = (
                f"{column} jumped to {top:.3g} ({evidence['ratio']:.0f}x its running level {ref:.3g}) "
                f"at step {int(steps[onset])} {state}: lower the learning rate or clip gradients"
            )
            severity = Severity.FAILURE if ongoing else Severity.WARNING
            found.append(Event(EventKind.GRADIENT_EXPLOSION, int(steps[onset]), severity, evidence, message))
    return earliest_per_episode(found)  # D and G usually explode together
