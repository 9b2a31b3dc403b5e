"""The on-disk contracts, defined once: what runs and sweeps write and what the report, ``diagnose`` and the
CI gate read. Torch-free (pydantic, pyarrow and the standard library only), so readers start fast.

- ``log``: the metrics log columns (``metrics.parquet``), the per-step values, the evaluation keys
- ``run``: the run directory's file names, ``run.json`` (``RunRecord``), statuses, timestamps, versions
- ``sweep``: ``sweep.json`` (``SweepManifest``) and the ``results.parquet`` columns

docs/metrics-schema.md, docs/architecture.md and docs/sweeps.md document them; tests/schema holds the
docs against this package.
"""

from ganlab.schema.log import (
    CHEAP_KEYS,
    EVAL_COLUMNS,
    EVAL_KEYS,
    EVAL_PREFIX,
    HIGHER_IS_BETTER,
    LOG_COLUMNS,
    LOGGED_VALUES,
    SCORE_KEYS,
    STEP_VALUES,
)
from ganlab.schema.run import (
    CHECKPOINT,
    CONFIG_YAML,
    EVENTS_JSON,
    FINISHED,
    METRICS_FILE,
    RUN_JSON,
    RUN_STATUSES,
    EventSummary,
    RunRecord,
    finished_record,
    git_commit,
    read_run,
    timestamp,
    versions,
    write_run,
)
from ganlab.schema.sweep import MANIFEST, RESULTS, SweepManifest, result_columns, results_schema

__all__ = [
    "CHEAP_KEYS", "CHECKPOINT", "CONFIG_YAML", "EVAL_COLUMNS", "EVAL_KEYS", "EVAL_PREFIX", "EVENTS_JSON", "FINISHED",
    "HIGHER_IS_BETTER",
    "LOGGED_VALUES", "LOG_COLUMNS", "MANIFEST", "METRICS_FILE", "RESULTS", "RUN_JSON", "RUN_STATUSES", "SCORE_KEYS",
    "STEP_VALUES", "EventSummary", "RunRecord", "SweepManifest", "finished_record", "git_commit", "read_run",
    "result_columns", "results_schema", "timestamp", "versions", "write_run",
]
