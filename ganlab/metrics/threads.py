"""Temporarily limit the threads torch, BLAS and OpenMP (scikit-learn's k-NN) may use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def limit_threads(n: int | None) -> Iterator[None]:
    """Run the block with at most ``n`` threads (None: leave as is), then restore the previous limits."""
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency

    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        torch.set_num_threads(previous)


def idle_cores() -> int:
    """Cores the 1-minute load average leaves idle, at least 1 (all usable cores if unknown).

    On a shared machine torch's default of one thread per core backfires: threads wait on each
    other while other processes hold the cores. Scoring 10k samples on 2 busy cores took 16-22 s
    with 2 threads and 9-13 s with 1 in our measurements.
    """
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not available on this platform
        return cores
    return max(1, min(cores, cores - round(load)))
