"""``<sweep>/.lock``: one sweep at a time per output folder (``ganlab.lock.held``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ganlab.errors import GanlabError
from ganlab.lock import held
from ganlab.schema import LOCK_FILE


class SweepLocked(GanlabError):
    """Another process is running a sweep into the same folder."""


@contextmanager
def sweep_lock(sweep_dir: str | Path) -> Iterator[Path]:
    """Hold ``<sweep_dir>/.lock`` for the duration, or raise ``SweepLocked`` naming the holder."""
    def busy(holder: str) -> GanlabError:
        return SweepLocked(f"{sweep_dir} is in use by another ganlab sweep ({holder}); wait for it to "
                           "finish, or stop it, or write to another --out")

    with held(Path(sweep_dir) / LOCK_FILE, busy) as path:
        yield path
