"""Stability diagnostics: events, the detector registry, the online monitor and offline ``diagnose``.

Detectors are pure functions ``(log: DataFrame, config: DiagnosticsConfig) -> list[Event]`` of a
metrics log that follows docs/metrics-schema.md. ``detect`` runs them; ``OnlineMonitor`` runs
``detect`` during training; ``diagnose_path`` runs it on a run directory or a metrics file.
"""

from ganlab.diagnostics.diagnose import diagnose_path
from ganlab.diagnostics.log import EVAL_COLUMNS, REQUIRED_COLUMNS, read_log
from ganlab.diagnostics.online import OnlineMonitor, should_stop
from ganlab.diagnostics.registry import DETECTORS, detect
from ganlab.schema.events import SEVERITIES, Event, EventKind, Severity

__all__ = [
    "DETECTORS",
    "EVAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "SEVERITIES",
    "Severity",
    "Event",
    "EventKind",
    "OnlineMonitor",
    "detect",
    "diagnose_path",
    "read_log",
    "should_stop",
]
