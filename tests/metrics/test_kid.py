"""KID against a plain float64 numpy reference, and its known behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.metrics import kid, mmd2_unbiased


def reference_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2, kernel (x.y/d + 1)^3, written out term by term."""
    d = x.shape[1]
    kxx, kyy, kxy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    return ((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
            - 2 * kxy.sum() / (m * n))


def reference_kid(real, fake, n_subsets, subset_size, seed):
    """Same subset draws as documented: per subset, fake rows then real rows, default_rng(seed)."""
    m = min(subset_size, len(real), len(fake))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_subsets):
        f = fake[rng.choice(len(fake), m, replace=False)].astype(np.float64)
        r = real[rng.choice(len(real), m, replace=False)].astype(np.float64)
        values.append(reference_mmd2(f, r))
    return np.mean(values), np.std(values)


def test_mmd2_matches_reference():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((120, 16)), rng.standard_normal((90, 16)) + 0.5
    assert mmd2_unbiased(x, y) == pytest.approx(reference_mmd2(x, y), rel=1e-4)


@pytest.mark.parametrize("subset_size", [50, 300])
def test_kid_matches_reference(subset_size):
    rng = np.random.default_rng(1)
    real = rng.random((300, 24)).astype(np.float32)
    fake = (rng.random((250, 24)) * 1.2).astype(np.float32)
    mean, std = kid(real, fake, n_subsets=23, subset_size=subset_size, seed=7)
    ref_mean, ref_std = reference_kid(real, fake, 23, subset_size, 7)
    assert mean == pytest.approx(ref_mean, rel=1e-4, abs=1e-7)
    assert std == pytest.approx(ref_std, rel=1e-3, abs=1e-7)


def test_same_distribution_is_near_zero_and_shift_is_positive():
    rng = np.random.default_rng(2)
    real, fake = rng.standard_normal((2000, 32)), rng.standard_normal((2000, 32))
    same, same_std = kid(real, fake, n_subsets=20, subset_size=500)
    assert abs(same) < 3 * same_std + 1e-4
    shifted, _ = kid(real, fake + 0.5, n_subsets=20, subset_size=500)
    assert shifted > 10 * max(abs(same), same_std)


def test_seeded():
    rng = np.random.default_rng(3)
    real, fake = rng.random((400, 8)), rng.random((400, 8))
    assert kid(real, fake, 10, 100, seed=5) == kid(real, fake, 10, 100, seed=5)


def test_too_few_samples_raise():
    with pytest.raises(ValueError):
        kid(np.zeros((1, 4)), np.zeros((5, 4)))


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.0, 3.0))
def test_kid_grows_with_a_mean_shift(seed, shift):
    rng = np.random.default_rng(seed)
    real, fake = rng.standard_normal((200, 4)), rng.standard_normal((200, 4))
    base, _ = kid(real, fake, 5, 200, seed)
    moved, _ = kid(real, fake + shift + 1.0, 5, 200, seed)
    assert moved > base
