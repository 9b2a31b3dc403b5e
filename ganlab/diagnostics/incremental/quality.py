"""``quality_collapse``, incrementally: the eval rows' steps and shares, gathered as they arrive.

The rule reads eval rows only, a few dozen in a run, so each check runs ``quality_collapse`` on those rows
alone: the cost follows the number of evaluations, not the length of the log.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics.incremental.buffer import LogBuffer
from ganlab.diagnostics.incremental.episode import Episode
from ganlab.diagnostics.quality import quality_collapse
from ganlab.schema import EVAL_MANIFOLD_SHARE, Event


class QualityStream:
    def __init__(self, config: DiagnosticsConfig):
        self.config = config
        self.steps: list[int] = []
        self.shares: list[float] = []

    def update(self, log: LogBuffer, start: int) -> None:
        if EVAL_MANIFOLD_SHARE not in log.present or start >= log.n:
            return
        column = log.col(EVAL_MANIFOLD_SHARE)[start : log.n]
        rows = np.flatnonzero(~np.isnan(column))
        self.steps.extend(int(s) for s in log.steps.view[start + rows])
        self.shares.extend(float(v) for v in column[rows])

    def episodes(self, log: LogBuffer) -> list[Episode]:
        if not self.steps:
            return []
        evals = pd.DataFrame({"step": self.steps, EVAL_MANIFOLD_SHARE: self.shares})
        return [Episode(e.kind, e.step, e.until, e.severity, functools.partial(_same, e))
                for e in quality_collapse(evals, self.config)]


def _same(event: Event) -> Event:
    return event
