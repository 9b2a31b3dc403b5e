"""Stacked-digit sample sets with known modes, rendered by PIL (not ganlab's torch resize path).

Each channel is a HELD-OUT real digit (never one the classifiers trained on), resized 8 -> 32 by
PIL with LANCZOS or BILINEAR, shifted by up to 2 pixels, given a gray background and a weaker
stroke, blurred (PIL GaussianBlur) and noised: the nuisances of a generator's samples.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageFilter

from ganlab.data import digit_splits

RESOLUTION = 32
VARIANTS = 4  # nuisance renderings per held-out digit


def _render(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One 8x8 digit in [0, 1] -> ``(32, 32)`` float32 in [0, 1] through PIL and random nuisances."""
    img = Image.fromarray(np.round(digit * 255).astype(np.uint8))
    img = img.resize((RESOLUTION, RESOLUTION), Image.Resampling.LANCZOS if rng.random() < 0.5
                     else Image.Resampling.BILINEAR)
    img = img.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.0, 1.2))))
    w = np.asarray(img, np.float32) / 255.0
    dy, dx = rng.integers(-2, 3, 2)
    w = np.roll(np.pad(w, 2), (dy, dx), axis=(0, 1))[2:-2, 2:-2]
    background, gain = rng.uniform(0.0, 0.2), rng.uniform(0.75, 1.0)
    return (background + (gain - background) * w).astype(np.float32)


def pil_stacked(k: int, n: int, seed: int) -> tuple[torch.Tensor, np.ndarray]:
    """``n`` samples ``(n, 3, 32, 32)`` in [-1, 1] drawn evenly from ``k`` random modes of 1000, and their modes."""
    x, y = digit_splits()["held_out"]
    rng = np.random.default_rng(seed)
    rendered = np.stack([[_render(d, rng) for d in x] for _ in range(VARIANTS)])  # (V, N_held, 32, 32)
    modes = rng.choice(1000, k, replace=False)[rng.integers(0, k, n)]
    out = np.empty((n, 3, RESOLUTION, RESOLUTION), np.float32)
    for ch, digit in enumerate((modes // 100, modes // 10 % 10, modes % 10)):
        for d in range(10):
            where = np.flatnonzero(digit == d)
            pick = rng.choice(np.flatnonzero(y == d), len(where))
            out[where, ch] = rendered[rng.integers(0, VARIANTS, len(where)), pick]
    noise_sd = rng.uniform(0.0, 0.05, (n, 1, 1, 1)).astype(np.float32)
    out = np.clip(out + rng.standard_normal(out.shape).astype(np.float32) * noise_sd, 0.0, 1.0)
    return torch.from_numpy(out * 2.0 - 1.0), modes
