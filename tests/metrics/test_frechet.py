"""Fréchet distance against a plain numpy/scipy reference, closed forms and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ganlab.metrics import frechet_distance, frechet_from_stats


def reference_fd(a: np.ndarray, b: np.ndarray) -> float:
    """FD via the symmetric form tr((S1^1/2 S2 S1^1/2)^1/2), with eigh (an independent route)."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(root1 @ s2 @ root1)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(inner, 0, None)).sum())


@pytest.mark.parametrize("dim", [1, 2, 16, 64])
def test_matches_reference(dim):
    rng = np.random.default_rng(dim)
    a = rng.standard_normal((500, dim)) @ rng.standard_normal((dim, dim))
    b = rng.standard_normal((400, dim)) * 1.5 + 0.3
    assert frechet_distance(a, b) == pytest.approx(reference_fd(a, b), rel=1e-6, abs=1e-9)


def test_identical_sets_give_zero():
    x = np.random.default_rng(0).standard_normal((300, 32))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_identical_singular_sets_give_zero():
    # 20 samples in 64-D: rank-deficient covariances take the ridge path, which must cancel.
    x = np.random.default_rng(1).standard_normal((20, 64))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)


def test_two_gaussians_closed_form():
    # Diagonal covariances commute: FD = |mu1 - mu2|^2 + sum (sqrt(a) - sqrt(b))^2.
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    assert frechet_from_stats(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-9)
    # Samples from those Gaussians approach the closed form.
    rng = np.random.default_rng(2)
    x = mu1 + rng.standard_normal((200_000, 3)) * np.sqrt(a)
    y = mu2 + rng.standard_normal((200_000, 3)) * np.sqrt(b)
    assert frechet_distance(x, y) == pytest.approx(expected, rel=0.01)


def test_one_dimensional_closed_form():
    assert frechet_from_stats(np.array([0.0]), np.array([[4.0]]), np.array([3.0]), np.array([[1.0]])) == (
        pytest.approx(9.0 + 1.0)
    )


def test_dead_features_are_handled():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((200, 8)), rng.standard_normal((200, 8))
    a[:, 0] = b[:, 0] = 0.0  # a ReLU unit that never fires
    assert np.isfinite(frechet_distance(a, b))
    assert frechet_distance(a, b) == pytest.approx(reference_fd(a, b), rel=1e-4, abs=1e-5)


def test_invalid_covariance_raises():
    with pytest.raises(ValueError, match="imaginary"):
        frechet_from_stats(np.zeros(2), np.diag([1.0, 1.0]), np.zeros(2), np.diag([-1.0, 1.0]))


def test_shape_mismatch_raises():
    with pytest.raises(ValueError):
        frechet_distance(np.zeros((10, 3)), np.zeros((10, 4)))


feature_sets = arrays(np.float64, st.tuples(st.integers(5, 40), st.integers(1, 6)),
                      elements=st.floats(-10, 10, allow_nan=False, width=32))


@settings(max_examples=40, deadline=None)
@given(feature_sets, feature_sets)
@example(
    a=np.array([[0., 0., 1.],
           [1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 0.]]),
    b=np.array([[9.99999972e-10],
           [0.00000000e+00],
           [9.99999972e-10],
           [9.99999972e-10],
           [9.99999972e-10]]),
).via("discovered failure: a feature with variance ~1e-19 took the ridge in one order only")
def test_symmetric_and_non_negative(a, b):
    if a.shape[1] != b.shape[1]:
        b = np.resize(b, (len(b), a.shape[1]))
    ab, ba = frechet_distance(a, b), frechet_distance(b, a)
    assert ab >= 0.0 and ba >= 0.0
    assert ab == pytest.approx(ba, rel=1e-4, abs=1e-4)
