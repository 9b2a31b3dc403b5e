"""One sweep run as a picklable task, and ``execute``: run it in this process, never raising.

Backends ship ``RunTask`` objects to workers and hand the record ``execute`` returns back to the
driver's ``on_done``. A worker that dies before returning is reported with ``failure_record``.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganlab.schema import RunRecord, read_run, run_log


@dataclass(frozen=True)
class RunTask:
    variant: str
    seed: int
    run_id: str
    overrides: dict[str, Any]  # the variant's dotted overrides (not the seed)
    config: dict[str, Any]  # resolved run config as a plain dict (config_to_dict)
    run_dir: str  # absolute path of the run directory on the driver: <sweep>/runs/<run_id>
    log_path: str = field(default="")  # absolute path of the worker log; "" = <sweep>/logs/<run_id>.log

    @property
    def log_file(self) -> str:
        if self.log_path:
            return self.log_path
        return str(run_log(Path(self.run_dir).parent.parent, self.run_id))


def task_record(task: RunTask, status: str, *, error: str | None = None, info: RunRecord | None = None,
                log_path: str | None = None, run_dir: str | None = None, wall_time_s: float = 0.0,
                host: str | None = None, pid: int | None = None) -> dict[str, Any]:
    """What a backend hands to ``on_done`` for one run (the one place this dict is built).

    Keys: ``variant, seed, run_id, status`` (completed | failed | error), ``error`` (None or one line),
    ``log_path``, ``run_dir``, ``wall_time_s`` (run.json's training time when there is one, else
    ``wall_time_s``), ``info`` (the ``RunRecord`` of run.json, or None), ``host``, ``pid``.
    """
    wall = info.wall_time_s if info is not None and info.wall_time_s is not None else wall_time_s
    return {"variant": task.variant, "seed": task.seed, "run_id": task.run_id, "status": status, "error": error,
            "log_path": log_path or task.log_file, "run_dir": run_dir or task.run_dir, "wall_time_s": float(wall),
            "info": info, "host": host, "pid": pid}


def failure_record(task: RunTask, error: str, log_path: str | None = None, wall_time_s: float = 0.0,
                   info: RunRecord | None = None) -> dict[str, Any]:
    """The record of a run whose worker could not report (died, was killed, ran out of memory)."""
    return task_record(task, "error", error=error, info=info, log_path=log_path, wall_time_s=wall_time_s,
                       host=socket.gethostname())


def execute(task: RunTask, run_dir: str | None = None, threads: int | None = None, *,
            log_path: str | None = None, capture: bool = True) -> dict[str, Any]:
    """Run one task in THIS process (``train`` with progress off) and return its record; never raises.

    ``run_dir``/``log_path`` replace the task's paths (a remote worker writing elsewhere); ``threads``
    sets torch's intra-op threads for this process (never the run config, which would change the run
    id). With ``capture``, this process's stdout and stderr (file descriptors 1 and 2, so C++ output
    too) are appended to the log while the run lasts. ``KeyboardInterrupt`` still propagates: an
    interrupted run stays ``running`` in run.json and resumes next time. Returns ``task_record``'s dict.
    """
    run_dir = str(run_dir or task.run_dir)
    log = Path(log_path or (task.log_file if run_dir == task.run_dir
                            else run_log(Path(run_dir).parent.parent, task.run_id)))
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    status: str = "error"
    error: str | None = None
    info: RunRecord | None = None
    with _redirect_output(log if capture else None):
        print(f"== ganlab sweep: variant {task.variant!r} seed {task.seed} run {task.run_id} "
              f"(pid {os.getpid()} on {socket.gethostname()}, {time.strftime('%Y-%m-%dT%H:%M:%S%z')})", flush=True)
        try:
            import torch

            from ganlab.config import GanlabConfig
            from ganlab.train import train

            if threads:
                torch.set_num_threads(threads)
            result = train(GanlabConfig.model_validate(task.config), run_dir, progress=False)
            status, info = result.status, result.record  # completed or failed: a crash raises
            if result.run_id != task.run_id:
                status, error = "error", f"run id mismatch: the sweep planned {task.run_id}, train made {result.run_id}"
        except Exception as err:  # noqa: BLE001 - a crashing run is a result of the sweep, not its end
            traceback.print_exc()
            error = f"{type(err).__name__}: {err}".splitlines()[0]
            info = read_run(run_dir)
        print(f"== {status}" + (f": {error}" if error else ""), flush=True)
    return task_record(task, status, error=error, info=info, log_path=str(log), run_dir=run_dir,
                       wall_time_s=time.perf_counter() - t0, host=socket.gethostname(), pid=os.getpid())


@contextmanager
def _redirect_output(log: Path | None) -> Iterator[None]:
    """Append fds 1 and 2 (and sys.stdout/err) to ``log`` for the duration; no-op when ``log`` is None."""
    if log is None:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (fd, *saved):
            os.close(f)
