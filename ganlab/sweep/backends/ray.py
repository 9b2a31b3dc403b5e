"""The Ray backend: each run is one Ray task; its run directory comes back to the driver as bytes.

Nodes need not share a filesystem. A task trains in a node-local temp directory (``execute`` with
``run_dir`` and ``log_path`` there), packs the run directory as a tar.gz and returns it with its
record and log; the driver unpacks it into ``task.run_dir`` (extracted beside it, then renamed into
place). To resume, the driver ships a partial run directory (one with ``checkpoint.pt``) with the task.

A task is submitted with ``max_retries=0``: a worker that dies (crash, OOM kill, lost node) is a
result to record (status ``error``, via ``failure_record``), not something to hide by re-running.
Results are collected with ``ray.wait`` as they finish; ``on_done`` runs in the driver's thread.

Resources per run: ``num_cpus = options.threads or 1`` (also torch's threads in the task) and, when
the run may use a GPU, ``num_gpus = 1 / options.runs_per_gpu`` (0.25 packs 4 runs on a GPU).
"""

from __future__ import annotations

import io
import math
import os
import shutil
import socket
import tarfile
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

from ganlab.errors import GanlabError
from ganlab.schema import CHECKPOINT, read_run, run_log, run_path, write_run
from ganlab.sweep.options import SweepOptions
from ganlab.sweep.task import RunTask, execute, failure_record

MISSING_RAY = "the ray backend needs the optional extra: pip install 'ganlab[ray]'"


def import_ray() -> Any:
    """The ``ray`` module, or a one-line ``GanlabError`` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise GanlabError(MISSING_RAY) from None
    return ray


def runtime_env() -> dict[str, Any]:
    """Ship this process's ``ganlab`` package to every worker (torch and the rest must be installed there)."""
    import ganlab

    return {"py_modules": [str(Path(ganlab.__file__).parent)], "excludes": ["__pycache__", "*.pyc"]}


def task_resources(options: SweepOptions, config: dict[str, Any], cluster_gpus: float) -> tuple[float, float]:
    """``(num_cpus, num_gpus)`` of one run: a GPU share for ``cuda`` runs, and ``auto`` ones on a GPU cluster."""
    device = str(config.get("train", {}).get("device", "auto"))
    wants_gpu = device.startswith("cuda") or (device == "auto" and cluster_gpus > 0)
    return float(options.threads or 1), (1.0 / options.runs_per_gpu if wants_gpu else 0.0)


# ---- packing: a run directory <-> tar.gz bytes --------------------------------------------------------


