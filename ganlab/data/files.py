"""The user's own data: ``folder`` (images on disk) and ``array`` (a .npy/.npz file).

Loaders are strict: an empty folder, an unreadable image or an array of the wrong shape or
dtype is a DataError naming the file. There is never a silent partial dataset.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.data.base import TensorImageDataset
from ganlab.errors import DataError

if TYPE_CHECKING:
    from PIL import Image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
# Limits on what a header may claim before anything is decoded: a 16-byte PNG header can claim
# 60000 x 60000 pixels, a .npy header 183 GiB. Both are far above any dataset a DCGAN trains on here.
MAX_IMAGE_PIXELS = 4096 * 4096
MAX_ARRAY_BYTES = 8 << 30  # 8 GiB
# Mode labels index per-mode counts (np.bincount over max + 1 modes); a label of 2**62 would ask for exabytes.
# Far above any mode-coverage evaluation (stacked digits has 1,000 modes).
MAX_LABEL = 1_000_000


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


@contextmanager
def open_image(file: Path) -> Iterator[Image.Image]:
    """A PIL image, refused before decoding when its header claims more than ``MAX_IMAGE_PIXELS``.

    Every failure to read or decode it (including PIL's decompression-bomb guard) is a DataError naming it.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as img:
                if img.width * img.height > MAX_IMAGE_PIXELS:
                    raise DataError(f"{file}: claims {img.width}x{img.height} pixels, more than the limit of "
                                    f"{MAX_IMAGE_PIXELS:,}; resize it or remove it")
                yield img
    except (OSError, UnidentifiedImageError, ValueError, EOFError, SyntaxError, MemoryError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise DataError(f"{file}: unreadable image ({type(err).__name__}: {err})") from None


def load_folder_images(path: str | Path, channels: int = 3, resolution: int | None = None) -> Tensor:
    """Every png/jpg under ``path`` (recursive) -> ``(N, C, R, R)`` float32 in [-1, 1]."""
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (data.path must be a directory of png/jpg images)")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"{root}: no images found (looked for {', '.join(sorted(IMAGE_SUFFIXES))}, recursively)")
    mode = "L" if channels == 1 else "RGB"
    out = []
    for file in files:
        with open_image(file) as img:
            array = np.asarray(img.convert(mode), dtype=np.uint8)
        t = torch.from_numpy(array.copy()).float().div(127.5).sub(1.0)
        t = t.unsqueeze(0) if t.ndim == 2 else t.permute(2, 0, 1)
        side = resolution or min(t.shape[-2:])
        out.append(resize_square(t.unsqueeze(0), side))
    return torch.cat(out)


def _check_header(handle: IO[bytes], source: str, available: int) -> None:
    """Read a .npy header and refuse object dtypes and claimed sizes the data cannot hold."""
    fmt = np.lib.format
    version = fmt.read_magic(handle)
    read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, _, dtype = read_header(handle)
    if dtype.hasobject:
        raise DataError(f"{source}: holds Python objects (dtype {dtype}), not numbers; save a numeric array")
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if nbytes > available:
        raise DataError(f"{source}: the header claims shape {shape} of {dtype} ({nbytes:,} bytes) but the file "
                        f"holds {available:,} bytes; the file is damaged or not a .npy array")
    if nbytes > MAX_ARRAY_BYTES:
        raise DataError(f"{source}: shape {shape} of {dtype} is {nbytes:,} bytes, more than the limit of "
                        f"{MAX_ARRAY_BYTES:,}; use a smaller array")


def _check_npz(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.filename.endswith(".npy"):
                with archive.open(info) as member:
                    _check_header(member, f"{path} ({info.filename})", info.file_size)


def _read_array(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """The image array (and labels) of a .npy/.npz file; anything unreadable is a DataError naming it."""
    if not path.is_file():
        raise DataError(f"{path}: no such file (expected a .npy or .npz array)")
    try:
        if zipfile.is_zipfile(path):
            _check_npz(path)
        else:
            with open(path, "rb") as handle:
                _check_header(handle, str(path), path.stat().st_size)
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return loaded, None
        with loaded:
            keys = list(loaded.keys())
            image_keys = [k for k in ("images", "x", "samples") if k in keys] or [k for k in keys if k != "labels"]
            if not image_keys:
                raise DataError(f"{path}: the .npz holds no image array (keys: {', '.join(keys) or 'none'})")
            labels = loaded["labels"] if "labels" in keys else None
            images = loaded[image_keys[0]]
            for key, value in ((image_keys[0], images), ("labels", labels)):
                if value is not None and not isinstance(value, np.ndarray):  # a member not saved by np.save
                    raise DataError(f"{path}: member {key!r} holds raw bytes, not a .npy array; "
                                    "write the file with numpy.savez")
            return images, labels
    except DataError:
        raise
    except (OSError, ValueError, EOFError, MemoryError, KeyError, zipfile.BadZipFile, zipfile.LargeZipFile) as err:
        reason = "empty file" if path.stat().st_size == 0 else f"{type(err).__name__}: {err}"
        raise DataError(f"{path}: not a readable .npy/.npz array ({reason})") from None


def array_to_images(array: np.ndarray, source: str) -> Tensor:
    """uint8 ``(N, H, W, C)`` or float ``(N, C, H, W)`` in [-1, 1] -> float32 ``(N, C, H, W)`` in [-1, 1]."""
    if array.ndim != 4 or 0 in array.shape:
        raise DataError(f"{source}: expected a non-empty 4-D array, uint8 (N, H, W, C) or float (N, C, H, W), "
                        f"every dimension at least 1; got shape {array.shape}")
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
    valid = f"'labels' must be integers in 0..{MAX_LABEL:,} of shape ({len(images)},)"
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{path}: {valid}; got {labels.dtype} of shape {labels.shape}")
    lo, hi = int(labels.min()), int(labels.max())  # Python ints: uint64 max does not wrap to -1
    if lo < 0 or hi > MAX_LABEL:
        raise DataError(f"{path}: {valid}; got values in {lo}..{hi}")
    return images, torch.from_numpy(labels.astype(np.int64))


def _require_path(path: str | None, dataset: str) -> str:
    if not path:
        what = "a folder of png/jpg images" if dataset == "folder" else "a .npy or .npz file"
        raise DataError(f"data.path is required for dataset '{dataset}': set it to {what}")
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
