"""Atomic file writes: write a temp file in the same folder, then ``os.replace`` it into place.

A crash mid-write leaves the previous file intact, never a truncated one. ``check_output_dir`` and
``check_output_file`` say, before any work, whether a command can write where it was told to.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ganlab.errors import OutputError

_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; results are meant to be shared like any file
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, write: Callable[[IO[Any]], object], mode: str = "w") -> None:
    with atomic_path(path) as tmp, open(tmp, mode) as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text))


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data), mode="wb")


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


# A component longer than this cannot be created on the usual file systems (ext4, xfs, btrfs, tmpfs, APFS).
_NAME_MAX = 255
_TEMP_EXTRA = len("..xxxxxxxx.tmp")  # atomic_path's temp name around the file's own name


def _shown(path: str | Path, limit: int = 160) -> str:
    """A path for a message, its middle cut when long, so the reason after it always fits the line."""
    text = str(path)
    return text if len(text) <= limit else f"{text[: limit // 2]}...{text[-limit // 2 :]}"


def _folder_problem(folder: Path, file_name: str | None = None) -> str | None:
    """Why ``folder`` cannot be made (if missing) and written into; None when it can. Probes by creating and
    removing a temp file in its nearest existing folder: permissions, read-only mounts and /proc all show."""
    names = [file_name] if file_name is not None else []
    existing = folder
    while not existing.exists():
        if existing.is_symlink():
            return f"{_shown(existing)} is a broken link"
        names.append(existing.name)
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        return f"{_shown(existing)} is a file, not a folder"
    if any(len(name.encode(errors="surrogateescape")) > _NAME_MAX - (_TEMP_EXTRA if i == 0 and file_name else 0)
           for i, name in enumerate(names)):
        return f"a name in it is longer than {_NAME_MAX} bytes"
    try:
        fd, probe = tempfile.mkstemp(prefix=".ganlab-probe-", dir=existing)
    except OSError as err:
        return f"cannot create files in {_shown(existing)} ({err.strerror or type(err).__name__})"
    os.close(fd)
    os.unlink(probe)
    return None


def check_output_dir(path: str | Path, what: str) -> Path:
    """``path`` as a folder this process can create (if missing) and write into; otherwise a one-line
    ``OutputError`` naming ``what`` (the option or key), the path and why. Call it before any work."""
    path = Path(path)
    try:
        if "\x00" in str(path):
            why = "a path cannot hold a NUL byte"
        elif path.exists() and not path.is_dir():
            why = "it is a file, not a folder"
        else:
            why = _folder_problem(path) or ""
    except OSError as err:  # a name too long to stat (ENAMETOOLONG), a loop of links (ELOOP)...
        why = err.strerror or type(err).__name__
    if why:
        raise OutputError(f"{what} {_shown(path)}: cannot write there: {why}; choose a folder (created if missing)")
    return path


def check_output_file(path: str | Path, what: str) -> Path:
    """``path`` as a file this process can write atomically (its folder created if missing); otherwise a
    one-line ``OutputError`` naming ``what``, the path and why. An existing folder, device or pipe there is
    refused: ``atomic_path`` would replace a device like /dev/null with a plain file."""
    path = Path(path)
    try:
        if "\x00" in str(path):
            why = "a path cannot hold a NUL byte"
        elif path.is_dir():
            why = "it is a folder, not a file"
        elif path.exists() and not path.is_file():
            why = "it is not a regular file"
        elif not path.name or path.name in (".", ".."):
            why = "it names no file"
        else:
            why = _folder_problem(path.parent, path.name) or ""
    except OSError as err:  # a name too long to stat (ENAMETOOLONG), a loop of links (ELOOP)...
        why = err.strerror or type(err).__name__
    if why:
        raise OutputError(f"{what} {_shown(path)}: cannot write there: {why}; choose a file path")
    return path
