"""The CI regression gate: run CHECK.yaml, compare with a committed baseline, exit 0/1/2/3."""

from ganlab.check.baseline import BaselineError, default_baseline_path, read_baseline, summarize
from ganlab.check.compare import VariantVerdict, compare
from ganlab.check.run import PASS, REGRESSION, RUNS_ERRORED, USAGE, CheckOutcome, run_check
from ganlab.check.spec import CheckSettings, load_check

__all__ = [
    "PASS", "REGRESSION", "RUNS_ERRORED", "USAGE", "BaselineError", "CheckOutcome", "CheckSettings",
    "VariantVerdict", "compare", "default_baseline_path", "load_check", "read_baseline", "run_check", "summarize",
]
