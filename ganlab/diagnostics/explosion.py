"""``gradient_explosion``: a gradient norm jumps far above every level it has held and stays there.

Healthy DCGAN training has single-step spikes of 10-50x the running median (calibration runs in
docs/diagnostics.md), so the test is on the median of ``explosion_sustain`` steps. Its reference is
the median of the ``explosion_window`` steps before them, the highest such window median seen
earlier in the run, or the highest ``explosion_sustain``-step median the run held before them, burn-in
included, whichever is largest (``reference_level``):

* the reference follows the run: norms that drift up slowly (G's grows ~30x over a healthy
  stacked-digits run) move it along with them and are not explosions;
* it keeps the run's highest sustained level: under the nonsaturating loss G's gradient swings
  between ~25 and ~500 as D takes and loses the lead (ReLU-in-D runs of the corpus), and a gradient
  coming back from having vanished is a recovery. Neither is an explosion; a jump to 10x anything the
  run has sustained before is;
* nothing before ``explosion_burn_in`` steps counts as an onset or in the window medians: from
  N(0, 0.02) init, without batchnorm, Adam grows the tiny first gradients 10-100x in tens of steps.
  That is warm-up (issue 10: every no-batchnorm run "exploded" at step ~15). The highest level the
  burn-in held does count: a D that saturates inside it and comes back to that level recovers.
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


def windows(config: DiagnosticsConfig, st: float) -> tuple[int, int]:
    """(sustain, window) in rows. At least 5 sustain rows: a median of fewer is moved by two coincident
    spikes (seen with log_every=5)."""
    sustain = max(MIN_SUSTAIN_ROWS, rows(config.explosion_sustain, st))
    return sustain, max(sustain, rows(config.explosion_window, st))


def last_below(x: np.ndarray, end: int, level: float) -> int:
    """The last row at or before ``end`` where ``x`` is not >= ``level`` (NaN counts), or -1; looks back
    in doubling blocks, so it reads only as far back as it must."""
    hi, size = end + 1, 64
    while hi > 0:
        lo = max(0, hi - size)
        found = np.flatnonzero(~(x[lo:hi] >= level))
        if len(found):
            return lo + int(found[-1])
        hi, size = lo, 2 * size
    return -1


def start_and_onset(x: np.ndarray, first: int, thr: float, sustain: int, factor: float) -> tuple[int, int]:
    """Where an explosion detected at row ``first`` (threshold ``thr``) starts and where its rise began.

    Start: the first row of the ``sustain`` rows up to ``first`` at or above ``thr``. Onset: walk back
    over the rise that led up to it (rows above ``thr / sqrt(factor)``).
    """
    block = np.arange(max(0, first - sustain + 1), first + 1)
    above = block[x[block] >= thr]
    start = int(above[0]) if len(above) else first
    return start, min(last_below(x, start, thr / math.sqrt(factor)) + 1, start)


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
        start, onset = start_and_onset(x, first, thr, sustain, factor)
        # End: the last row before `sustain` consecutive rows back below the frozen threshold.
        below = (~(x[start:] >= thr)).astype(np.int64)
        back = np.convolve(below, np.ones(sustain, dtype=np.int64), mode="valid") >= sustain
        end = start + int(np.argmax(back)) - 1 if back.any() else n - 1
        end = max(end, start)
        covered = end
        yield onset, end, first


def levels(norm: np.ndarray, sustain: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(recent, reference) per row: the median of the last ``sustain`` rows, and the median of the
    ``window`` settled rows (past the burn-in) before them; ``norm`` is finite or NaN."""
    series = pd.Series(norm)
    recent = series.rolling(sustain, min_periods=sustain).median().to_numpy()
    reference = series.rolling(window, min_periods=sustain).median().shift(sustain).to_numpy()
    return recent, reference


def reference_level(reference: np.ndarray, peak: np.ndarray, held: np.ndarray) -> np.ndarray:
    """Per row, the level an explosion must exceed ``explosion_factor`` times: the settled window median
    before the row (``reference``), its highest value earlier (``peak``), or the highest ``sustain``-row
    median the run held before the row, burn-in included (``held``), whichever is largest; NaN where
    there is no settled level yet.

    ``held`` makes a gradient coming back to where it began a recovery: on 32x32 shapes D saturated inside
    the burn-in (its 20-step median from ~11 to 0.5-3) and came back to 40-65 when the game re-balanced,
    10x and more anything held after the burn-in. Warm-up (tiny first gradients that Adam grows) holds
    nothing high, so it raises no level.
    """
    settled = np.fmax(reference, peak)
    return np.where(np.isnan(settled), np.nan, np.fmax(settled, held))


def thresholds(base: np.ndarray, recent: np.ndarray, warm: np.ndarray,
               config: DiagnosticsConfig) -> tuple[np.ndarray, np.ndarray]:
    """(threshold, hot) per row from the reference level ``base``."""
    ceiling = config.explosion_ceiling if config.explosion_ceiling is not None else math.inf
    threshold = np.fmin(base * config.explosion_factor, ceiling)
    # A zero reference (gradients exactly 0: a dead network) is no running level to exceed.
    hot = (recent >= threshold) & np.isfinite(threshold) & (threshold > 0) & ~warm
    return threshold, hot


def gradient_explosion(log: pd.DataFrame, config: DiagnosticsConfig) -> list[Event]:
    steps = log["step"].to_numpy()
    sustain, window = windows(config, stride(steps))
    warm = steps <= config.explosion_burn_in
    found: list[Event] = []
    for column in COLUMNS:
        if not has(log, column):
            continue
        raw = log[column].to_numpy(dtype=np.float64)
        x = np.where(np.isfinite(raw), raw, np.nan)  # non_finite reports NaN/Inf
        recent, _ = levels(x, sustain, window)
        _, reference = levels(np.where(warm, np.nan, x), sustain, window)
        base = reference_level(reference, pd.Series(reference).cummax().to_numpy(),
                               pd.Series(recent).shift(sustain).cummax().to_numpy())
        threshold, hot = thresholds(base, recent, warm, config)
        for onset, end, first in _episodes(x, hot, threshold, sustain, config.explosion_factor):
            # Still exploded at the end of the log, or went on to NaN: the run did not recover.
            ongoing = end == len(x) - 1 or not np.isfinite(raw[end + 1 :]).all()
            found.append(event(column, steps, onset, end, float(base[first]), x, ongoing))
    return earliest_per_episode(found)  # D and G usually explode together


def event(column: str, steps: np.ndarray, onset: int, end: int, ref: float, x: np.ndarray, ongoing: bool) -> Event:
    """The ``gradient_explosion`` event of rows ``onset..end`` of ``column`` against its reference level."""
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
    return Event(EventKind.GRADIENT_EXPLOSION, int(steps[onset]), severity, evidence, message)
