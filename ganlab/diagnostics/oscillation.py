"""``oscillation``: a loss swings above and below its own level again and again.

The loss is smoothed (centred mean over ``oscillation_smooth`` steps, which removes step-to-step
noise). An *excursion* is a stretch where the smoothed loss is more than ``amplitude / 2`` of its
level above (or below) *both* the median of the half window before it and the median of the half
window after it (``oscillation_window`` in all). ``oscillation_swings`` excursions that alternate
up/down, each starting within half a window of the end of the last, are an oscillation, if G's side
shows it: where the log has periodic evaluation, ``eval_modes`` or ``eval_diversity`` must fall below
``oscillation_eval_drop`` x its best before the onset while the losses swing. D and G trading the
lead while G keeps improving is how healthy GAN training looks (a healthy width-128 baseline's
loss_d swung 0.08-2.1 four times while its modes rose from 358 to 402).

Why this shape: a drift is above the past and below the future, so never an excursion; a flat
stretch before the swings start is level with its past (a single centred line would be pulled by
the first half-swing and make it one, putting the onset too early); a D-breakthrough spike (loss_d
0.2 -> 2.4 -> 0.2, common in healthy stacked-digits runs) is one excursion up with nothing below;
noise after smoothing stays inside the band. Only repeated, large, two-sided swings qualify. Near
the end of a log the "after" half window is short, so the last swings count only once the log has
grown past them: online, an oscillation is confirmed up to half a window later than offline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ganlab.diagnostics.events import earliest_per_episode
from ganlab.diagnostics.log import has, rows, stride
from ganlab.diagnostics.rolling import centred_mean, centred_median, forward_median, trailing_median
from ganlab.schema import EVAL_DIVERSITY, EVAL_MODES, Event, EventKind, Evidence, Severity

if TYPE_CHECKING:
    from ganlab.config.diagnostics import DiagnosticsConfig

COLUMNS = ("loss_d", "loss_g")
EVAL_SIGNALS = (EVAL_MODES, EVAL_DIVERSITY)  # G's side: the modes its samples cover, how spread they are


def evaluation_fall(steps: np.ndarray, signals: dict[str, np.ndarray], onset: int, until: int,
                    drop: float) -> dict[str, tuple[float, float]] | None:
    """What G's periodic evaluation did over an oscillation from ``onset`` to ``until``.

    ``signals`` holds the log's ``EVAL_SIGNALS`` columns (NaN off the eval rows), against ``steps``.
    None when the log cannot say where G stood at the onset (no value of ``EVAL_SIGNALS`` at or
    before it: no periodic evaluation, or swings from before the first eval): the losses decide
    alone. Otherwise ``{column: (best at or before the onset, lowest after it up to until)}`` for
    the signals that fell below ``drop`` x that best; ``{}`` when none did, including when no eval
    has run since the onset (online, the event waits for one rather than being reported now and
    dropped later).
    """
    placed, fell = False, {}
    for column, values in signals.items():
        known = np.isfinite(values)
        before = values[known & (steps <= onset)]
        during = values[known & (steps > onset) & (steps <= until)]
        placed |= len(before) > 0
        if len(before) and len(during) and before.max() > 0 and during.min() < drop * before.max():
            fell[column] = (float(before.max()), float(during.min()))
    return fell if placed else None


def excursions(state: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximal same-sign stretches of a -1/0/+1 state, zeros ignored: (first rows, last rows, signs)."""
    nz = np.flatnonzero(state != 0)
    if len(nz) == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, empty
    signs = state[nz]
    change = np.flatnonzero(np.diff(signs) != 0) + 1
    firsts = nz[np.concatenate(([0], change))]
    lasts = nz[np.concatenate((change - 1, [len(nz) - 1]))]
    return firsts, lasts, signs[np.concatenate(([0], change))]


def _rhythm_start(members: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, int]:
    """Drop leading excursions out of the chain's rhythm; return the members left and the onset step.

    A leading excursion over twice the others' median length began as a drift and turned into the
    first swing: it counts from one median length before its end. Out of rhythm: starting (so
    counted) over 1.5x the others' median spacing before the next, or lasting under half their
    median length (the early-training transient, or noise just before the swings, which the centred
    line, pulled by the first half-swing, lets through).
    """
    while True:
        rest = members[1:]
        typical = float(np.median(ends[rest] - starts[rest]))
        first = members[0]
        begin = starts[first] if ends[first] - starts[first] <= 2 * typical else ends[first] - typical
        if len(members) <= 2:
            return members, int(begin)
        spacing = float(np.median(np.diff(starts[rest]))) if len(rest) > 1 else np.inf
        if starts[rest[0]] - begin > 1.5 * spacing or ends[first] - starts[first] < 0.5 * typical:
            members = rest
            continue
        return members, int(begin)


