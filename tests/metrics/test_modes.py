"""Mode coverage and reverse KL: known values and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.metrics import mode_histogram, modes_covered, reverse_kl


def test_even_cover_of_k_uniform_modes_gives_log_ratio():
    uniform = np.full(1000, 1e-3)
    for k in (1, 10, 250, 1000):
        modes = np.repeat(np.arange(k), 7)  # every covered mode equally often
        assert modes_covered(modes, 1000) == k
        assert reverse_kl(modes, uniform) == pytest.approx(math.log(1000 / k), abs=1e-9)


def test_no_mode_samples_are_ignored():
    modes = np.array([-1, -1, 0, 1, 1, -1])
    assert mode_histogram(modes, 3).tolist() == [1, 2, 0]
    assert modes_covered(modes, 3) == 2
    assert reverse_kl(np.array([0, 1, -1, -1]), np.array([0.5, 0.5])) == pytest.approx(0.0)


def test_all_no_mode_gives_nan_kl():
    assert math.isnan(reverse_kl(np.array([-1, -1]), np.array([0.5, 0.5])))


def test_min_count():
    modes = np.array([0, 0, 0, 1, 2, 2])
    assert modes_covered(modes, 3, min_count=1) == 3
    assert modes_covered(modes, 3, min_count=2) == 2
    assert modes_covered(modes, 3, min_count=3) == 1
    with pytest.raises(ValueError):
        modes_covered(modes, 3, min_count=0)


def test_kl_against_plain_formula():
    q = np.array([0.1, 0.2, 0.3, 0.4])
    modes = np.array([0, 1, 1, 3, 3, 3, 3, 3])
    p = np.bincount(modes, minlength=4) / len(modes)
    expected = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True) if pi > 0)
    assert reverse_kl(modes, q) == pytest.approx(expected)


def test_mode_outside_data_support_is_finite_and_large():
    kl = reverse_kl(np.array([0, 1]), np.array([1.0, 0.0]))
    assert math.isfinite(kl) and kl > 5


def test_invalid_inputs():
    with pytest.raises(ValueError):
        modes_covered(np.array([3]), 3)
    with pytest.raises(ValueError):
        reverse_kl(np.array([0]), np.array([0.5, 0.6]))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 50), st.lists(st.integers(-1, 49), min_size=1, max_size=200),
       st.lists(st.floats(0.01, 1.0), min_size=50, max_size=50))
def test_properties(n_modes, raw, weights):
    modes = np.array([m if m < n_modes else m % n_modes for m in raw])
    q = np.array(weights[:n_modes])
    q /= q.sum()
    covered = modes_covered(modes, n_modes)
    assert 0 <= covered <= n_modes
    assert covered <= (modes >= 0).sum()
    kl = reverse_kl(modes, q)
    assert math.isnan(kl) if (modes < 0).all() else kl >= 0.0
