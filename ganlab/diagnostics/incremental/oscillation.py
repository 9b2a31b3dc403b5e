"""``oscillation``, incrementally.

The smoothed loss, its level and the two half-window medians look ahead, so their last
``ahead`` rows (half a smoothing plus half a window) move as rows arrive: each update recomputes those
rows and the excursions from there. A chain of excursions settles once the excursion after it starts
before the moving rows: its event (or its absence) is then final and kept. Only the open chains at the
end are looked at again.
"""

from __future__ import annotations

import functools

import numpy as np

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics.events import earliest_per_episode
from ganlab.diagnostics.incremental.buffer import Grow, LogBuffer, tail
from ganlab.diagnostics.incremental.episode import Episode
from ganlab.diagnostics.oscillation import (
    COLUMNS,
    EVAL_SIGNALS,
    Chain,
    breaks,
    chain_bounds,
    chain_event,
    evaluation_fall,
    swing_state,
    windows,
)
from ganlab.diagnostics.rolling import centred_mean, centred_median, forward_median, trailing_median
from ganlab.schema import Event, EventKind, Severity

Fall = dict[str, tuple[float, float]] | None


class _Evals:
    """The rows holding an ``EVAL_SIGNALS`` value, for ``evaluation_fall`` (same answer as the whole log)."""

    def __init__(self, log: LogBuffer, config: DiagnosticsConfig):
        self.columns = [c for c in EVAL_SIGNALS if c in log.present]
        self.steps = Grow(np.int64, 0)
        self.values = {c: Grow() for c in self.columns}
        self.drop = config.oscillation_eval_drop
        self._cache: dict[tuple[int, int], Fall] = {}

    def update(self, log: LogBuffer, start: int) -> None:
        if not self.columns:
            return
        block = {c: log.col(c)[start:] for c in self.columns}
        rows = np.flatnonzero(~np.all([np.isnan(v) for v in block.values()], axis=0))
        at = self.steps.n
        self.steps.put(at, log.steps.view[start + rows])
        for c, values in block.items():
            self.values[c].put(at, values[rows])

    def fall(self, onset: int, until: int) -> Fall:
        """``evaluation_fall``; final once the log is past ``until`` (eval rows come in step order)."""
        key = (onset, until)
        if key not in self._cache:
            values = {c: v.view for c, v in self.values.items()}
            self._cache[key] = evaluation_fall(self.steps.view, values, onset, until, self.drop)
        return self._cache[key]


