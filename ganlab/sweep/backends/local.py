"""The local backend: a restartable pool of worker processes on this machine.

Each worker is a ``spawn``-ed process that imports torch once and then runs tasks one after another
(so start-up, imports and dataset caches are paid once per worker, not per run). The driver talks to
each worker over its own pipe and watches its process sentinel: when a worker dies mid-run (an
exception that escapes, SIGKILL, the OOM killer) the driver knows exactly which run it held, records
that run as ``error`` and starts a fresh worker for the next task. Other runs are untouched.

On a GPU machine there are ``n_gpus * runs_per_gpu`` workers by default and worker ``i`` sees only GPU
``i % n_gpus`` (``CUDA_VISIBLE_DEVICES``); on CPU there is one worker per core and the cores are split
among them (``torch.set_num_threads``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from ganlab.schema import read_run
from ganlab.sweep.options import SweepOptions, cpu_cores, default_workers, gpu_count, gpu_for_worker
from ganlab.sweep.task import RunTask, execute, failure_record


def visible_gpu_ids(n_gpus: int) -> list[str]:
    """The driver's GPU ids as CUDA names them (respecting an existing ``CUDA_VISIBLE_DEVICES``)."""
    visible = [g.strip() for g in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if g.strip()]
    return visible[:n_gpus] if visible else [str(i) for i in range(n_gpus)]


def worker_plan(n_tasks: int, options: SweepOptions, n_gpus: int | None = None,
                cores: int | None = None) -> list[tuple[str | None, int]]:
    """One ``(CUDA_VISIBLE_DEVICES or None, torch threads)`` per worker slot."""
    n_gpus = gpu_count() if n_gpus is None else n_gpus
    cores = cores or cpu_cores()
    workers = options.workers or default_workers(n_tasks, options.runs_per_gpu, n_gpus, cores)
    workers = max(1, min(workers, n_tasks))
    threads = options.threads or max(1, cores // workers)
    ids = visible_gpu_ids(n_gpus)
    slots = []
    for slot in range(workers):
        gpu = gpu_for_worker(slot, n_gpus)
        slots.append((ids[gpu] if gpu is not None else None, threads))
    return slots


def _worker_main(conn: Connection, gpu: str | None, threads: int) -> None:
    """Worker loop: receive a task, run it, send its record; ``None`` or a closed pipe ends it."""
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu  # before torch touches CUDA
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle; it then stops us
    _die_with_parent()
    import torch

    torch.set_num_threads(threads)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(execute(task, threads=threads))


def _die_with_parent() -> None:
    """End this worker when the driver dies (even by SIGKILL), so no orphan keeps writing a run directory
    that the next sweep invocation resumes."""
    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="ganlab-parent-watch").start()


@dataclass
class _Slot:
    gpu: str | None
    threads: int
    process: Any = None
    conn: Connection | None = None
    task: RunTask | None = None
    started: float = 0.0

    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()


def _start(ctx: Any, slot: _Slot) -> None:
    parent, child = ctx.Pipe()
    slot.process = ctx.Process(target=_worker_main, args=(child, slot.gpu, slot.threads), daemon=True,
                               name="ganlab-sweep-worker")
    slot.process.start()
    child.close()
    slot.conn = parent


def _death_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (killed; out of memory?)" if -exitcode == signal.SIGKILL else ""
        return f"worker process died with {name}{hint}"
    return f"worker process exited with code {exitcode}"


def run(tasks: list[RunTask], options: SweepOptions, on_done: Any) -> None:
    """Run ``tasks`` on local worker processes; ``on_done(record)`` in this process after each."""
    if not tasks:
        return
    ctx = mp.get_context("spawn")
    slots = [_Slot(gpu, threads) for gpu, threads in worker_plan(len(tasks), options)]
    queue = deque(tasks)
    try:
        while queue or any(s.task for s in slots):
            for slot in slots:
                if slot.task is None and queue:
                    if not slot.alive():
                        _start(ctx, slot)
                    slot.task, slot.started = queue.popleft(), time.perf_counter()
                    _send(ctx, slot)
            busy = [s for s in slots if s.task is not None]
            ready = wait([s.conn for s in busy] + [s.process.sentinel for s in busy])
            for slot in busy:
                if slot.conn in ready or slot.process.sentinel in ready:
                    record = _collect(slot)
                    if record is not None:
                        on_done(record)
    finally:
        _stop(slots)


def _send(ctx: Any, slot: _Slot) -> None:
    """Hand the slot's task to its worker; a worker found dead on the way is replaced once."""
    for attempt in range(2):
        try:
            assert slot.conn is not None
            slot.conn.send(slot.task)
            return
        except OSError:
            if attempt:
                return  # dead again: wait() sees its sentinel and records the run as an error
            slot.process.join(1.0)
            _start(ctx, slot)


def _collect(slot: _Slot) -> dict[str, Any] | None:
    """The finished slot's record (or its failure record if the worker died); None if not finished yet."""
    task = slot.task
    assert task is not None and slot.conn is not None
    record = None
    try:
        if slot.conn.poll():
            record = slot.conn.recv()
    except (EOFError, OSError):
        record = None
    if record is None:
        if slot.process.is_alive():
            return None
        slot.process.join()
        message = _death_message(slot.process.exitcode)
        with open(task.log_file, "a") as log:
            log.write(f"\n== error: {message} while running {task.run_id}\n")
        record = failure_record(task, message, wall_time_s=time.perf_counter() - slot.started,
                                info=read_run(task.run_dir))
        slot.conn.close()
        slot.process, slot.conn = None, None
    slot.task = None
    return record


def _stop(slots: list[_Slot]) -> None:
    for slot in slots:
        if slot.conn is not None:
            try:
                slot.conn.send(None)
            except (OSError, ValueError):
                pass
    deadline = time.monotonic() + 5.0
    for slot in slots:
        if slot.process is None:
            continue
        if slot.task is not None:  # interrupted mid-run: stop it now, it resumes from its checkpoint
            slot.process.terminate()
        slot.process.join(max(0.1, deadline - time.monotonic()))
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join()
