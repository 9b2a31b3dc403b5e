"""Online use during training: ``should_stop`` and the thin ``OnlineMonitor`` around ``detect``.

The monitor re-runs ``detect`` on the whole log so far, so what it reports during training is exactly
what ``ganlab diagnose`` reports on the same rows afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.diagnostics.registry import detect
from ganlab.schema import Event, EventKind


def should_stop(events: Sequence[Event], last_step: int, config: DiagnosticsConfig) -> Event | None:
    """The earliest event that should end the run now, or None.

    An event stops the run when its kind is in ``config.stop_on`` and its condition has held for
    ``config.patience`` steps past its onset (``until - step``, ``until`` capped at ``last_step``).
    ``non_finite`` stops at once whatever the config says: nothing useful can follow a NaN.
    """
    for event in sorted(events, key=lambda e: e.step):
        if event.kind == EventKind.NON_FINITE:
            return event
        if event.kind in config.stop_on and min(event.until, last_step) - event.step >= config.patience:
            return event
    return None


class OnlineMonitor:
    """Thin state around ``detect``: a cached DataFrame of the rows seen so far, and the last events.

    Call ``check(log_rows, step)`` every ``config.check_every`` steps with *all* rows logged so far
    (the list the trainer will write to metrics.parquet); only rows past the cached ones are converted.

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
        self.kinds = tuple(kinds if kinds is not None else (config.stop_on or config.detectors))
        # Same thresholds, fewer detectors (model_copy skips validation; the kinds are known ones).
        self._online = config.model_copy(update={"detectors": self.kinds})
        self.events: list[Event] = []
        self._frame = pd.DataFrame()
        self._seen = 0

    def frame(self, log_rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        """The log so far as a DataFrame, appending only rows not seen before."""
        if len(log_rows) < self._seen:  # the trainer restarted its list: start over
            self._frame, self._seen = pd.DataFrame(), 0
        if len(log_rows) > self._seen:
            new = pd.DataFrame.from_records(list(log_rows[self._seen :]))
            self._frame = new if self._frame.empty else pd.concat([self._frame, new], ignore_index=True)
            self._seen = len(log_rows)
        return self._frame

    def check(self, log_rows: Sequence[Mapping[str, Any]], step: int) -> Event | None:
        """Re-detect on the log so far; the event that should stop the run now, or None."""
        if not self.config.enabled:
            return None
        self.events = detect(self.frame(log_rows), self._online, self.context)
        return should_stop(self.events, step, self.config)
