"""Write a validation dataset as an unlabelled folder of PNGs, the way a user's own data arrives.

``export(name, dest)`` writes ``dest/00000.png`` ... atomically: the images go into a temp folder beside
``dest``, which is renamed into place only when every image is written, so a crash leaves no partial
dataset. An existing non-empty ``dest`` is refused (one line), never overwritten.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ganlab.errors import DataError
from ganlab.io import check_output_dir
from ganlab.validation.datasets import BUILDERS, DEFAULT_COUNT


def write_folder(images: np.ndarray, dest: Path) -> None:
    """uint8 ``(N, H, W, C)`` -> ``dest/{i:05d}.png`` (grey for C = 1, RGB for C = 3), all or nothing."""
    from PIL import Image

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        for i, image in enumerate(images):
            pixels = image[..., 0] if image.shape[-1] == 1 else image
            Image.fromarray(np.ascontiguousarray(pixels)).save(tmp / f"{i:05d}.png")
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)  # an empty dest is replaced; a non-empty one was refused before
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def export(name: str, dest: str | Path, count: int = DEFAULT_COUNT, seed: int = 0) -> Path:
    """Write ``count`` images of the validation dataset ``name`` (``BUILDERS``) to the folder ``dest``."""
    if name not in BUILDERS:
        raise DataError(f"unknown validation dataset '{name}'; valid: {', '.join(BUILDERS)}")
    if count < 1:
        raise DataError(f"{name}: --count must be at least 1, got {count}")
    dest = check_output_dir(dest, "--out")
    if dest.exists() and any(dest.iterdir()):
        raise DataError(f"{dest}: already exists and is not empty; remove it or choose another folder")
    write_folder(BUILDERS[name](count, seed), dest)
    return dest