def pack_dir(path: str | Path) -> bytes:
    """The files under ``path`` (names relative to it) as tar.gz bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for child in sorted(Path(path).iterdir()):
            tar.add(child, arcname=child.name)
    return buffer.getvalue()


def unpack_into(data: bytes, target: str | Path) -> None:
    """Replace directory ``target`` with the archive's contents: extract to a sibling, then rename over.

    The previous directory (if any) is moved aside first and removed last, so ``target`` never holds a
    half-extracted mix; members that would land outside it (absolute paths, ``..``, links) are refused.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.unpack-", dir=target.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            _extract(tar, staging)
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}"
            os.replace(target, old)
        try:
            os.replace(staging, target)
        except BaseException:
            if old is not None:
                os.replace(old, target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _extract(tar: tarfile.TarFile, dest: Path) -> None:
    if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4
        tar.extractall(dest, filter="data")
        return
    root = dest.resolve()
    for member in tar.getmembers():
        if not (member.isfile() or member.isdir()) or not (dest / member.name).resolve().is_relative_to(root):
            raise GanlabError(f"refusing to unpack {member.name!r}: not a plain file inside the run directory")
    tar.extractall(dest)


# ---- the task, on a worker ----------------------------------------------------------------------------


def remote_run(task: RunTask, resume: bytes | None, threads: int) -> dict[str, Any]:
    """Run ``task`` in a node-local temp dir; return its record, the packed run dir and the log bytes."""
    work = Path(tempfile.mkdtemp(prefix=f"ganlab-ray-{task.run_id}-"))
    try:
        run_dir, log = run_path(work, task.run_id), run_log(work, task.run_id)
        if resume is not None:
            unpack_into(resume, run_dir)
        record = execute(task, run_dir=str(run_dir), threads=threads, log_path=str(log))
        try:
            import ray

            record["ray_node_id"] = ray.get_runtime_context().get_node_id()
        except Exception:  # noqa: BLE001 - the node id is a nicety for logs and tests
            record["ray_node_id"] = None
        return {"record": record, "remote_run_dir": str(run_dir),
                "archive": pack_dir(run_dir) if run_dir.is_dir() else None,
                "log": log.read_bytes() if log.is_file() else b""}
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- the driver ---------------------------------------------------------------------------------------


CONNECT_TIMEOUT_S = 10.0
ADDRESS_HINT = ("pass --ray-address HOST:PORT of a running head node (`ray start --head`), or ray://HOST:10001, "
                "or leave it out for a local Ray")


def unreachable_reason(address: str | None) -> str | None:
    """Why nothing answers at a ``HOST:PORT`` (or ``ray://HOST:PORT``) address; None if it answers.

    Only an explicit host and port are checked; None, "auto" and "local" are Ray's to resolve.
    """
    if not address or address in ("auto", "local"):
        return None
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return None  # not HOST:PORT: ray.init says what it accepts
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:
        return f"nothing answers at {host}:{port}: {err.strerror or type(err).__name__}"
    return None


def connect(ray: Any, options: SweepOptions) -> bool:
    """Join ``options.ray_address`` (or start a local Ray); True when this call made the connection.

    An existing connection (``ray.init`` called by the user) is used as is, with its own runtime_env.
    """
    if ray.is_initialized():
        return False
    unreachable = unreachable_reason(options.ray_address)
    if unreachable is not None:  # ray.init would retry a dead address for ~14 minutes before it says so
        raise GanlabError(f"could not connect to the Ray cluster at {options.ray_address!r} ({unreachable}); "
                          f"{ADDRESS_HINT}")
    try:
        ray.init(address=options.ray_address, runtime_env=runtime_env(), log_to_driver=False,
                 logging_level="WARNING")
    except (ConnectionError, RuntimeError, ValueError) as err:
        where = f"the Ray cluster at {options.ray_address!r}" if options.ray_address else "a local Ray instance"
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise GanlabError(f"could not connect to {where} ({first}); {ADDRESS_HINT}") from None
    return True


def _resume_bytes(task: RunTask) -> bytes | None:
    """The driver's partial run directory as bytes when it holds a checkpoint to resume from."""
    run_dir = Path(task.run_dir)
    return pack_dir(run_dir) if (run_dir / CHECKPOINT).is_file() else None


def _append_log(task: RunTask, data: bytes) -> None:
    path = Path(task.log_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as log:
        log.write(data)


def _land(task: RunTask, payload: dict[str, Any]) -> dict[str, Any]:
    """Unpack a finished task's run directory and log on the driver; its record, with driver paths."""
    if payload.get("archive") is not None:
        unpack_into(payload["archive"], task.run_dir)
    _append_log(task, payload.get("log") or b"")
    info = read_run(task.run_dir)
    remote = payload.get("remote_run_dir") or ""
    if info is not None and remote and info.error_log and info.error_log.startswith(remote):
        info = info.model_copy(update={"error_log": task.run_dir + info.error_log[len(remote):]})
        write_run(task.run_dir, info)
    record = dict(payload["record"])
    record.update(run_dir=task.run_dir, log_path=task.log_file, info=info if info is not None else record.get("info"))
    return record


def _failure(ray: Any, task: RunTask, err: BaseException, started: float) -> dict[str, Any]:
    """The record of a task that returned nothing (worker died, OOM, lost node, error outside ``execute``)."""
    cause = err.cause if isinstance(err, ray.exceptions.RayTaskError) else None
    shown = cause if isinstance(cause, BaseException) else err
    text = str(shown).strip().splitlines()
    what = "ray task failed" if isinstance(err, ray.exceptions.RayError) else "could not land the run on the driver"
    message = f"{what}: {type(shown).__name__}" + (f": {text[0]}" if text else "")
    _append_log(task, f"\n== error: {message} while running {task.run_id}\n".encode())
    return failure_record(task, message, log_path=task.log_file, wall_time_s=time.perf_counter() - started,
                          info=read_run(task.run_dir))


def run(tasks: list[RunTask], options: SweepOptions, on_done: Any) -> None:
    """Run ``tasks`` as Ray tasks; ``on_done(record)`` in this process after each, as each finishes."""
    ray = import_ray()
    todo = deque(tasks)  # finished runs never reach a backend: run_sweep skips them
    if not todo:
        return
    owned = connect(ray, options)
    try:
        _run(ray, todo, options, on_done)
    finally:
        if owned:
            ray.shutdown()


def _run(ray: Any, todo: deque[RunTask], options: SweepOptions, on_done: Any) -> None:
    cluster_gpus = float(ray.cluster_resources().get("GPU", 0.0))
    remote = ray.remote(remote_run)
    limit = options.workers or len(todo)
    pending: dict[Any, tuple[RunTask, float]] = {}
    try:
        while todo or pending:
            while todo and len(pending) < limit:
                task = todo.popleft()
                num_cpus, num_gpus = task_resources(options, task.config, cluster_gpus)
                ref = remote.options(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=0,
                                     name=f"ganlab {task.variant} seed {task.seed}").remote(
                    task, _resume_bytes(task), max(1, math.ceil(num_cpus)))
                pending[ref] = (task, time.perf_counter())
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                task, started = pending.pop(ref)
                try:
                    record = _land(task, ray.get(ref))
                except Exception as err:  # noqa: BLE001 - a crashed run is a result; the others go on
                    record = _failure(ray, task, err, started)
                on_done(record)
    except BaseException:
        for ref in pending:  # interrupted: stop the rest; their runs resume from the driver's last copy
            try:
                ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        raise
