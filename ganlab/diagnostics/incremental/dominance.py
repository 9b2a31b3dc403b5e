"""``d_dominance``, incrementally.

Per row: G's and D's vanish ratios (trailing medians and a running peak: final when the row arrives),
the centred levels of D(x), D(G(z)), loss_d and D's ratio (the last ``smooth // 2`` rows move as rows
arrive), and
G's side from the eval rows (``EvalCore``: a collapse confirmed later re-marks up to one collapse window
of rows) and the latest ``eval_manifold_share`` (carried forward: final when the row arrives). The
condition is recomputed from the first row any of these changed, and its runs from there. Whether G
recovered after an episode (no event then) is read from the latest eval row when episodes are listed.
"""

from __future__ import annotations

import numpy as np

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics.dominance import (
    NEEDS,
    event,
    g_side,
    recovered_after,
    reported,
    windows,
    won,
)
from ganlab.diagnostics.incremental.buffer import Grow, LogBuffer, Runs, running_max, tail
from ganlab.diagnostics.incremental.collapse import EvalCore
from ganlab.diagnostics.incremental.episode import Episode, EventCache
from ganlab.diagnostics.quality import latest_share, off_manifold
from ganlab.diagnostics.rolling import centred_median, trailing_median
from ganlab.schema import EVAL_MANIFOLD_SHARE, EventKind, Severity

GRADS = ("grad_norm_g", "grad_norm_d")
LEVELS = ("d_real", "d_fake", "loss_d")


class DominanceStream:
    def __init__(self, config: DiagnosticsConfig, st: float, core: EvalCore):
        self.config, self.st, self.core = config, st, core
        self.g_core = core  # where "G's output is low" is read; the detector sets another for short runs
        self.window, self.smooth, self.gap = windows(config, st)
        self.ratio = {c: Grow() for c in GRADS}
        self.peak = dict.fromkeys(GRADS, np.nan)  # running peak of each norm's rolling median
        self.level = {c: Grow() for c in LEVELS}
        self.share = Grow()  # the latest eval_manifold_share at or before each row
        self.cond = Grow(bool, False)
        self.held = Grow(np.int64, 0)  # rows meeting the condition, up to each row
        self.runs = Runs(self.gap)
        self.reported: list[tuple[int, int, int]] = []  # (run index, first, last) of runs long enough
        self.cache = EventCache()

    def update(self, log: LogBuffer, start: int) -> None:
        n, smooth = log.n, self.smooth
        if start >= n:
            return
        for c in GRADS:
            norm = log.col(c)
            lo = max(0, start - smooth + 1)
            finite = np.where(np.isfinite(norm[lo:n]), norm[lo:n], np.nan)
            level = trailing_median(finite, smooth, smooth)[start - lo :]
            peak, self.peak[c] = running_max(level, self.peak[c])
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = norm[start:n] / peak
            self.ratio[c].put(start, np.where(norm[start:n] == 0.0, 0.0, ratio))
        carry = self.share.view[start - 1] if start else np.nan
        self.share.put(start, latest_share(log.col(EVAL_MANIFOLD_SHARE)[start:n], carry))
        dirty = min(max(0, start - (smooth - 1) // 2), self.core.changed_row, self.g_core.changed_row)
        for c in LEVELS:
            self.level[c].put(dirty, tail(lambda x: centred_median(x, smooth), log.col(c), dirty, smooth // 2))
        _, stalled = self.core.quality(dirty, n)
        lost, _ = self.g_core.quality(dirty, n)
        lost = lost | off_manifold(self.share.view[dirty:n], self.config)
        levels = {c: self.level[c].view[dirty:] for c in LEVELS}
        level_d = tail(lambda x: centred_median(x, smooth), self.ratio["grad_norm_d"].view, dirty, smooth // 2)
        cond = won(levels["d_real"], levels["d_fake"], levels["loss_d"], self.config) & g_side(
            self.ratio["grad_norm_g"].view[dirty:], level_d, lost, stalled, self.config)
        self.cond.put(dirty, cond)
        self.held.put(dirty, (self.held.view[dirty - 1] if dirty else 0) + np.cumsum(cond))
        self.runs.update(self.cond.view, dirty)
        changed = self.runs.changed
        while self.reported and self.reported[-1][0] >= changed:
            self.reported.pop()
        steps, held = log.steps.view, self.held.view
        pairs = zip(self.runs.first[changed:], self.runs.last[changed:], strict=True)
        for i, (first, last) in enumerate(pairs, start=changed):
            count = int(held[last] - (held[first - 1] if first else 0))
            if reported(steps, first, last, self.st, count, self.config):
                self.reported.append((i, first, last))

    def episodes(self, log: LogBuffer) -> list[Episode]:
        if not set(NEEDS) <= log.seen:
            return []
        steps = log.steps.view
        back = self.g_core.recovered_at(log) if self.reported else None
        out = []
        for _, first, last in self.reported:
            if recovered_after(back, int(steps[last]), self.config):
                continue

            def build(first: int = first, last: int = last):
                def make():
                    values = {c: log.col(c) for c in LEVELS}
                    return event(log.steps.view, first, last, values, self.ratio["grad_norm_g"].view,
                                 self.ratio["grad_norm_d"].view, self.config, self.share.view)

                return self.cache.get((first, last), True, make)

            out.append(Episode(EventKind.D_DOMINANCE, int(steps[first]), int(steps[last]), Severity.FAILURE, build))
        return out
