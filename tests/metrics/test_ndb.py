"""NDB/K against statsmodels' two-proportion z test on the same bins, and its known-truth readings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.metrics.ndb import ALPHA, MIN_REAL_PER_BIN, bins_for, ndb, real_bins, two_proportion_p_values

CENTRES = np.random.default_rng(99).standard_normal((10, 8)) * 4  # ten well-separated modes in 8-D


def mixture(n: int, rng: np.random.Generator, modes: np.ndarray | None = None) -> np.ndarray:
    """``(n, 8)`` draws of the ten-mode Gaussian mixture (equal weights), or of the modes listed."""
    pick = rng.integers(0, 10, n) if modes is None else rng.choice(modes, n)
    return CENTRES[pick] + rng.standard_normal((n, 8))


def reference_ndb(real: np.ndarray, fake: np.ndarray, centres: np.ndarray, alpha: float) -> tuple:
    """Float64 numpy nearest centre for the bins, statsmodels' pooled two-sided z test per bin."""
    from scipy.spatial.distance import cdist
    from statsmodels.stats.proportion import proportions_ztest

    real = np.unique(real, axis=0)
    k = len(centres)
    real_counts = np.bincount(cdist(real, centres).argmin(axis=1), minlength=k)
    fake_counts = np.bincount(cdist(fake, centres).argmin(axis=1), minlength=k)
    pairs = zip(fake_counts, real_counts, strict=True)
    p = np.array([proportions_ztest([f, r], [len(fake), len(real)])[1] for f, r in pairs])
    return real_counts, fake_counts, p, float((p < alpha).mean())


@pytest.mark.parametrize(("seed", "k", "shift"), [(0, 30, 0.0), (1, 50, 0.3), (2, 20, 1.5), (3, 100, 0.0)])
def test_matches_statsmodels_on_the_same_bins(seed, k, shift):
    rng = np.random.default_rng(seed)
    real = mixture(1500, rng)
    fake = mixture(1200, rng, modes=np.arange(7)) + shift  # three modes missing, and shifted
    result = ndb(real, fake, k=k)
    real_counts, fake_counts, p, ndb_k = reference_ndb(real, fake, result.centres, ALPHA)
    assert result.bins == min(k, 1500 // MIN_REAL_PER_BIN)
    np.testing.assert_array_equal(result.real_counts, real_counts)
    np.testing.assert_array_equal(result.fake_counts, fake_counts)
    np.testing.assert_allclose(result.p_values, p, rtol=1e-9, atol=1e-15)
    assert result.ndb_k == ndb_k and result.ndb_k == result.different.mean()
    assert result.ndb_k > 0.2  # three missing modes of ten leave their bins empty: those bins differ


@settings(max_examples=200, deadline=None)
@given(counts=st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=5),
       extra=st.tuples(st.integers(1, 300), st.integers(1, 300)))
def test_p_values_match_statsmodels(counts, extra):
    from statsmodels.stats.proportion import proportions_ztest

    a, b = np.array(counts).T
    n_a, n_b = int(a.max()) + extra[0], int(b.max()) + extra[1]
    ours = two_proportion_p_values(a, n_a, b, n_b)
    for i in range(len(a)):
        pooled = (a[i] + b[i]) / (n_a + n_b)
        if pooled in (0.0, 1.0):
            assert ours[i] == 1.0  # no variance: nothing to test
        else:
            assert ours[i] == pytest.approx(proportions_ztest([a[i], b[i]], [n_a, n_b])[1], rel=1e-9, abs=1e-300)


def test_held_out_real_reads_near_alpha():
    """Independent real draws: each bin's test rejects at about alpha, so NDB/K averages about 0.05.

    Over 8 draws x 50 bins the mean's standard error is about 0.011; the bins are fitted to the real rows,
    which makes the test slightly conservative (0.038 measured), so the band is alpha -/+ 0.03.
    """
    readings = []
    for seed in range(8):
        rng = np.random.default_rng(100 + seed)
        readings.append(ndb(mixture(2000, rng), mixture(2000, rng), k=50).ndb_k)
    assert ALPHA - 0.03 <= np.mean(readings) <= ALPHA + 0.03
    assert max(readings) < 0.2


