"""``non_finite``, incrementally: the first bad row, and a count and the last step of the bad rows."""

from __future__ import annotations

import functools

import numpy as np

from ganlab.diagnostics.incremental.buffer import LogBuffer
from ganlab.diagnostics.incremental.episode import Episode
from ganlab.diagnostics.nonfinite import COLUMNS, event
from ganlab.schema import EventKind, Severity


class NonFiniteStream:
    def __init__(self, log: LogBuffer):
        self.columns = [c for c in COLUMNS if c in log.present]
        self.first: tuple[int, str, float] | None = None  # step, column, value
        self.rows = 0
        self.until = 0

    def update(self, log: LogBuffer, start: int) -> None:
        if not self.columns or start >= log.n:
            return
        bad = ~np.isfinite(np.column_stack([log.col(c)[start:] for c in self.columns]))
        bad_rows = np.flatnonzero(bad.any(axis=1))
        if not len(bad_rows):
            return
        steps = log.steps.view
        if self.first is None:
            row = int(bad_rows[0])
            column = self.columns[int(np.argmax(bad[row]))]
            self.first = (int(steps[start + row]), column, float(log.col(column)[start + row]))
        self.rows += len(bad_rows)
        self.until = int(steps[start + bad_rows[-1]])

    def episodes(self, log: LogBuffer) -> list[Episode]:
        if self.first is None:
            return []
        step, column, value = self.first
        rows, until = self.rows, self.until
        build = functools.partial(event, step, column, value, rows, until)
        return [Episode(EventKind.NON_FINITE, step, until, Severity.FAILURE, build)]
