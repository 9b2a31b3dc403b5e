"""``gradient_explosion``, incrementally.

Per row and column the recent median, the reference level and the threshold use only past rows, so a
row's values are final when it arrives; the reference's running peak is carried. An open explosion
keeps its frozen threshold and a count of the rows back below it since the last one above; it ends at
the first ``sustain`` such rows in a row. Only new rows are read, apart from the walk back over the rise
when an explosion opens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics.events import earliest_per_episode
from ganlab.diagnostics.explosion import COLUMNS, event, reference_level, start_and_onset, thresholds, windows
from ganlab.diagnostics.incremental.buffer import Grow, LogBuffer, running_max
from ganlab.diagnostics.incremental.episode import Episode, EventCache
from ganlab.diagnostics.rolling import trailing_median
from ganlab.schema import EventKind, Severity


@dataclass
class _Open:
    first: int  # the row it was detected at
    start: int
    onset: int
    thr: float
    scanned: int  # rows before this were looked at for the way back
    below: int  # rows back below thr in a row, ending at scanned - 1


def consecutive(below: np.ndarray, carry: int) -> np.ndarray:
    """Count of True rows in a row ending at each row, continuing ``carry`` from before the block."""
    index = np.arange(len(below))
    last_false = np.maximum.accumulate(np.where(~below, index, -1))
    return np.where(last_false >= 0, index - last_false, carry + index + 1)


class _Column:
    def __init__(self, column: str, config: DiagnosticsConfig, sustain: int, window: int):
        self.column, self.config, self.sustain, self.window = column, config, sustain, window
        self.x = Grow()  # the norm, NaN where it is not finite
        self.base, self.threshold, self.hot = Grow(), Grow(), Grow(bool, False)
        self.peak = np.nan  # running peak of the reference level
        self.recent = Grow()  # the median of the last `sustain` rows, per row
        self.held = np.nan  # the highest such median up to `sustain` rows before the last row
        self.last_bad = -1  # last row whose raw value is not finite
        self.closed: list[tuple[int, int, int]] = []  # (onset, end, first) of finished explosions
        self.open: _Open | None = None
        self.covered, self.scan = -1, 0  # end of the last finished one; next row to look for a new one at

    def update(self, log: LogBuffer, start: int) -> None:
        n, sustain, window = log.n, self.sustain, self.window
        raw = log.col(self.column)
        bad = np.flatnonzero(~np.isfinite(raw[start:n]))
        if len(bad):
            self.last_bad = start + int(bad[-1])
        self.x.put(start, np.where(np.isfinite(raw[start:n]), raw[start:n], np.nan))
        x = self.x.view
        lo = max(0, start - sustain + 1)
        recent = trailing_median(x[lo:n], sustain, sustain)[start - lo :]
        lo = max(0, start - sustain - window + 1)
        warm = log.steps.view[lo:n] <= self.config.explosion_burn_in
        med = trailing_median(np.where(warm, np.nan, x[lo:n]), window, sustain)
        reference = np.concatenate((np.full(sustain, np.nan), med))[: len(med)][start - lo :]
        peak, self.peak = running_max(reference, self.peak)
        self.recent.put(start, recent)
        before = np.arange(start, n) - sustain  # the row whose median each new row's `held` adds
        held, self.held = running_max(np.where(before >= 0, self.recent.view[np.maximum(before, 0)], np.nan),
                                      self.held)
        base = reference_level(reference, peak, held)
        threshold, hot = thresholds(base, recent, warm[start - lo :], self.config)
        self.base.put(start, base)
        self.threshold.put(start, threshold)
        self.hot.put(start, hot)
        self._follow(x, n)

    def _follow(self, x: np.ndarray, n: int) -> None:
        """Close the open explosion where it ends, open the next one where a hot stretch begins, repeat."""
        hot = self.hot.view
        while True:
            op = self.open
            if op is not None:
                count = consecutive(~(x[op.scanned : n] >= op.thr), op.below)
                hit = np.flatnonzero(count >= self.sustain)
                if not len(hit):
                    if n > op.scanned:
                        op.below = int(count[-1])
                    op.scanned = n
                    return
                end = max(op.scanned + int(hit[0]) - self.sustain, op.start)
                self.closed.append((op.onset, end, op.first))
                # The next one starts at a hot stretch after both this one's end and its detection row.
                self.open, self.covered, self.scan = None, end, max(end, op.first) + 1
            begin = max(self.scan, self.covered + 1)
            previous = np.concatenate(([hot[begin - 1] if begin else False], hot[begin : n - 1]))
            starts = np.flatnonzero(hot[begin:n] & ~previous)
            if not len(starts):
                self.scan = n
                return
            first = begin + int(starts[0])
            thr = float(self.threshold.view[first])
            begun, onset = start_and_onset(x, first, thr, self.sustain, self.config.explosion_factor)
            self.open = _Open(first, begun, onset, thr, begun, 0)

    def spans(self, n: int) -> list[tuple[int, int, int, bool]]:
        """(onset, end, first, ongoing) of every explosion so far."""
        found = [(o, e, f, e == n - 1 or self.last_bad > e) for o, e, f in self.closed]
        if self.open is not None:
            found.append((self.open.onset, n - 1, self.open.first, True))
        return found


class ExplosionStream:
    def __init__(self, config: DiagnosticsConfig, st: float):
        sustain, window = windows(config, st)
        self.columns = [_Column(c, config, sustain, window) for c in COLUMNS]
        self.cache = EventCache()

    def update(self, log: LogBuffer, start: int) -> None:
        if start < log.n:
            for column in self.columns:
                column.update(log, start)

    def episodes(self, log: LogBuffer) -> list[Episode]:
        steps, n = log.steps.view, log.n
        found = []
        for column in self.columns:
            if column.column not in log.seen:
                continue
            for onset, end, first, ongoing in column.spans(n):

                def build(c: _Column = column, onset: int = onset, end: int = end, first: int = first,
                          ongoing: bool = ongoing):
                    def make():
                        base = float(c.base.view[first])
                        return event(c.column, log.steps.view, onset, end, base, c.x.view, ongoing)

                    return self.cache.get((c.column, onset, end, ongoing), True, make)

                severity = Severity.FAILURE if ongoing else Severity.WARNING
                found.append(Episode(EventKind.GRADIENT_EXPLOSION, int(steps[onset]), int(steps[end]), severity, build))
        return earliest_per_episode(found)