def test_collapse_onto_one_bin_reads_near_one():
    rng = np.random.default_rng(7)
    real = mixture(2000, rng)
    bins = real_bins(real, k=50)
    one_bin = real[bins.assign(real) == 0][0]
    collapsed = one_bin + 1e-3 * rng.standard_normal((2000, 8))  # every sample in the bin of one real row
    assert ndb(None, collapsed, bins=bins).ndb_k >= 0.9
    assert ndb(real, np.repeat(real[:1], 500, axis=0), k=50).ndb_k >= 0.9  # one sample repeated
    one_mode = ndb(real, mixture(2000, rng, modes=np.array([3])), k=50).ndb_k
    assert one_mode >= 0.8  # one mode of ten: its ~5 bins over-full, the other ~45 empty


def test_a_shared_partition_gives_the_same_answer():
    rng = np.random.default_rng(8)
    real, fake = mixture(800, rng), mixture(600, rng) + 0.5
    direct = ndb(real, fake, k=40)
    shared = ndb(None, fake, bins=real_bins(real, k=40))
    assert direct.ndb_k == shared.ndb_k
    np.testing.assert_array_equal(direct.fake_counts, shared.fake_counts)


def test_few_real_samples_shrink_k_and_too_few_are_refused():
    rng = np.random.default_rng(9)
    assert ndb(mixture(45, rng), mixture(300, rng), k=50).bins == 4  # 45 distinct real rows -> 45 // 10
    with pytest.raises(ValueError, match="at least 20 distinct real samples"):
        ndb(mixture(19, rng), mixture(300, rng))
    # Repeats are one observation: 500 draws of 15 distinct rows are still 15.
    with pytest.raises(ValueError, match="got 15"):
        ndb(np.repeat(mixture(15, rng), 34, axis=0)[:500], mixture(300, rng))


@settings(max_examples=60, deadline=None)
@given(n_real=st.integers(1, 120), n_fake=st.integers(1, 80), dim=st.integers(1, 6), k=st.integers(2, 60),
       identical=st.booleans(), seed=st.integers(0, 2**16))
def test_shapes_and_edge_cases(n_real, n_fake, dim, k, identical, seed):
    rng = np.random.default_rng(seed)
    real = np.zeros((n_real, dim)) if identical else rng.standard_normal((n_real, dim))
    fake = rng.standard_normal((n_fake, dim))
    bins = bins_for(1 if identical else n_real, k)
    if bins == 0:
        with pytest.raises(ValueError, match="distinct real samples"):
            ndb(real, fake, k=k)
        return
    result = ndb(real, fake, k=k)
    assert result.bins == bins <= k and result.bins * MIN_REAL_PER_BIN <= n_real
    for array in (result.real_counts, result.fake_counts, result.p_values, result.different):
        assert array.shape == (bins,)
    assert result.real_counts.sum() == n_real and result.fake_counts.sum() == n_fake
    assert (result.real_counts > 0).all()  # k-means leaves no bin of the real rows empty
    assert 0.0 <= result.ndb_k <= 1.0 and result.ndb_k == result.different.mean()
    assert ((0.0 <= result.p_values) & (result.p_values <= 1.0)).all()


@pytest.mark.parametrize("where", ["real", "fake"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_features_are_refused(where, bad):
    rng = np.random.default_rng(10)
    real, fake = rng.standard_normal((100, 4)), rng.standard_normal((50, 4))
    (real if where == "real" else fake)[3, 1] = bad
    with pytest.raises(ValueError, match="NaN or Inf"):
        ndb(real, fake)


def test_bad_shapes_and_alpha():
    rng = np.random.default_rng(11)
    real = rng.standard_normal((100, 4))
    with pytest.raises(ValueError, match="4 dimensions, generated 3"):
        ndb(real, rng.standard_normal((50, 3)))
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        ndb(real, np.zeros((0, 4)))
    with pytest.raises(ValueError, match="alpha"):
        ndb(real, real, alpha=1.0)
