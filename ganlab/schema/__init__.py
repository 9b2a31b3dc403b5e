"""The on-disk contracts, defined once: what runs and sweeps write and what the report, ``diagnose`` and the
CI gate read. Torch-free (pydantic, pyarrow, numpy and the standard library; pandas only to write a log),
so readers start fast.

- ``events``: ``EventKind``, ``Severity`` and ``Event`` (``events.json``)
- ``log``: the metrics log columns (``metrics.parquet``), the per-step values, the evaluation keys, its writer
- ``run``: the run directory's file names, ``run.json`` (``RunRecord``), statuses, timestamps, versions
- ``sweep``: the sweep folder's names, ``sweep.json`` (``SweepManifest``) and the ``results.parquet`` columns

docs/metrics-schema.md, docs/architecture.md and docs/sweeps.md document them; tests/schema holds the
docs against this package, and holds every other module to importing these names rather than spelling them.
"""

from ganlab.schema.events import (
    EVENT_KINDS,
    SEVERITIES,
    Event,
    EventKind,
    Evidence,
    Severity,
    read_events,
    write_events,
)
from ganlab.schema.log import (
    CHEAP_KEYS,
    EVAL_COLUMNS,
    EVAL_DIVERSITY,
    EVAL_DUP_RATE,
    EVAL_DUP_RATE_REAL,
    EVAL_KEYS,
    EVAL_KL,
    EVAL_MANIFOLD_SHARE,
    EVAL_MODES,
    EVAL_MODES_TOTAL,
    EVAL_MODES_UNGATED,
    EVAL_NDB_K,
    EVAL_PREFIX,
    GATE_KEYS,
    GATE_PASS_RATE,
    HIGHER_IS_BETTER,
    LOG_COLUMNS,
    LOGGED_VALUES,
    SCORE_KEYS,
    STEP_VALUES,
    write_log,
)
from ganlab.schema.run import (
    CHECKPOINT,
    CONFIG_YAML,
    ERROR_LOG,
    EVENTS_JSON,
    FINISHED,
    LOCK_FILE,
    METRICS_FILE,
    RUN_JSON,
    RUN_STATUSES,
    SAMPLES_DIR,
    EventSummary,
    RunRecord,
    finished_record,
    git_commit,
    read_run,
    sample_files,
    sample_path,
    timestamp,
    versions,
    write_run,
)
from ganlab.schema.sweep import (
    LOGS_DIR,
    MANIFEST,
    RESULTS,
    RUNS_DIR,
    SweepManifest,
    result_columns,
    results_schema,
    run_log,
    run_path,
    write_manifest,
)

__all__ = [
    "CHEAP_KEYS", "CHECKPOINT", "CONFIG_YAML", "ERROR_LOG", "EVAL_COLUMNS", "EVAL_DIVERSITY", "EVAL_DUP_RATE",
    "EVAL_DUP_RATE_REAL", "EVAL_KEYS", "EVAL_KL", "EVAL_MANIFOLD_SHARE", "EVAL_MODES", "EVAL_MODES_TOTAL",
    "EVAL_MODES_UNGATED", "EVAL_NDB_K",
    "EVAL_PREFIX", "GATE_KEYS", "GATE_PASS_RATE", "EVENTS_JSON", "EVENT_KINDS", "FINISHED",
    "HIGHER_IS_BETTER", "LOCK_FILE", "LOGGED_VALUES", "LOGS_DIR", "LOG_COLUMNS", "MANIFEST", "METRICS_FILE", "RESULTS",
    "RUNS_DIR", "RUN_JSON", "RUN_STATUSES", "SAMPLES_DIR", "SCORE_KEYS", "SEVERITIES", "STEP_VALUES", "Event",
    "EventKind", "EventSummary", "Evidence", "RunRecord", "Severity", "SweepManifest", "finished_record",
    "git_commit", "read_events", "read_run", "result_columns", "results_schema", "run_log", "run_path",
    "sample_files", "sample_path", "timestamp", "versions", "write_events", "write_log", "write_manifest", "write_run",
]
