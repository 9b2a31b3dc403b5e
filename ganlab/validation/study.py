"""The feature-space study of issue 17: each candidate space's label-free readings of finished runs.

For a dataset folder, the real images are split once (seeded): ``REFERENCE`` images are the real set
every reading is taken against (k-means bins, k-NN balls, spreads), the next ``HELD_OUT`` are the
real-vs-real scale. Each run's generator draws ``SAMPLES`` images (its final-metrics stream). Per
feature space, the readings are NDB/K, the realistic share, diversity and the duplicate rate, for the
run and for the held-out real images (``real_*``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ganlab.config import load_config
from ganlab.data import load_folder_images
from ganlab.errors import DataError
from ganlab.metrics.diversity import diversity_ratio, dup_rate
from ganlab.metrics.encoder import data_encoder, encoder_features
from ganlab.metrics.features import random_cnn_features
from ganlab.metrics.ndb import ndb, real_bins
from ganlab.metrics.pixels import pixel_features
from ganlab.metrics.realism import kept_balls, realistic_share
from ganlab.sampling import run_samples
from ganlab.schema import CHECKPOINT, CONFIG_YAML

REFERENCE = 2000
HELD_OUT = 1000
SAMPLES = 1000
SPLIT_SEED = 0
READINGS = ("ndb_k", "realistic_share", "diversity", "dup_rate")

Features = Callable[[Tensor], np.ndarray]


@dataclass(frozen=True)
class RealSplit:
    images: Tensor  # (N, C, R, R) every real image of the folder (the encoder's training data)
    reference: Tensor  # (REFERENCE, C, R, R)
    held_out: Tensor  # (HELD_OUT, C, R, R), disjoint from reference


def real_split(folder: Path, channels: int, resolution: int) -> RealSplit:
    images = load_folder_images(folder, channels, resolution)
    if len(images) < REFERENCE + HELD_OUT:
        raise DataError(f"{folder}: {len(images)} images; the study needs {REFERENCE + HELD_OUT}")
    order = torch.from_numpy(np.random.default_rng(SPLIT_SEED).permutation(len(images)))
    return RealSplit(images, images[order[:REFERENCE]], images[order[REFERENCE : REFERENCE + HELD_OUT]])


def feature_spaces(real: RealSplit) -> dict[str, Features]:
    """The candidates: today's random CNN, pixel statistics, and the encoder trained on the folder."""
    encoder = data_encoder(real.images)
    return {"random_cnn": random_cnn_features, "pixels": pixel_features,
            "encoder": lambda images: encoder_features(encoder, images)}


def readings(reference: np.ndarray, samples: np.ndarray) -> dict[str, float]:
    """The ``READINGS`` of features ``samples`` ``(M, D)`` against ``reference`` ``(N, D)``."""
    return {"ndb_k": ndb(None, samples, bins=real_bins(reference)).ndb_k,
            "realistic_share": realistic_share(reference, samples, balls=kept_balls(reference)),
            "diversity": diversity_ratio(reference, samples),
            "dup_rate": dup_rate(reference, samples)}


def generated(run_dir: Path) -> Tensor | None:
    """``SAMPLES`` of the run's generator, or None when they hold NaN/Inf (non_finite catches that run)."""
    config = load_config(run_dir / CONFIG_YAML)
    try:
        return run_samples(config, run_dir / CHECKPOINT, SAMPLES, None).float().clamp(-1.0, 1.0)
    except DataError:
        return None


def study(real: RealSplit, runs: dict[str, Path]) -> list[dict]:
    """One row per (space, run) and per space for ``real`` (the held-out real images): ``READINGS``."""
    spaces = feature_spaces(real)
    samples = {name: generated(path) for name, path in runs.items()}
    rows = []
    for space, read in spaces.items():
        reference = read(real.reference)
        rows.append({"space": space, "run": "real", **readings(reference, read(real.held_out))})
        for name, images in samples.items():
            values = dict.fromkeys(READINGS) if images is None else readings(reference, read(images))
            rows.append({"space": space, "run": name, "nan_samples": images is None, **values})
    return rows


def ndb_of_runs(real: RealSplit, runs: dict[str, Path]) -> list[dict]:
    """NDB/K of each run's ``SAMPLES`` in every candidate space (one partition of ``real.reference`` per
    space): rows ``{"run", "space", "ndb_k"}``, plus ``run = "real"`` for the held-out real images.
    ``ndb_k`` is None for a run whose samples hold NaN/Inf."""
    spaces = feature_spaces(real)
    bins = {space: real_bins(read(real.reference)) for space, read in spaces.items()}
    rows = [{"run": "real", "space": space, "ndb_k": ndb(None, read(real.held_out), bins=bins[space]).ndb_k}
            for space, read in spaces.items()]
    for name, path in runs.items():
        images = generated(path)
        for space, read in spaces.items():
            value = None if images is None else ndb(None, read(images), bins=bins[space]).ndb_k
            rows.append({"run": name, "space": space, "ndb_k": value})
    return rows