def windows(config: DiagnosticsConfig, st: float) -> tuple[int, int, int]:
    """(smooth, window, side) in rows: the smoothing, the level's window, each half window."""
    window = rows(config.oscillation_window, st)
    return rows(config.oscillation_smooth, st), window, max(1, window // 2)


def swing_state(smooth: np.ndarray, before: np.ndarray, after: np.ndarray, scale: np.ndarray,
                config: DiagnosticsConfig) -> np.ndarray:
    """+1 / -1 where the smoothed loss is above / below both half-window medians by amplitude/2 of its
    level, else 0."""
    half = config.oscillation_amplitude / 2 * scale
    with np.errstate(invalid="ignore"):
        up = (smooth - before > half) & (smooth - after > half)
        down = (smooth - before < -half) & (smooth - after < -half)
    return np.where(up, 1, np.where(down, -1, 0)).astype(np.int8)


@dataclass(frozen=True)
class Chain:
    """A chain of excursions that is an oscillation: its members (indices into the chain's excursions),
    onset step, first and last row, and what G's evaluation did meanwhile."""

    members: np.ndarray
    onset: int
    first: int
    last: int
    fell: dict[str, tuple[float, float]] | None


def chain_bounds(firsts: np.ndarray, lasts: np.ndarray, steps: np.ndarray,
                 fall: Callable[[int, int], dict[str, tuple[float, float]] | None],
                 config: DiagnosticsConfig) -> Chain | None:
    """One chain of alternating excursions (rows ``firsts[i]..lasts[i]``) as an oscillation, or None when
    it is out of rhythm, too short, or G's evaluation held up (``fall(onset, until)``: ``evaluation_fall``)."""
    members, onset = _rhythm_start(np.arange(len(firsts)), steps[firsts], steps[lasts])
    if len(members) < config.oscillation_swings:
        return None
    first, last = int(firsts[members[0]]), int(lasts[members[-1]])
    fell = fall(onset, int(steps[last]))
    if fell == {}:
        return None  # G's samples kept their modes and spread (or cannot show it yet): not instability
    return Chain(members, onset, first, last, fell)


def chain_event(column: str, chain: Chain, firsts: np.ndarray, steps: np.ndarray, smooth: np.ndarray,
                scale: np.ndarray) -> Event:
    """The ``oscillation`` event of ``chain`` (``firsts``: its excursions' first rows)."""
    part = slice(chain.first, chain.last + 1)
    swing = float(np.nanmax(smooth[part]) - np.nanmin(smooth[part]))
    period = 2 * float(np.mean(np.diff(steps[firsts[chain.members]])))
    level = float(np.nanmedian(scale[part]))
    until, fell = int(steps[chain.last]), chain.fell
    evidence: Evidence = {
        "column": column,
        "swings": len(chain.members),
        "amplitude": swing,
        "level": level,
        "period": period,
        "until": until,
    }
    for signal, (best, lowest) in (fell or {}).items():
        evidence[f"{signal}_best_before"] = best
        evidence[f"{signal}_lowest"] = lowest
    g_side = "; no evaluation of G before the onset to compare with" if fell is None else "; meanwhile " + (
        ", ".join(f"{signal} fell from {best:.3g} to {lowest:.3g}" for signal, (best, lowest) in fell.items()))
    message = (
        f"{column} oscillates from step {chain.onset} to {until}: {len(chain.members)} swings "
        f"of up to {swing:.2f} around {level:.2f}, period ~{period:.0f} steps{g_side}; lower the learning "
        "rates or beta1, or balance D and G"
    )
    return Event(EventKind.OSCILLATION, chain.onset, Severity.WARNING, evidence, message)


def breaks(firsts: np.ndarray, lasts: np.ndarray, steps: np.ndarray, config: DiagnosticsConfig) -> np.ndarray:
    """Between consecutive excursions (which alternate in sign by construction): a quiet gap over half
    a window between one's end and the next one's start ends a chain."""
    return steps[firsts[1:]] - steps[lasts[:-1]] > config.oscillation_window / 2


def _column(log: pd.DataFrame, column: str, config: DiagnosticsConfig, st: float,
            evals: tuple[np.ndarray, dict[str, np.ndarray]]) -> list[Event]:
    def fall(onset: int, until: int) -> dict[str, tuple[float, float]] | None:
        return evaluation_fall(*evals, onset, until, config.oscillation_eval_drop)

    smooth_rows, window, side = windows(config, st)
    loss = log[column].to_numpy(dtype=np.float64)
    smooth = centred_mean(np.where(np.isfinite(loss), loss, np.nan), smooth_rows)
    centre = centred_median(smooth, window)  # the level, for scale
    scale = np.maximum(np.abs(centre), config.oscillation_floor)
    # Deviation from the medians of the half-windows before and after: a drift is above one and
    # below the other, flat stretches before a swing are on neither side of their past.
    state = swing_state(smooth, trailing_median(smooth, side, 1), forward_median(smooth, side), scale, config)
    firsts, lasts, _ = excursions(state)
    if len(firsts) < config.oscillation_swings:
        return []
    steps = log["step"].to_numpy()
    chain = np.concatenate(([0], np.cumsum(breaks(firsts, lasts, steps, config))))
    events = []
    for c in np.unique(chain):
        members = np.flatnonzero(chain == c)
        if len(members) < config.oscillation_swings:
            continue
        found = chain_bounds(firsts[members], lasts[members], steps, fall, config)
        if found is not None:
            events.append(chain_event(column, found, firsts[members], steps, smooth, scale))
    return events


def eval_signals(log: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The steps and the ``EVAL_SIGNALS`` columns the log has, for ``evaluation_fall``."""
    steps = log["step"].to_numpy()
    return steps, {c: log[c].to_numpy(dtype=np.float64) for c in EVAL_SIGNALS if c in log.columns}


def oscillation(log: pd.DataFrame, config: DiagnosticsConfig) -> list[Event]:
    st = stride(log["step"].to_numpy())
    evals = eval_signals(log)
    events = [e for column in COLUMNS if has(log, column) for e in _column(log, column, config, st, evals)]
    return earliest_per_episode(events)  # loss_d and loss_g swing together
