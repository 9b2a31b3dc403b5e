"""Feature spaces, chosen per dataset: the digit classifier's features, or a fixed random CNN.

A ``Reading`` holds what the metrics need from a batch of images: mode ids (None when the data
has no mode reader) and features. ``READERS`` maps a dataset name to its reader; datasets not
listed (``folder``, ``array``) get modes None and random-CNN features.

The random CNN is the download-free feature space: three strided 3x3 convolutions with He-normal
weights drawn from a fixed seed, ReLU, no training. It is deterministic and cheap, and random
convolutional embeddings do separate image distributions, but its
distances are not perceptual and its values are not comparable with published FID/KID figures.
(Naeem et al. 2020 make the case for randomly initialised embeddings where ImageNet features do
not fit the data.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.data.files import resize_square
from ganlab.metrics.classifier import AMBIGUOUS, FEATURE_DIM, agreed, digit_classifier, to_input
from ganlab.metrics.grid import read_grid_modes
from ganlab.metrics.modes import NO_MODE

BATCH = 1024  # images per forward pass: bounds memory; larger batches run slower (cache misses)
RANDOM_CNN_RESOLUTION = 32
RANDOM_CNN_SEED = 20240601
RANDOM_CNN_WIDTHS = (32, 64, 16)  # 16 channels x 4 x 4 = 256 features (sqrtm cost grows as D^3)


@dataclass(frozen=True)
class Reading:
    modes: np.ndarray | None  # (N,) int64; -1 = no mode / low quality / ambiguous; None = modes unknown
    features: np.ndarray  # (N, D) float32
    # (N,) bool: no majority of the classifiers agrees on some channel; None = a reader without an ensemble
    ambiguous: np.ndarray | None = None
    # Per-channel confusion (D, D + 1) of the reader (last column: ambiguous), None = no misreads
    # to correct for (``ganlab.metrics.confusion``).
    channel_confusion: np.ndarray | None = None


Reader = Callable[[Tensor], Reading]


@torch.no_grad()
def digit_reading(images: Tensor) -> Reading:
    """``(N, C, R, R)`` in [-1, 1] -> each channel classified as one digit by the ensemble.

    Mode = the digits read as a base-10 number (C = 3: 100 * d_R + 10 * d_G + d_B), or -1 where
    no majority of the ensemble's members agrees on some channel (``ambiguous``); features ``(N, 64 * C)`` are
    the feature network's penultimate-layer features of the channels, concatenated.
    """
    net = digit_classifier()
    n, c = images.shape[:2]
    single = to_input(images.reshape(n * c, 1, *images.shape[-2:]))  # (N * C, 1, 16, 16)
    # Real samples of the digit datasets reuse a few hundred held-out digits: classify each
    # distinct image once (the forward pass is the expensive part; the dedup costs ~5% of it).
    distinct, inverse = torch.unique(single.flatten(1), dim=0, return_inverse=True)
    distinct = distinct.view(-1, *single.shape[1:])
    digits, features = [], []
    for start in range(0, len(distinct), BATCH):
        members, feats = net(distinct[start : start + BATCH])
        digits.append(agreed(members))
        features.append(feats)
    d = torch.cat(digits)[inverse].view(n, c)
    ambiguous = (d == AMBIGUOUS).any(dim=1)
    modes = torch.where(ambiguous, NO_MODE, (d * (10 ** torch.arange(c - 1, -1, -1))).sum(dim=1))
    return Reading(modes.numpy().astype(np.int64), torch.cat(features)[inverse].view(n, c * FEATURE_DIM).numpy(),
                   ambiguous.numpy(), net.confusion.numpy())


_RANDOM_WEIGHTS: dict[int, list[Tensor]] = {}


def _random_weights(channels: int) -> list[Tensor]:
    if channels not in _RANDOM_WEIGHTS:
        g = torch.Generator().manual_seed(RANDOM_CNN_SEED + channels)
        weights, c_in = [], channels
        for c_out in RANDOM_CNN_WIDTHS:
            fan_in = c_in * 9
            weights.append(torch.randn(c_out, c_in, 3, 3, generator=g) * (2.0 / fan_in) ** 0.5)
            c_in = c_out
        _RANDOM_WEIGHTS[channels] = weights
    return _RANDOM_WEIGHTS[channels]


@torch.no_grad()
def random_cnn_features(images: Tensor) -> np.ndarray:
    """``(N, C, R, R)`` in [-1, 1] -> ``(N, 256)`` float32 features of the fixed random CNN (input at 32x32)."""
    weights = _random_weights(images.shape[1])
    out = []
    for start in range(0, len(images), BATCH):
        h = resize_square(images[start : start + BATCH].float(), RANDOM_CNN_RESOLUTION)
        for w in weights:
            h = F.relu(F.conv2d(h, w, stride=2, padding=1))  # state: c_out x R/2 x R/2
        out.append(h.flatten(1))  # state: 16 x 4 x 4
    return torch.cat(out).numpy()


def random_cnn_reading(images: Tensor) -> Reading:
    return Reading(None, random_cnn_features(images))


def grid_reading(images: Tensor) -> Reading:
    return Reading(read_grid_modes(images), random_cnn_features(images))


READERS: dict[str, Reader] = {
    "digits": digit_reading,
    "stacked-digits": digit_reading,
    "gaussian-grid": grid_reading,
}


def feature_space(dataset_name: str) -> str:
    """One line naming the feature space ``dataset_name`` is scored in (for reports and notes)."""
    if READERS.get(dataset_name) is digit_reading:
        return "the digit classifier's penultimate features (64 per channel)"
    return "a fixed-seed random CNN (256 features; not comparable with published FID/KID)"


def reader_for(dataset_name: str) -> Reader:
    return READERS.get(dataset_name, random_cnn_reading)


def prepare_reader(dataset_name: str) -> Reader:
    """``reader_for(dataset_name)`` with what it reads with built now: the digit ensemble is loaded from
    the cache, or trained (about a minute on a CPU) and cached. The trainer calls this before its first
    step, so no evaluation inside the loop pays for it."""
    reader = reader_for(dataset_name)
    if reader is digit_reading:
        digit_classifier()
    return reader