class _Loss:
    def __init__(self, column: str, config: DiagnosticsConfig, st: float, evals: _Evals):
        self.column, self.config, self.evals = column, config, evals
        self.smooth_rows, self.window, self.side = windows(config, st)
        self.ahead = (self.smooth_rows - 1) // 2 + max((self.window - 1) // 2, self.side - 1)
        self.smooth, self.scale, self.before, self.after = Grow(), Grow(), Grow(), Grow()
        self.state = Grow(np.int8, 0)
        self.last_nonzero = Grow(np.int64, -1)  # the last row at or before each row with a nonzero state
        self.firsts: list[int] = []  # excursions: first and last row, sign
        self.lasts: list[int] = []
        self.signs: list[int] = []
        self.settled = 0  # excursions of chains that can no longer change
        self.settled_events: list[Event] = []
        self.open: list[tuple[Chain, np.ndarray]] = []  # oscillations among the other excursions

    def update(self, log: LogBuffer, start: int) -> None:
        n, s, window, side = log.n, self.smooth_rows, self.window, self.side
        from_smooth = max(0, start - (s - 1) // 2)
        loss = log.col(self.column)
        self.smooth.put(from_smooth, tail(lambda x: centred_mean(np.where(np.isfinite(x), x, np.nan), s), loss,
                                          from_smooth, s // 2))
        smooth = self.smooth.view
        from_centre = max(0, from_smooth - (window - 1) // 2)
        centre = tail(lambda x: centred_median(x, window), smooth, from_centre, window // 2)
        self.scale.put(from_centre, np.maximum(np.abs(centre), self.config.oscillation_floor))
        self.before.put(from_smooth, tail(lambda x: trailing_median(x, side, 1), smooth, from_smooth, side - 1))
        from_after = max(0, from_smooth - (side - 1))
        self.after.put(from_after, forward_median(smooth[from_after:], side))
        dirty = min(from_centre, from_after)
        state = swing_state(smooth[dirty:], self.before.view[dirty:], self.after.view[dirty:],
                            self.scale.view[dirty:], self.config)
        self.state.put(dirty, state)
        changed = self._excursions(state, dirty)
        assert changed >= self.settled, "a settled chain changed"
        self._chains(log, n)

    def _excursions(self, state: np.ndarray, dirty: int) -> int:
        """Update the excursions from row ``dirty`` on; the index of the first one that changed."""
        while self.firsts and self.firsts[-1] >= dirty:
            self.firsts.pop(), self.lasts.pop(), self.signs.pop()
        changed = len(self.firsts)
        index = np.arange(dirty, dirty + len(state))
        carry = self.last_nonzero.view[dirty - 1] if dirty else -1
        self.last_nonzero.put(dirty, np.maximum.accumulate(np.concatenate(([carry], np.where(state != 0, index, -1)))
                                                           )[1:])
        if self.firsts and self.lasts[-1] >= dirty:
            self.lasts[-1] = int(carry)  # its last nonzero row before the moving ones
            changed -= 1
        nz = np.flatnonzero(state)
        if not len(nz):
            return changed
        signs = state[nz]
        cut = np.flatnonzero(np.diff(signs) != 0) + 1
        firsts = dirty + nz[np.concatenate(([0], cut))]
        lasts = dirty + nz[np.concatenate((cut - 1, [len(nz) - 1]))]
        heads = signs[np.concatenate(([0], cut))]
        begin = 0
        if self.firsts and self.signs[-1] == heads[0]:  # zeros between same-sign rows do not split
            self.lasts[-1] = int(lasts[0])
            changed = min(changed, len(self.firsts) - 1)
            begin = 1
        self.firsts.extend(int(v) for v in firsts[begin:])
        self.lasts.extend(int(v) for v in lasts[begin:])
        self.signs.extend(int(v) for v in heads[begin:])
        return changed

    def _chains(self, log: LogBuffer, n: int) -> None:
        """Settle the chains whose next excursion starts before the moving rows; look at the rest again."""
        config, steps = self.config, log.steps.view
        firsts = np.array(self.firsts[self.settled :], dtype=np.int64)
        lasts = np.array(self.lasts[self.settled :], dtype=np.int64)
        self.open = []
        if not len(firsts):
            return
        ends = [*np.flatnonzero(breaks(firsts, lasts, steps, config)).tolist(), len(firsts) - 1]
        begin, moving, settling = 0, n - self.ahead, True
        for end in ends:
            part = slice(begin, end + 1)
            chain = None
            if end - begin + 1 >= config.oscillation_swings:
                chain = chain_bounds(firsts[part], lasts[part], steps, self.evals.fall, config)
            settling = settling and end + 1 < len(firsts) and bool(firsts[end + 1] < moving)
            if settling:
                if chain is not None:
                    self.settled_events.append(self._event(chain, firsts[part], steps))
                self.settled += end - begin + 1
            elif chain is not None:
                self.open.append((chain, firsts[part]))
            begin = end + 1

    def _event(self, chain: Chain, firsts: np.ndarray, steps: np.ndarray) -> Event:
        return chain_event(self.column, chain, firsts, steps, self.smooth.view, self.scale.view)

    def episodes(self, log: LogBuffer) -> list[Episode]:
        steps = log.steps.view
        out = [Episode(EventKind.OSCILLATION, e.step, e.until, Severity.WARNING, functools.partial(_same, e))
               for e in self.settled_events]
        for chain, firsts in self.open:
            build = functools.partial(self._event, chain, firsts, steps)
            out.append(Episode(EventKind.OSCILLATION, chain.onset, int(steps[chain.last]), Severity.WARNING, build))
        return out


def _same(event: Event) -> Event:
    return event


class OscillationStream:
    def __init__(self, config: DiagnosticsConfig, st: float, log: LogBuffer):
        self.evals = _Evals(log, config)
        self.losses = [_Loss(c, config, st, self.evals) for c in COLUMNS]

    def update(self, log: LogBuffer, start: int) -> None:
        if start >= log.n:
            return
        self.evals.update(log, start)
        for loss in self.losses:
            loss.update(log, start)

    def episodes(self, log: LogBuffer) -> list[Episode]:
        found = [e for loss in self.losses if loss.column in log.seen for e in loss.episodes(log)]
        return earliest_per_episode(found)  # loss_d and loss_g swing together
