"""``<sweep>/.lock``: one sweep at a time per output folder.

Held with ``fcntl.flock``, so the kernel releases it when the holder dies (even by SIGKILL); the file
holds the holder's pid, host and start time for the error message. The file itself is never removed
(removing it would let two processes lock two different files).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ganlab.errors import GanlabError

LOCK = ".lock"


class SweepLocked(GanlabError):
    """Another process is running a sweep into the same folder."""


@contextmanager
def sweep_lock(sweep_dir: str | Path) -> Iterator[Path]:
    """Hold ``<sweep_dir>/.lock`` for the duration, or raise ``SweepLocked`` naming the holder."""
    import fcntl

    path = Path(sweep_dir) / LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "unknown process"
            raise SweepLocked(f"{path.parent} is in use by another ganlab sweep ({holder}); wait for it to "
                              "finish, or stop it, or write to another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, (f"pid {os.getpid()} on host {socket.gethostname()} since "
                       f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n").encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
