"""Image grids: ``(N, C, H, W)`` in [-1, 1] -> one PNG."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganlab.io import atomic_write_bytes


def image_grid(images: torch.Tensor, pad: int = 2) -> np.ndarray:
    """``(N, C, H, W)`` in [-1, 1] -> uint8 ``(rows*(H+pad)+pad, cols*(W+pad)+pad, C)``; values clamped."""
    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    n, c, h, w = x.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), dtype=np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        top, left = pad + r * (h + pad), pad + q * (w + pad)
        grid[top : top + h, left : left + w] = x[i].transpose(1, 2, 0)
    return grid


def png_bytes(images: torch.Tensor) -> bytes:
    grid = image_grid(images)
    mode = "L" if grid.shape[-1] == 1 else "RGB"
    buffer = io.BytesIO()
    Image.fromarray(grid[..., 0] if mode == "L" else grid, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def save_grid(images: torch.Tensor, path: str | Path) -> None:
    atomic_write_bytes(path, png_bytes(images))
