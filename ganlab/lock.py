"""``held(path)``: an exclusive lock on a lock file, for one writer per sweep or run folder (or cache entry).

Held with ``fcntl.flock``, so the kernel releases it when the holder dies (even by SIGKILL); the file
holds the holder's pid, host and start time for the error message. The file itself is never removed
(removing it would let two processes lock two different files).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ganlab.errors import GanlabError


@contextmanager
def held(path: str | Path, busy: Callable[[str], GanlabError] | None) -> Iterator[Path]:
    """Hold the lock file ``path`` for the duration; when another process holds it, raise
    ``busy(holder)``, where ``holder`` is that process's "pid N on host H since T", or with ``busy=None``
    wait until it lets go."""
    import fcntl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if busy is not None else 0))
        except OSError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "unknown process"
            raise (busy or GanlabError)(holder) from None
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
