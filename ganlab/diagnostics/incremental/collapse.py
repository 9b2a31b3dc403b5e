"""``mode_collapse``, incrementally, and the per-eval-row state ``d_dominance`` reads (``quality_lost``).

State per eval row: the signals, their running bests, the full/partial levels, the window start, whether
G was improving, and whether the row is inside a confirmed collapse. A new eval row t costs O(its
window): it can only mark rows ``starts[t]..t`` as confirmed. The set of signals the log has (a signal
counts once some value of it is finite) changes at most a few times a run; then the eval rows are re-read.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics.collapse import (
    ABSOLUTE,
    best_seen,
    event,
    g_low,
    g_recovered,
    improved,
    levels,
    read_signals,
    real_duplicates,
    signal_values,
    signed,
    used_signals,
    window_starts,
)
from ganlab.diagnostics.incremental.buffer import Grow, LogBuffer, Runs, running_max
from ganlab.diagnostics.incremental.episode import Episode, EventCache
from ganlab.schema import EVAL_COLUMNS, EVAL_DUP_RATE_REAL, EVAL_MANIFOLD_SHARE, EventKind, Severity


class EvalCore:
    """The eval rows so far and ``mode_collapse``'s state on them."""

    def __init__(self, config: DiagnosticsConfig, log: LogBuffer):
        self.config = config
        self.present = [c for c in EVAL_COLUMNS if c in log.present]
        self.rows = Grow(np.int64, 0)  # the log row of each eval row
        self.steps = Grow(np.int64, 0)
        self.latest = Grow(np.int64, -1)  # per log row: the latest eval row at or before it
        self.values: dict[str, Grow] = {}
        self.higher: dict[str, bool] = {}
        self.active: list[str] = []  # signals with a finite value so far, in signal order
        self.changed_row = 0  # first log row whose (lost, stalled) the last update changed
        self._reset_derived()

    @property
    def count(self) -> int:
        return self.steps.n

    def _reset_derived(self) -> None:
        self.coverage_top = math.nan  # the best coverage so far (the carry of pandas' cummax)
        self.full, self.partial = Grow(bool, False), Grow(bool, False)
        self.starts = Grow(np.int64, -1)
        self.improving = Grow(bool, False)
        self.fresh = Grow(bool, False)  # a new best over the rows before (collapse.fresh_best)
        self.oriented = {n: Grow(np.float64, -np.inf) for n in self.active}
        self.best = {n: Grow(np.float64, -np.inf) for n in self.active}
        self.seen_best = {n: Grow() for n in self.active}
        self.bad_partial, self.bad_full = Grow(np.int64, 0), Grow(np.int64, 0)  # count of rows off the level
        self.confirmed, self.confirmed_full = Grow(bool, False), Grow(bool, False)
        self.runs = Runs(0)

    def update(self, log: LogBuffer, start: int) -> None:
        n = log.n
        if not self.present:
            self.latest.put(start, np.full(n - start, -1))
            self.changed_row = start
            return
        block = np.column_stack([log.col(c)[start:n] for c in self.present])
        is_eval = ~np.isnan(block).all(axis=1)
        old = self.count
        self.latest.put(start, old + np.cumsum(is_eval) - 1)
        new_rows = start + np.flatnonzero(is_eval)
        self.changed_row = start
        if not len(new_rows):
            return
        self.rows.put(old, new_rows)
        self.steps.put(old, log.steps.view[new_rows])
        frame = pd.DataFrame({c: log.col(c)[new_rows] for c in self.present})
        for name, (values, higher) in signal_values(frame, self.config).items():
            self.values.setdefault(name, Grow()).put(old, values)
            self.higher[name] = higher
        active = read_signals(n for n in self.values if np.isfinite(self.values[n].view).any())
        if active != self.active:
            self.active = active
            self._reset_derived()
            old = 0
        changed = self._derive(old)
        self.changed_row = min(start, int(self.rows.view[changed])) if changed < self.count else start

    def _sig(self, k: int) -> dict[str, tuple[np.ndarray, bool]]:
        return {n: (self.values[n].view[k:], self.higher[n]) for n in self.active}

    def _derive(self, k: int) -> int:
        """State of eval rows k.. (rows before k are final); returns the first row whose marks changed."""
        count, config = self.count, self.config
        if not self.active:
            return count
        sig = self._sig(k)
        best_cov = None
        if "coverage" in sig:
            best_cov, self.coverage_top = running_max(sig["coverage"][0], self.coverage_top)
        full, partial = levels(sig, config, count - k, best_cov)
        self.full.put(k, full)
        self.partial.put(k, partial)
        self.bad_partial.put(k, self.bad_partial.view[k - 1] + np.cumsum(~partial) if k else np.cumsum(~partial))
        self.bad_full.put(k, self.bad_full.view[k - 1] + np.cumsum(~full) if k else np.cumsum(~full))
        steps = self.steps.view
        starts = window_starts(steps, config.collapse_persist, config.collapse_min_steps, np.arange(k, count))
        self.starts.put(k, starts)
        for name in self.active:
            oriented = signed(*sig[name])
            self.oriented[name].put(k, oriented)
            carry = self.best[name].last(-np.inf)
            self.best[name].put(k, np.maximum.accumulate(np.concatenate(([carry], oriented)))[1:])
            carry = self.seen_best[name].last(np.nan)
            seen = best_seen(np.concatenate(([carry], sig[name][0])), self.higher[name])[1:]
            self.seen_best[name].put(k, seen)
        self.confirmed.put(k, np.zeros(count - k, bool))
        self.confirmed_full.put(k, np.zeros(count - k, bool))
        changed = count
        for t in range(k, count):
            self.improving.put(t, np.array([self._improving(t)]))
            self.fresh.put(t, np.array([self._fresh(t)]))
            first = int(self.starts.view[t])
            if first < 0 or self.improving.view[t]:
                continue
            for mask, bad in ((self.confirmed, self.bad_partial), (self.confirmed_full, self.bad_full)):
                before = bad.view[first - 1] if first else 0
                if bad.view[t] - before == 0:
                    if mask is self.confirmed:
                        fresh = np.flatnonzero(~mask.view[first : t + 1])
                        if len(fresh):
                            changed = min(changed, first + int(fresh[0]))
                    mask.view[first : t + 1] = True
        self.runs.update(self.confirmed.view, min(changed, k))
        return min(changed, k)

    def _improving(self, t: int) -> bool:
        first = int(self.starts.view[t])
        if first < 0:
            return False
        for name in used_signals(self.active):
            best = self.best[name].view[first]
            if first < t and np.isfinite(best):
                new_best = self.oriented[name].view[first + 1 : t + 1].max()
                if improved(name in ABSOLUTE, new_best, best, self.config):
                    return True
        return False

    def _fresh(self, t: int) -> bool:
        if t == 0:
            return True
        for name in used_signals(self.active):
            before = self.best[name].view[t - 1]
            if not np.isfinite(before) or improved(name in ABSOLUTE, self.oriented[name].view[t], before, self.config):
                return True
        return False

    def quality(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """``quality_lost`` for log rows lo..hi-1: (G's output low, inside a confirmed collapse)."""
        latest = self.latest.view[lo:hi]
        if not self.active:
            false = np.zeros(hi - lo, bool)
            return false, false.copy()
        seen = latest >= 0
        at = np.maximum(latest, 0)
        partial = self.partial.view
        if not len(partial):
            false = np.zeros(hi - lo, bool)
            return false, false.copy()
        dup = self.values["dup_rate"].view if "dup_rate" in self.active else None
        low = g_low(partial, self.fresh.view, dup, self.config)
        return seen & low[at], seen & self.confirmed.view[at]

    def recovered_at(self, log: LogBuffer) -> int | None:
        """``collapse.recovered_at`` from these eval rows (the core read under ``g_side_config``)."""
        if not self.count:
            return None
        readings = {n: float(self.values[n].view[-1]) for n in self.active}
        row = self.rows.view[-1]
        if EVAL_MANIFOLD_SHARE in log.present:
            readings[EVAL_MANIFOLD_SHARE] = float(log.col(EVAL_MANIFOLD_SHARE)[row])
        real_dup = real_duplicates(log.col(EVAL_DUP_RATE_REAL)[row]) if EVAL_DUP_RATE_REAL in log.present else 0.0
        partial = bool(self.partial.view[-1]) if self.active else False
        return int(self.steps.view[-1]) if g_recovered(partial, readings, self.config, real_dup) else None


class CollapseStream:
    def __init__(self, core: EvalCore):
        self.core = core
        self.g_core = core  # where G's recovery is read; the detector sets another for short runs
        self.cache = EventCache()

    def update(self, log: LogBuffer, start: int) -> None:
        """Nothing of its own: the shared ``EvalCore`` holds the state (the engine updates it first)."""

    def episodes(self, log: LogBuffer) -> list[Episode]:
        core = self.core
        if not core.active:
            return []
        steps = core.steps.view
        out = []
        pairs = core.runs.pairs()
        recovered = bool(pairs) and self.g_core.recovered_at(log) is not None
        for first, last in pairs:
            full_rows = np.flatnonzero(core.confirmed_full.view[first : last + 1])
            full_from = int(steps[first + full_rows[0]]) if len(full_rows) else None
            if full_from is None and recovered:
                continue

            def build(first: int = first, last: int = last, full_from: int | None = full_from):
                latest = {n: float(core.values[n].view[last]) for n in core.active}
                best = {n: float(core.seen_best[n].view[last]) for n in core.active}
                return self.cache.get((first, last), True, lambda: event(steps, first, last, full_from, latest, best))

            severity = Severity.FAILURE if full_from is not None else Severity.WARNING
            out.append(Episode(EventKind.MODE_COLLAPSE, int(steps[first]), int(steps[last]), severity, build))
        return out
