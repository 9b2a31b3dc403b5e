"""Training: ``train(config, run_dir)`` writes one run directory; see docs/architecture.md."""

from ganlab.train.run import train
from ganlab.train.rundir import read_run, run_id
from ganlab.train.trainer import LOG_COLUMNS, RunResult, Trainer, resolve_config

__all__ = ["LOG_COLUMNS", "RunResult", "Trainer", "read_run", "resolve_config", "run_id", "train"]
