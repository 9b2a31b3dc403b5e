"""Per-sample realism (Kynkäänniemi et al. 2019): is a generated sample inside the real data's k-NN balls?

Each distinct real row's ball reaches its k-th nearest other real row (k = 3, as precision's). The realism
score of a generated sample g is max over real rows r of radius(r) / |g - r|: above 1 exactly when g lies
strictly inside some ball. As in the authors' realism score, only the balls with a radius at or below the
``KEEP_PERCENTILE``-th percentile are kept: the largest balls belong to outlying real samples, and they
swallow off-manifold samples (checkerboards read as precision 0.24 on digits with every ball kept).
With ``keep_percentile=100`` every ball is kept and the realistic share is improved precision.

A generated sample is *realistic* when its score exceeds 1; the realistic share is the share of such
samples (higher is better). It has a scale only next to what held-out real data reads: real samples
that are not among the reference rows pass at a rate well below 1 with half the balls kept (0.44 on
stacked-digits, 0.51 on digits and on a ten-mode Gaussian mixture). The feature-space study
(``ganlab.validation``) reads it so; every evaluation reads the calibrated gate (``ganlab.metrics.gate``).

A *calibrated* realism level (``calibrated_level``) replaces the fixed 1 by a threshold read off held-out
real data: the score that ``REALISM_PASS_RATE`` of held-out real samples (real rows outside the
reference) reach. Then "realistic" has a known false-rejection rate on real data, on any data set, and
the share of realistic generated samples reads against that rate (docs/metrics.md argues the rate, 0.5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ganlab.metrics.diversity import distinct_rows
from ganlab.metrics.neighbours import CHUNK, cross_distance_blocks, feature_rows, knn_distances
from ganlab.metrics.prdc import K_PRECISION_RECALL
from ganlab.schema.log import REALISM_PASS_RATE

KEEP_PERCENTILE = 50.0  # the authors' realism score keeps the balls up to the median radius
MIN_CALIBRATION_ROWS = 10  # held-out real rows needed to read a level off (the 10th of 10 sets rate 0.1)


def _checked(x: np.ndarray, what: str) -> np.ndarray:
    return feature_rows(x, what, "realism", np.float32)


def kept_balls(real: np.ndarray, k: int = K_PRECISION_RECALL,
               keep_percentile: float = KEEP_PERCENTILE) -> tuple[np.ndarray, np.ndarray]:
    """The kept balls of ``real`` ``(N, D)``: centres ``(B, D)`` float32 and radii ``(B,)`` float32.

    Centres are the distinct real rows whose k-th nearest-other distance is at or below the
    ``keep_percentile``-th percentile of those distances. A ValueError when there are not more than
    ``k`` distinct rows (one image repeated has no neighbourhood), or on NaN/Inf.
    """
    if not 0.0 < keep_percentile <= 100.0:
        raise ValueError(f"realism: keep_percentile must be in (0, 100], got {keep_percentile}")
    real = distinct_rows(_checked(real, "real"))
    if len(real) <= k:
        raise ValueError(f"realism needs more than {k} distinct real samples (k = {k}), got {len(real)}")
    radii = knn_distances(real, k)[:, k - 1].astype(np.float32)  # (N,)
    kept = radii <= np.percentile(radii, keep_percentile)
    return real[kept], radii[kept]


def realism_scores(real: np.ndarray, samples: np.ndarray, k: int = K_PRECISION_RECALL,
                   keep_percentile: float = KEEP_PERCENTILE, chunk: int = CHUNK, *,
                   balls: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``(M,)`` float64 realism scores of ``samples`` ``(M, D)`` against ``real`` ``(N, D)``; > 1 is realistic.

    ``inf`` for a sample equal to a kept centre. ``balls`` may pass ``kept_balls(real, k, keep_percentile)``
    already computed (then ``real`` is not read).
    """
    samples = _checked(samples, "sample")
    centres, radii = balls if balls is not None else kept_balls(real, k, keep_percentile)
    if centres.shape[1] != samples.shape[1]:
        raise ValueError(f"realism: real features have {centres.shape[1]} dimensions, samples {samples.shape[1]}")
    best = np.zeros(len(samples), np.float64)
    for rows, d in cross_distance_blocks(centres, samples, chunk):  # d: (rows, M)
        ratio = np.divide(radii[rows, None], d, out=np.full(d.shape, np.inf, np.float32), where=d > 0)
        np.maximum(best, ratio.max(axis=0), out=best)
    return best


