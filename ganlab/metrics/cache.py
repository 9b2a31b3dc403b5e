"""The on-disk cache of networks ganlab trains for itself (the digit ensemble, a folder's autoencoder).

Each is trained once per key and saved as ``<name>-<key>.pt``; ``load_or_train`` is the one way in.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from ganlab.io import atomic_path
from ganlab.lock import held
from ganlab.schema import LOCK_FILE

Net = TypeVar("Net", bound=nn.Module)


def cache_dir() -> Path:
    """``$GANLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/ganlab``, else ``~/.cache/ganlab``."""
    if os.environ.get("GANLAB_CACHE_DIR"):
        return Path(os.environ["GANLAB_CACHE_DIR"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "ganlab"
    return Path.home() / ".cache" / "ganlab"


def load_cached(path: Path, empty: Net) -> Net | None:
    """``empty`` with the state dict saved at ``path``, or None when the file is missing or unreadable.

    torch.load can fail in many ways on a truncated or damaged file, and every one of them means the same
    thing here: train it again."""
    try:
        empty.load_state_dict(torch.load(path, map_location="cpu", weights_only=True)["state_dict"])
    except Exception:
        return None
    return empty


def load_or_train(path: Path, load: Callable[[Path], Net | None], train: Callable[[], Net],
                  record: Callable[[Net], dict[str, Any]] = lambda net: {}) -> Net:
    """The network cached at ``path`` (``load``), else ``train()``'s, saved there atomically with ``record(net)``.

    Training holds ``<path>.lock``: a second process that needs the same network meanwhile (another sweep
    worker) waits for it and loads the result instead of training it again."""
    net = load(path)
    if net is None:
        with held(path.with_name(path.name + LOCK_FILE), None):
            net = load(path)  # trained by the process we waited for
            if net is None:
                net = train()
                with atomic_path(path) as tmp:
                    torch.save({"state_dict": net.state_dict(), **record(net)}, tmp)
    return net
