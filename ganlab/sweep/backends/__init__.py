"""Sweep backends: a registry of named ways to run a list of ``RunTask`` objects.

A backend is ``run(tasks, options, on_done) -> None``. It runs every task (``ganlab.sweep.task.execute``
does one run and returns its record, never raising), calls ``on_done(record)`` in the driver process
once per task as each finishes, in any order, and returns when all are done. A task whose worker
dies (killed, out of memory, lost node) must still get a record: ``failure_record(task, message)``.
``on_done`` is not thread-safe: call it from one thread. Finished runs never reach a backend.

Adding a backend means adding one entry to ``BACKENDS``; its module is imported only when used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ganlab.errors import ConfigError, GanlabError
from ganlab.sweep.options import SweepOptions
from ganlab.sweep.task import RunTask, execute, failure_record

OnDone = Callable[[dict[str, Any]], None]
Backend = Callable[[list[RunTask], SweepOptions, OnDone], None]


def _lazy(module: str, extra: str | None = None) -> Backend:
    def run(tasks: list[RunTask], options: SweepOptions, on_done: OnDone) -> None:
        try:
            backend = importlib.import_module(f"ganlab.sweep.backends.{module}")
        except ImportError as err:
            hint = f"; install it with: pip install 'ganlab[{extra}]'" if extra else ""
            raise GanlabError(f"--backend {module} is not available ({err}){hint}") from None
        backend.run(tasks, options, on_done)

    run.__name__ = f"run_{module}"
    return run


BACKENDS: dict[str, Backend] = {
    "local": _lazy("local"),  # worker processes on this machine (CPU cores or GPUs)
    "ray": _lazy("ray", extra="ray"),  # a Ray cluster (ray.init(address=options.ray_address))
}


def get_backend(name: str) -> Backend:
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}; valid: {', '.join(BACKENDS)}")
    return BACKENDS[name]


__all__ = ["BACKENDS", "Backend", "OnDone", "RunTask", "SweepOptions", "execute", "failure_record", "get_backend"]
