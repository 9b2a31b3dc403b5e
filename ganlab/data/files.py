"""The user's own data: ``folder`` (images on disk) and ``array`` (a .npy/.npz file).

Loaders are strict: an empty folder, an unreadable image or an array of the wrong shape or
dtype is a DataError naming the file. There is never a silent partial dataset.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.data.base import TensorImageDataset
from ganlab.errors import DataError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def resize_square(images: Tensor, resolution: int) -> Tensor:
    """``(N, C, H, W)`` -> centre-cropped square ``(N, C, R, R)``, antialiased when shrinking."""
    h, w = images.shape[-2:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    images = images[..., top : top + side, left : left + side]
    if side != resolution:
        images = F.interpolate(images, size=(resolution, resolution), mode="bilinear",
                               align_corners=False, antialias=side > resolution)
    return images.clamp(-1.0, 1.0).contiguous()


def load_folder_images(path: str | Path, channels: int = 3, resolution: int | None = None) -> Tensor:
    """Every png/jpg under ``path`` (recursive) -> ``(N, C, R, R)`` float32 in [-1, 1]."""
    from PIL import Image, UnidentifiedImageError

    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (data.path must be a directory of png/jpg images)")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"{root}: no images found (looked for {', '.join(sorted(IMAGE_SUFFIXES))}, recursively)")
    mode = "L" if channels == 1 else "RGB"
    out = []
    for file in files:
        try:
            with Image.open(file) as img:
                array = np.asarray(img.convert(mode), dtype=np.uint8)
        except (OSError, UnidentifiedImageError, ValueError) as err:
            raise DataError(f"{file}: unreadable image ({err})") from None
        t = torch.from_numpy(array.copy()).float().div(127.5).sub(1.0)
        t = t.unsqueeze(0) if t.ndim == 2 else t.permute(2, 0, 1)
        side = resolution or min(t.shape[-2:])
        out.append(resize_square(t.unsqueeze(0), side))
    return torch.cat(out)


def _read_array(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    if not path.is_file():
        raise DataError(f"{path}: no such file (expected a .npy or .npz array)")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: not a readable .npy/.npz array ({err})") from None
    if isinstance(loaded, np.ndarray):
        return loaded, None
    with loaded:
        keys = list(loaded.keys())
        image_keys = [k for k in ("images", "x", "samples") if k in keys] or [k for k in keys if k != "labels"]
        if not image_keys:
            raise DataError(f"{path}: the .npz holds no image array (keys: {', '.join(keys) or 'none'})")
        labels = loaded["labels"] if "labels" in keys else None
        return loaded[image_keys[0]], labels


def array_to_images(array: np.ndarray, source: str) -> Tensor:
    """uint8 ``(N, H, W, C)`` or float ``(N, C, H, W)`` in [-1, 1] -> float32 ``(N, C, H, W)`` in [-1, 1]."""
    if array.ndim != 4 or len(array) == 0:
        raise DataError(f"{source}: expected a non-empty 4-D array, uint8 (N, H, W, C) or float (N, C, H, W); "
                        f"got shape {array.shape}")
    if array.dtype == np.uint8:
        if array.shape[-1] not in (1, 3):
            raise DataError(f"{source}: uint8 arrays must be (N, H, W, C) with C = 1 or 3; got shape {array.shape}")
        return torch.from_numpy(np.ascontiguousarray(array)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
    if np.issubdtype(array.dtype, np.floating):
        if array.shape[1] not in (1, 3):
            raise DataError(f"{source}: float arrays must be (N, C, H, W) with C = 1 or 3; got shape {array.shape}")
        if not np.isfinite(array).all():
            raise DataError(f"{source}: the array holds NaN or Inf values")
        lo, hi = float(array.min()), float(array.max())
        if lo < -1.0 - 1e-3 or hi > 1.0 + 1e-3:
            raise DataError(f"{source}: float arrays must lie in [-1, 1]; got values in [{lo:.3g}, {hi:.3g}]")
        return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).clamp(-1.0, 1.0)
    raise DataError(f"{source}: unsupported dtype {array.dtype}; use uint8 (N, H, W, C) or float (N, C, H, W)")


def load_array_images(path: str | Path) -> tuple[Tensor, Tensor | None]:
    """A .npy/.npz file -> images ``(N, C, H, W)`` in [-1, 1] and optional int64 labels ``(N,)``."""
    path = Path(path)
    array, labels = _read_array(path)
    images = array_to_images(array, str(path))
    if labels is None:
        return images, None
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise DataError(f"{path}: 'labels' must be non-negative integers of shape ({len(images)},)")
    return images, torch.from_numpy(labels.astype(np.int64))


def _require_path(path: str | None, dataset: str) -> str:
    if not path:
        raise DataError(f"data.path is required for dataset '{dataset}'")
    return path


def folder_dataset(path: str | None, resolution: int, channels: int | None) -> TensorImageDataset:
    images = load_folder_images(_require_path(path, "folder"), channels or 3, resolution)
    return TensorImageDataset("folder", images)


def array_dataset(path: str | None, resolution: int, channels: int | None) -> TensorImageDataset:
    source = _require_path(path, "array")
    images, labels = load_array_images(source)
    if channels is not None and images.shape[1] != channels:
        raise DataError(f"{source}: has {images.shape[1]} channels but data.channels is {channels}")
    images = resize_square(images, resolution)
    n_modes = int(labels.max()) + 1 if labels is not None else None
    return TensorImageDataset("array", images, labels, n_modes)
