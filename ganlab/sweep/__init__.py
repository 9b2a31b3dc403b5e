"""Sweeps: a base config x variants (and a grid) x seeds, run resumably and in parallel.

See docs/sweeps.md for the sweep file, the output layout and the ``results.parquet`` columns.
Names are imported lazily, so a worker that only unpickles a ``RunTask`` pulls in little.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Sweep": "ganlab.sweep.spec",
    "load_sweep_spec": "ganlab.sweep.spec",
    "BASELINE": "ganlab.sweep.spec",
    "plan_runs": "ganlab.sweep.plan",
    "RunTask": "ganlab.sweep.task",
    "execute": "ganlab.sweep.task",
    "SweepOptions": "ganlab.sweep.options",
    "BACKENDS": "ganlab.sweep.backends",
    "run_sweep": "ganlab.sweep.runner",
    "SweepResult": "ganlab.sweep.runner",
    "read_results": "ganlab.sweep.results",
    "result_columns": "ganlab.sweep.results",
    "sweep_from_dict": "ganlab.sweep.spec",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ganlab.sweep' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
