"""The realism gate of every evaluation: which generated samples lie on the real data's manifold.

A sample passes when its realism score (``ganlab.metrics.realism``) against a fixed real *reference* reaches
a level read off held-out real data, so that held-out real data passes at ``GATE_PASS_RATE``. The
reference has a fixed size, ``REFERENCE_ROWS`` train images, not the evaluation's sample count: k-NN
balls shrink as the reference grows, so a reference as large as the sample count made the same
generator's share fall from 0.43 at 500 samples to 0.10 at 10,000 (the main job's baseline). With the
reference fixed, each sample's verdict depends on that sample alone, and the share reads the same at any
sample count. Both draws use fixed seeds, apart from the run's: every run of a dataset is held to the same
ruler. Every ball is kept (``keep_percentile=100``): the calibrated level, not the ball sizes, sets how
strict the gate is.

``manifold_share`` is the share of samples that pass. Modes are counted among them only
(``ganlab.metrics.evaluate``), so a generator of checkerboards covers no mode, and ``quality_collapse``
reads the share during training. docs/metrics.md gives the measurements behind the constants.
"""

from __future__ import annotations

import weakref

import numpy as np
import torch

from ganlab.data.base import ImageDataset
from ganlab.metrics.realism import RealismLevel, calibrated_level, passes
from ganlab.schema.log import GATE_PASS_RATE

# Train images whose k-NN balls make the manifold. At 500 one lr-0.5 stacked-digits run, its samples one
# point in feature space, sat just inside one ball and passed whole; at 1,000 it, and every other garbage
# run tried, reads 0.00-0.04, and healthy 300-step runs 0.77-0.93 (docs/metrics.md).
REFERENCE_ROWS = 1000
CALIBRATION_ROWS = 1000  # held-out images the level is read off
GATE_KEEP_PERCENTILE = 100.0
REFERENCE_SEED, CALIBRATION_SEED = 7001, 7002

_LEVELS: weakref.WeakKeyDictionary[ImageDataset, tuple[object, RealismLevel | None, str]] = weakref.WeakKeyDictionary()


def gate_level(dataset: ImageDataset, read) -> tuple[RealismLevel | None, str]:
    """The gate's level for ``dataset`` read by ``read`` (a ``Reader``), built once per dataset object, and a
    note: empty, or why there is no gate (too few distinct images to hold some out); then None."""
    cached = _LEVELS.get(dataset)
    if cached is not None and cached[0] is read:
        return cached[1], cached[2]
    reference, _ = dataset.sample(REFERENCE_ROWS, torch.Generator().manual_seed(REFERENCE_SEED), split="train")
    held, _ = dataset.sample(CALIBRATION_ROWS, torch.Generator().manual_seed(CALIBRATION_SEED), split="held_out")
    try:
        level: RealismLevel | None = calibrated_level(read(reference).features, read(held).features,
                                                      GATE_PASS_RATE, keep_percentile=GATE_KEEP_PERCENTILE)
        note = ""
    except ValueError as err:  # a tiny user dataset: no held-out images outside the reference
        level, note = None, f"realism gate off: {err}"
    _LEVELS[dataset] = (read, level, note)
    return level, note


def on_manifold(features: np.ndarray, dataset: ImageDataset, read) -> np.ndarray | None:
    """``(N,)`` bool: which rows of ``features`` ``(N, D)`` pass the gate; None when the data has no gate."""
    level, _ = gate_level(dataset, read)
    return None if level is None else passes(level, features)
