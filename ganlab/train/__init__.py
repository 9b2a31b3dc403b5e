"""Training: ``train(config, run_dir)`` writes one run directory; see docs/architecture.md."""

from ganlab.schema import read_run
from ganlab.train.run import RunLocked, RunResult, train
from ganlab.train.rundir import run_id
from ganlab.train.trainer import Trainer, resolve_config

__all__ = ["RunLocked", "RunResult", "Trainer", "read_run", "resolve_config", "run_id", "train"]
