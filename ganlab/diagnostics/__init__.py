"""Stability diagnostics: the detector registry, the incremental online detectors and offline ``diagnose``.

Detectors are pure functions ``(log: DataFrame, config: DiagnosticsConfig) -> list[Event]`` of a
metrics log that follows docs/metrics-schema.md. ``detect`` runs them; ``IncrementalDetector`` carries
their state from check to check during training (``OnlineMonitor``, ``ganlab.Monitor``);
``diagnose_path`` runs ``detect`` on a run directory, a metrics file, a TensorBoard or MLflow run;
``diagnose_runs`` on each run below a directory.
"""

from ganlab.diagnostics.diagnose import diagnose_path, diagnose_runs
from ganlab.diagnostics.events import should_stop
from ganlab.diagnostics.incremental import IncrementalDetector
from ganlab.diagnostics.log import EVAL_COLUMNS, KNOWN_COLUMNS, REQUIRED_COLUMNS, read_log
from ganlab.diagnostics.online import OnlineMonitor
from ganlab.diagnostics.registry import DETECTORS, detect
from ganlab.schema.events import SEVERITIES, Event, EventKind, Severity

__all__ = [
    "DETECTORS",
    "EVAL_COLUMNS",
    "KNOWN_COLUMNS",
    "REQUIRED_COLUMNS",
    "SEVERITIES",
    "Severity",
    "Event",
    "EventKind",
    "IncrementalDetector",
    "OnlineMonitor",
    "detect",
    "diagnose_path",
    "diagnose_runs",
    "read_log",
    "should_stop",
]