def realistic_share(real: np.ndarray, samples: np.ndarray, k: int = K_PRECISION_RECALL,
                    keep_percentile: float = KEEP_PERCENTILE, *,
                    balls: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """Share in [0, 1] of ``samples`` ``(M, D)`` whose realism score against ``real`` exceeds 1."""
    return float((realism_scores(real, samples, k, keep_percentile, balls=balls) > 1.0).mean())


@dataclass(frozen=True)
class RealismLevel:
    """A realism level calibrated on held-out real data (``calibrated_level``): the reference's kept balls and
    the score threshold. ``real_share`` is the share of the calibration rows at or above it (>= ``pass_rate``;
    above it only by ties at the threshold)."""

    centres: np.ndarray  # (B, D) float32: the kept balls' centres
    radii: np.ndarray  # (B,) float32
    threshold: float  # a sample is realistic when its realism score is >= this
    pass_rate: float  # the rate held-out real data was calibrated to pass at, in (0, 1]
    real_share: float
    calibration_rows: int


def outside_rows(rows: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The rows of ``(L, D)`` equal to no row of ``reference`` ``(N, D)`` (exact match, float32): held-out
    rows must not be reference rows, whose scores are infinite (each is a kept centre or inside its ball)."""
    rows, reference = np.asarray(rows, np.float32), np.asarray(reference, np.float32)
    seen = {row.tobytes() for row in reference}
    return rows[np.fromiter((row.tobytes() not in seen for row in rows), bool, len(rows))]


def level_threshold(real_scores: np.ndarray, pass_rate: float) -> float:
    """The largest threshold that at least ``pass_rate`` of ``real_scores`` ``(L,)`` reach: the
    ``ceil(pass_rate * L)``-th largest score. Anything higher rejects more than ``1 - pass_rate`` of them."""
    ordered = np.sort(np.asarray(real_scores, np.float64))
    passing = math.ceil(round(pass_rate * len(ordered), 9))  # round: 0.95 * 20 is 19.000000000000004
    return float(ordered[len(ordered) - passing])


def calibrated_level(real: np.ndarray, held_out: np.ndarray, pass_rate: float = REALISM_PASS_RATE,
                     k: int = K_PRECISION_RECALL, keep_percentile: float = KEEP_PERCENTILE) -> RealismLevel:
    """The realism level at which ``pass_rate`` of ``held_out`` ``(L, D)`` passes, against ``real`` ``(N, D)``.

    ``held_out`` are real samples outside ``real`` (rows equal to a reference row are dropped first, see
    ``outside_rows``). A ValueError for a rate outside (0, 1], fewer than ``MIN_CALIBRATION_ROWS`` held-out
    rows left, or what ``kept_balls`` refuses.
    """
    if not 0.0 < pass_rate <= 1.0:
        raise ValueError(f"realism: pass_rate must be in (0, 1], got {pass_rate}")
    balls = kept_balls(real, k, keep_percentile)
    held = outside_rows(_checked(held_out, "held-out real"), _checked(real, "real"))
    if len(held) < MIN_CALIBRATION_ROWS:
        raise ValueError(f"realism: {len(held)} held-out real row(s) outside the reference; a level needs "
                         f"{MIN_CALIBRATION_ROWS}")
    scores = realism_scores(real, held, balls=balls)
    threshold = level_threshold(scores, pass_rate)
    return RealismLevel(balls[0], balls[1], threshold, float(pass_rate), float((scores >= threshold).mean()),
                        len(held))


def passes(level: RealismLevel, samples: np.ndarray, chunk: int = CHUNK) -> np.ndarray:
    """``(M,)`` bool: which of ``samples`` ``(M, D)`` reach the calibrated level (are *realistic*)."""
    return realism_scores(np.empty((0, 0)), samples, chunk=chunk, balls=(level.centres, level.radii)) >= level.threshold
