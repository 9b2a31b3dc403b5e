"""Diversity ratio and near-duplicate rate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from ganlab.metrics import diversity_ratio, dup_rate, duplicate_threshold
from ganlab.metrics.neighbours import knn_distances, mean_pairwise_distance


def test_mean_pairwise_distance_matches_scipy():
    x = np.random.default_rng(0).standard_normal((700, 12))
    assert mean_pairwise_distance(x) == pytest.approx(pdist(x).mean(), rel=1e-5)


def test_knn_matches_sorted_distances():
    from scipy.spatial.distance import cdist

    x = np.random.default_rng(1).standard_normal((200, 5))
    expected = np.sort(cdist(x, x), axis=1)[:, 1:4]
    assert np.allclose(knn_distances(x, 3), expected, atol=1e-5)


def test_one_image_repeated():
    rng = np.random.default_rng(2)
    real = rng.standard_normal((500, 16))
    fake = np.repeat(real[:1], 500, axis=0)
    assert diversity_ratio(real, fake) == pytest.approx(0.0, abs=1e-3)
    assert dup_rate(real, fake) == 1.0


def test_independent_samples():
    rng = np.random.default_rng(3)
    real, fake = rng.standard_normal((1000, 16)), rng.standard_normal((1000, 16))
    assert diversity_ratio(real, fake) == pytest.approx(1.0, abs=0.02)
    assert dup_rate(real, fake) == 0.0


def test_half_collapsed():
    rng = np.random.default_rng(4)
    real = rng.standard_normal((1000, 16))
    fake = np.concatenate([rng.standard_normal((500, 16)), np.repeat(real[:1], 500, axis=0)])
    assert dup_rate(real, fake) == pytest.approx(0.5, abs=0.01)
    assert 0.2 < diversity_ratio(real, fake) < 0.9


def test_threshold_ignores_repeated_real_rows():
    rng = np.random.default_rng(5)
    distinct = rng.standard_normal((100, 4))
    repeated = np.repeat(distinct, 5, axis=0)  # a finite dataset sampled with replacement
    assert duplicate_threshold(repeated, 100) == pytest.approx(duplicate_threshold(distinct, 100))
    assert duplicate_threshold(repeated, 100) > 0.0
