"""The real data a ``Monitor`` compares G's samples with: a dataset name, a folder, an array file, an
array or a tensor, or an ``ImageDataset``, as one ``ImageDataset`` (images ``(N, C, R, R)`` in [-1, 1])."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import ValidationError

from ganlab.config import DataConfig
from ganlab.data import DATASETS, ImageDataset, TensorImageDataset, build_dataset
from ganlab.errors import DataError

ARRAY_SUFFIXES = (".npy", ".npz")


def _build(name: str, path: Path | None, resolution: int | None, channels: int | None) -> ImageDataset:
    """``build_dataset`` of ``name``; a resolution or channel count it does not take is one line."""
    try:
        config = DataConfig(dataset=name, path=None if path is None else str(path), resolution=resolution or 32,
                            channels=channels)
    except ValidationError as err:
        first = err.errors()[0]
        raise DataError(f"data {name!r}: {'.'.join(map(str, first['loc']))} = {first.get('input')!r}: "
                        f"{first['msg']}") from None
    return build_dataset(config)


def real_dataset(data: Any, resolution: int | None = None, channels: int | None = None,
                 labels: Any = None) -> ImageDataset:
    """``data`` as an ``ImageDataset``.

    - a registered name (``'stacked-digits'``, ``'digits'``, ``'gaussian-grid'``) at ``resolution``
      (default 32);
    - a folder of images, or a ``.npy``/``.npz`` file (as ``data.dataset: folder``/``array``);
    - an array or tensor ``(N, C, R, R)`` in [-1, 1] (``labels``, ``(N,)`` integers, give its modes).
    """
    if isinstance(data, ImageDataset):
        return data
    if isinstance(data, str | Path):
        path = Path(data)
        if isinstance(data, str) and data in DATASETS and not path.exists():
            return _build(data, None, resolution, channels)
        if path.is_dir():
            return _build("folder", path, resolution, channels)
        if path.suffix.lower() in ARRAY_SUFFIXES and path.is_file():
            return _build("array", path, resolution, channels)
        raise DataError(f"Monitor data {str(data)!r}: not a dataset name ({', '.join(DATASETS)}), "
                        "a folder of images or a .npy/.npz file")
    if isinstance(data, np.ndarray):
        data = torch.from_numpy(np.ascontiguousarray(data))
    if isinstance(data, torch.Tensor):
        images = data.detach().float().cpu()
        if images.ndim != 4 or images.shape[-1] != images.shape[-2] or images.shape[1] not in (1, 3):
            raise DataError(f"Monitor data: expected images (N, C, R, R) with C 1 or 3, "
                            f"got shape {tuple(images.shape)}")
        if len(images) < 10 or not torch.isfinite(images).all():
            raise DataError("Monitor data: needs at least 10 images, all finite, in [-1, 1]")
        if images.min() < -1.0 - 1e-6 or images.max() > 1.0 + 1e-6:
            raise DataError(f"Monitor data: values span [{float(images.min()):g}, {float(images.max()):g}]; "
                            "map the images to [-1, 1] first, e.g. x * 2 - 1 for [0, 1]")
        label_tensor = None if labels is None else torch.as_tensor(np.asarray(labels)).long().reshape(-1)
        if label_tensor is not None and (len(label_tensor) != len(images) or label_tensor.min() < 0):
            raise DataError(f"Monitor labels: expected {len(images)} integers >= 0, "
                            f"got shape {tuple(label_tensor.shape)}")
        n_modes = int(label_tensor.max()) + 1 if label_tensor is not None else None
        return TensorImageDataset("array", images, label_tensor, n_modes)
    raise DataError(f"Monitor data: got {type(data).__name__}; pass a dataset name, a folder, a .npy/.npz file, "
                    "an array or a tensor of images")
