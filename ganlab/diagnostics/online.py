"""Online use during training: ``OnlineMonitor``, the trainer's thin handle on the incremental detectors.

Each check hands the detectors only the rows logged since the last one (``ganlab.diagnostics.incremental``),
and what they report equals ``detect`` on the log so far: exactly what ``ganlab diagnose`` reports on the
same rows afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics.events import should_stop
from ganlab.diagnostics.incremental import IncrementalDetector
from ganlab.schema import Event

__all__ = ["OnlineMonitor", "should_stop"]


class OnlineMonitor:
    """The trainer's online detectors.

    Call ``check(log_rows, step)`` every ``config.check_every`` steps with *all* rows logged so far (the
    list the trainer will write to metrics.parquet); only rows past those already seen are read.

    Only the detectors that can stop the run (``config.stop_on``; all of ``config.detectors`` when
    that is empty, or ``kinds`` when given) run online, to keep the overhead small. Detectors are
    independent, so ``events`` equals the offline ``detect`` events of those kinds on the same rows.
    """

    def __init__(
        self,
        config: DiagnosticsConfig,
        context: Mapping[str, Any] | None = None,
        kinds: Sequence[str] | None = None,
    ):
        self.config = config
        self.context: dict[str, Any] = dict(context or {})
        self._kinds = kinds
        self.detector = IncrementalDetector(config, kinds if kinds is not None else (config.stop_on or None), context)
        self._seen = 0

    @property
    def kinds(self) -> tuple[str, ...]:
        return self.detector.kinds

    @property
    def events(self) -> list[Event]:
        """The events of the log so far (``detect`` on it, these kinds only)."""
        return self.detector.events()

    def feed(self, log_rows: Sequence[Mapping[str, Any]]) -> None:
        """Hand the detectors the rows of ``log_rows`` not seen yet (all of them, if the list shrank)."""
        if len(log_rows) < self._seen:  # the trainer restarted its list: start over
            self.detector = IncrementalDetector(self.config, self.detector.kinds, self.context)
            self._seen = 0
        self.detector.extend(log_rows[self._seen :])
        self._seen = len(log_rows)

    def frame(self) -> pd.DataFrame:
        """The log the detectors have seen, as ``prepare`` gives it."""
        return self.detector.log.frame()

    def check(self, log_rows: Sequence[Mapping[str, Any]], step: int) -> Event | None:
        """Read the new rows; the event that should stop the run now, or None."""
        if not self.config.enabled:
            return None
        self.feed(log_rows)
        return self.detector.stop(step, should_stop)
