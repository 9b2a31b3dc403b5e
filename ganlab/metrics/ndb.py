"""NDB/K (Richardson & Weiss 2018): label-free mode coverage, the share of statistically different bins.

The real features are cut into K bins by k-means; each generated sample falls into the bin of its nearest
centre. Per bin a two-proportion z test (pooled variance, two-sided) compares the generated share with the
real share; a bin is *different* when its p-value is below ``alpha``. NDB/K is the share of different bins:
~``alpha`` when the generated samples follow the real distribution, near 1 when they pile into one bin
(mode collapse). Lower is better. It sees how the samples spread over the data's regions, not whether a
sample looks real: samples far from every real one still fall into some bin (``ganlab.metrics.realism``
sees that).

Inputs are features ``(N, D)`` (real) and ``(M, D)`` (generated). The bins and the real shares come from
the **distinct** real rows: finite datasets are drawn with replacement, and N draws of a few hundred
images are a few hundred observations, not N.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ganlab.metrics.diversity import distinct_rows
from ganlab.metrics.neighbours import feature_rows

if TYPE_CHECKING:
    from sklearn.cluster import KMeans

DEFAULT_BINS = 100  # K of the authors' reference code (their experiments use K = 100 to 300)
MIN_REAL_PER_BIN = 10  # fewer real rows than this per bin and K shrinks: the z test needs counts per bin
ALPHA = 0.05  # the paper's significance level
KMEANS_SEED = 0


@dataclass(frozen=True)
class NdbResult:
    ndb_k: float  # share of different bins, in [0, 1]; lower is better
    bins: int  # K used: min(k, distinct real rows // MIN_REAL_PER_BIN)
    real_counts: np.ndarray  # (K,) int64 distinct real rows per bin
    fake_counts: np.ndarray  # (K,) int64 generated samples per bin
    p_values: np.ndarray  # (K,) float64 two-sided p-value of each bin's z test
    different: np.ndarray  # (K,) bool, p_values < alpha
    centres: np.ndarray  # (K, D) float64 bin centres (k-means of the distinct real rows)


def _checked(x: np.ndarray, what: str) -> np.ndarray:
    return feature_rows(x, what, "NDB/K", np.float64)


def bins_for(n_distinct_real: int, k: int = DEFAULT_BINS) -> int:
    """K for ``n_distinct_real`` distinct real rows: ``k``, cut to ``n // MIN_REAL_PER_BIN``; 0 when under 2."""
    bins = min(k, n_distinct_real // MIN_REAL_PER_BIN)
    return bins if bins >= 2 else 0


def two_proportion_p_values(count_a: np.ndarray, n_a: int, count_b: np.ndarray, n_b: int) -> np.ndarray:
    """Two-sided p-values of the pooled two-proportion z test, per entry of the count arrays (float64).

    An entry whose pooled share is 0 or 1 has no variance to test against and gets p = 1.
    """
    from scipy.stats import norm

    count_a, count_b = np.asarray(count_a, np.float64), np.asarray(count_b, np.float64)
    pooled = (count_a + count_b) / (n_a + n_b)
    variance = pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b)
    testable = variance > 0
    z = np.zeros_like(pooled)
    z[testable] = (count_a / n_a - count_b / n_b)[testable] / np.sqrt(variance[testable])
    return np.where(testable, 2.0 * norm.sf(np.abs(z)), 1.0)


@dataclass(frozen=True)
class Bins:
    """K-means bins of the distinct real rows: the partition NDB/K tests against."""

    centres: np.ndarray  # (K, D) float64
    real_counts: np.ndarray  # (K,) int64 distinct real rows per bin
    model: KMeans  # scikit-learn's fitted k-means, which assigns new rows to the nearest centre

    def assign(self, x: np.ndarray) -> np.ndarray:
        """``(M, D)`` -> ``(M,)`` int64 index of each row's nearest centre."""
        return self.model.predict(np.asarray(x, np.float64)).astype(np.int64)


def real_bins(real: np.ndarray, k: int = DEFAULT_BINS, seed: int = KMEANS_SEED) -> Bins:
    """``bins_for(distinct real rows, k)`` k-means bins of ``real`` ``(N, D)`` (scikit-learn, k-means++,
    ``random_state=seed``: a fixed function of the real rows). Fewer than ``2 * MIN_REAL_PER_BIN`` distinct
    real rows (one image repeated, a tiny folder) is a ValueError, as are NaN/Inf features."""
    from sklearn.cluster import KMeans  # deferred: importing sklearn costs ~1 s

    real = distinct_rows(_checked(real, "real")).astype(np.float64)
    bins = bins_for(len(real), k)
    if bins == 0:
        raise ValueError(f"NDB/K needs at least {2 * MIN_REAL_PER_BIN} distinct real samples "
                         f"({MIN_REAL_PER_BIN} per bin, 2 bins), got {len(real)}")
    model = KMeans(n_clusters=bins, n_init=1, random_state=seed).fit(real)
    real_counts = np.bincount(model.labels_, minlength=bins).astype(np.int64)
    return Bins(model.cluster_centers_.astype(np.float64), real_counts, model)


def ndb(real: np.ndarray | None, fake: np.ndarray, k: int = DEFAULT_BINS, alpha: float = ALPHA,
        seed: int = KMEANS_SEED, *, bins: Bins | None = None) -> NdbResult:
    """NDB/K of ``fake`` ``(M, D)`` against ``real`` ``(N, D)`` (see the module docstring and ``real_bins``).

    ``bins`` may pass ``real_bins(real, k, seed)`` already fitted (then ``real`` is not read), so several
    sets (generated, held-out real) are tested against one partition.
    """
    fake = _checked(fake, "generated")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"NDB/K: alpha must be in (0, 1), got {alpha}")
    if bins is None:
        if real is None:
            raise ValueError("NDB/K: pass the real features or their bins")
        bins = real_bins(real, k, seed)
    if bins.centres.shape[1] != fake.shape[1]:
        raise ValueError(f"NDB/K: real features have {bins.centres.shape[1]} dimensions, generated {fake.shape[1]}")
    n_bins, n_real = len(bins.centres), int(bins.real_counts.sum())
    fake_counts = np.bincount(bins.assign(fake), minlength=n_bins).astype(np.int64)
    p_values = two_proportion_p_values(fake_counts, len(fake), bins.real_counts, n_real)
    different = p_values < alpha
    return NdbResult(float(different.mean()), n_bins, bins.real_counts, fake_counts, p_values, different,
                     bins.centres)
