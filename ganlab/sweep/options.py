"""``SweepOptions``: how a sweep runs (where, how many at once, on which backend), not what it trains.

Nothing here changes a run's config or its run id: the same sweep gives the same runs on any backend.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class SweepOptions:
    sweep_dir: str  # absolute path of <out>/<sweep name> on the driver
    workers: int | None = None  # runs at once; None = what the machine holds (see default_workers)
    backend: str = "local"  # a key of ganlab.sweep.backends.BACKENDS
    ray_address: str | None = None  # `ray.init(address=...)`; None starts or joins a local Ray
    runs_per_gpu: int = 1  # concurrent runs sharing one GPU
    threads: int | None = None  # torch threads per run; None = CPU cores // workers (at least 1)
    progress: bool | None = None  # rich bar; None = only when stdout is a terminal


def cpu_cores() -> int:
    """Cores this process may use (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def gpu_count() -> int:
    """Visible CUDA devices (0 without CUDA); does not create a CUDA context."""
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def default_workers(n_runs: int, runs_per_gpu: int = 1, n_gpus: int | None = None, cores: int | None = None) -> int:
    """Runs at once: ``n_gpus * runs_per_gpu`` on a GPU machine, else one per CPU core; never above ``n_runs``."""
    n_gpus = gpu_count() if n_gpus is None else n_gpus
    slots = n_gpus * runs_per_gpu if n_gpus else (cores or cpu_cores())
    return max(1, min(slots, n_runs))


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """torch intra-op threads for each of ``workers`` concurrent runs: the cores split evenly."""
    return max(1, (cores or cpu_cores()) // max(1, workers))


def gpu_for_worker(slot: int, n_gpus: int) -> int | None:
    """GPU index of worker ``slot``, round-robin; None on CPU.

    With ``n_gpus * runs_per_gpu`` workers, slots 0..n_gpus-1 take GPUs 0..n_gpus-1, the next n_gpus
    take them again, and so on: each GPU ends up with ``runs_per_gpu`` workers.
    """
    if n_gpus <= 0:
        return None
    return slot % n_gpus
