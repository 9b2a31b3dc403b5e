"""Pixel statistics: the simplest download-free feature space, a baseline for the learnt ones.

Per image ``(C, R, R)`` in [-1, 1], resized to 32x32: an 8x8 area-averaged thumbnail of each channel
(``C * 64`` values: layout and colour) and four statistics per channel (mean, standard deviation, mean
absolute horizontal and vertical difference: brightness, contrast and high-frequency energy, which
checkerboards and stripes raise). The statistics are weighted by ``STAT_WEIGHT`` so that their block
counts about as much in a Euclidean distance as the thumbnail's ``16``-times-larger block.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.data.files import resize_square

PIXEL_RESOLUTION = 32
THUMBNAIL = 8
STAT_WEIGHT = 4.0  # sqrt(64 thumbnail values / 4 statistics) per channel


@torch.no_grad()
def pixel_features(images: Tensor) -> np.ndarray:
    """``(N, C, R, R)`` in [-1, 1] -> ``(N, C * 68)`` float32: thumbnail ``(N, C * 64)``, then statistics."""
    x = resize_square(images.float(), PIXEL_RESOLUTION)  # (N, C, 32, 32)
    thumb = F.adaptive_avg_pool2d(x, THUMBNAIL).flatten(1)  # (N, C * 64)
    stats = torch.stack([x.mean(dim=(2, 3)), x.std(dim=(2, 3)),
                         (x[..., :, 1:] - x[..., :, :-1]).abs().mean(dim=(2, 3)),
                         (x[..., 1:, :] - x[..., :-1, :]).abs().mean(dim=(2, 3))], dim=2)  # (N, C, 4)
    return torch.cat([thumb, STAT_WEIGHT * stats.flatten(1)], dim=1).numpy().astype(np.float32)
