"""Confusion-corrected mode counting, against independent computations and as properties."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import poisson

from ganlab.metrics import confusion as cf
from tests.reference import multipletests


def random_channel_confusion(rng: np.random.Generator, d: int, misread: float, ambiguous: float) -> np.ndarray:
    """``(d, d + 1)`` rows: 1 - misread - ambiguous on the diagonal, misreads spread at random, ambiguous last."""
    out = np.zeros((d, d + 1))
    for i in range(d):
        spread = rng.dirichlet(np.full(d - 1, 0.3)) * misread
        out[i, [j for j in range(d) if j != i]] = spread
        out[i, i], out[i, d] = 1.0 - misread - ambiguous, ambiguous
    return out


def test_mode_confusion_is_the_product_of_channel_reads():
    conf = random_channel_confusion(np.random.default_rng(0), 3, 0.2, 0.1)
    m = cf.mode_confusion(conf, 2)
    for (a, b), (c, d) in itertools.product(itertools.product(range(3), repeat=2), repeat=2):
        assert m[3 * a + b, 3 * c + d] == pytest.approx(conf[a, c] * conf[b, d])


def test_leakage_against_a_double_loop():
    rng = np.random.default_rng(1)
    m = rng.random((6, 6)) * 0.1
    counts = rng.integers(0, 50, 6)
    expected = [sum(counts[i] * m[i, j] for i in range(6) if i != j) for j in range(6)]
    assert cf.expected_leakage(counts, m) == pytest.approx(expected)


def test_p_values_against_scipy_and_the_geometric_tail():
    counts = np.array([0, 1, 2, 5, 9, 3])
    lam = np.array([0.3, 0.0, 0.5, 0.8, 2.0, 1e-3])
    pois = cf.leakage_p_values(counts, lam, size=math.inf)
    assert pois[0] == 1.0 and pois[1] == 0.0
    assert pois[2:] == pytest.approx(1 - poisson.cdf(counts[2:] - 1, lam[2:]))
    # size 1: X is geometric on {0, 1, ...} with mean lambda, so P(X >= c) = (lambda / (1 + lambda)) ** c.
    geo = cf.leakage_p_values(counts, lam, size=1.0)
    assert geo[2:] == pytest.approx((lam[2:] / (1 + lam[2:])) ** counts[2:])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=300), st.sampled_from([0.01, 0.05, 0.2]))
def test_benjamini_hochberg_matches_statsmodels(p, alpha):
    reject, *_ = multipletests(p, alpha=alpha, method="fdr_bh")
    assert cf.benjamini_hochberg(np.array(p), alpha).tolist() == reject.tolist()


def test_without_confusion_a_hit_mode_counts():
    counts = np.array([0, 1, 7, 0, 2])
    assert cf.covered_modes(counts, None).tolist() == [False, True, True, False, True]
    assert cf.covered_modes(counts, np.eye(5)).tolist() == [False, True, True, False, True]


@pytest.mark.parametrize("n", [1, 500, 1000, 10_000, 26_000])
def test_formula_against_float64_and_simulation(n):
    assert cf.modes_expected_formula(np.full(1000, 1e-3), n) == pytest.approx(1000 * (1 - (1 - 1 / 1000) ** n))
    rng = np.random.default_rng(n)
    hits = [len(np.unique(rng.integers(0, 1000, n))) for _ in range(200)]
    formula = cf.modes_expected_formula(np.full(1000, 1e-3), n)
    assert formula == pytest.approx(np.mean(hits), abs=4 * np.std(hits) / np.sqrt(200) + 0.05)


def test_modes_expected_through_the_rule():
    probs = np.full(1000, 1e-3)
    perfect_reader = np.hstack([np.eye(10), np.zeros((10, 1))])
    for n in (500, 1000):  # no misreads: the rule is "hit at least once", the formula holds (sd ~8 modes / 2)
        formula = cf.modes_expected_formula(probs, n)
        assert cf.modes_expected(probs, n, perfect_reader, 3) == pytest.approx(formula, abs=16)
    noisy = random_channel_confusion(np.random.default_rng(2), 10, 0.02, 0.02)
    # With misreads the rule gives up some single hits at small n, never at 10 samples per mode.
    assert cf.modes_expected(probs, 1000, noisy, 3) < cf.modes_expected_formula(probs, 1000) - 16
    assert cf.modes_expected(probs, 10_000, noisy, 3) >= 990



@pytest.mark.parametrize(("k", "n"), [(1000, 10_000), (1000, 26_000), (10, 1000), (100, 5000)])
def test_kl_expected_against_the_multinomial_expansion(k, n):
    """E[KL(p_hat || q)] of n draws from q = (K - 1) / 2n + (sum 1/q_i - 1) / 12n^2 + O(n^-3) (the
    delta-method series for the multinomial); ``kl_expected`` averages 4 seeded draws, whose KL has
    sd ~ sqrt(2 (K - 1)) / 2n."""
    q = np.full(k, 1.0 / k)
    series = (k - 1) / (2 * n) + (np.sum(1 / q) - 1) / (12 * n**2)
    sd_of_mean = math.sqrt(2 * (k - 1)) / (2 * n) / 2
    assert cf.kl_expected(q, n) == pytest.approx(series, abs=4 * sd_of_mean)
    # A perfect reader (no misreads) changes nothing; misreads make even a perfect generator's
    # cleaned histogram a little less even.
    if k == 1000:
        perfect_reader = np.hstack([np.eye(10), np.zeros((10, 1))])
        assert cf.kl_expected(q, n, perfect_reader, 3) == pytest.approx(cf.kl_expected(q, n), abs=4 * sd_of_mean)


def test_cleaned_counts_take_out_the_expected_leakage():
    counts = np.array([100, 3, 0])
    confusion = np.array([[0.97, 0.02, 0.01], [0.05, 0.95, 0.0], [0.0, 0.0, 1.0]])
    # mode 1 gets 100 * 0.02 = 2 from mode 0; mode 0 gets 3 * 0.05 = 0.15; mode 2 gets 1 from mode 0
    assert cf.cleaned_counts(counts, confusion) == pytest.approx([99.85, 1.0, 0.0])
    assert cf.cleaned_counts(counts, None) == pytest.approx(counts)


def simulate_k_modes(seed: int, k: int, n: int, misread: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of ``n`` samples from ``k`` true stacked modes read through a random confusion, that
    confusion ``(10, 11)`` and the true modes."""
    rng = np.random.default_rng(seed)
    conf = random_channel_confusion(rng, 10, misread, 0.02)
    true = rng.choice(1000, k, replace=False)
    probs = np.zeros(1000)
    probs[true] = 1.0 / k
    return cf.simulate_reads(probs, conf, 3, n, rng), conf, true


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(0, 10**6), st.sampled_from([1, 3, 10, 30, 100, 300, 1000]),
       st.sampled_from([1000, 10_000]), st.floats(0.0, 0.03))
def test_never_more_modes_than_true_modes(seed, k, n, misread):
    counts, conf, true = simulate_k_modes(seed, k, n, misread)
    covered = cf.covered_modes(counts, cf.mode_confusion(conf, 3))
    # BH bounds the expected share of false modes by ALPHA, so a rare run counts one or two
    # extra (a misread into a pair whose rate is 1e-4); never more than the acceptance tolerance.
    assert covered.sum() <= k + max(2, 0.02 * k)
    assert covered.sum() <= (counts > 0).sum()  # never more than plain counting
    if n / k >= 10:  # every true mode holds ~10 samples or more: all are found
        assert covered[true].sum() >= 0.98 * k


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(0, 10**6), st.sampled_from([10, 100, 1000]), st.floats(0.001, 0.03), st.floats(1.5, 5.0))
def test_monotone_in_alpha_and_in_confusion(seed, k, misread, factor):
    counts, conf, _ = simulate_k_modes(seed, k, 2000, misread)
    m = cf.mode_confusion(conf, 3)
    strict, loose = cf.covered_modes(counts, m, 0.01), cf.covered_modes(counts, m, 0.2)
    assert (strict <= loose).all()  # a larger false discovery rate only adds modes
    worse = m * factor  # a reader that misreads `factor` times as often leaves fewer modes standing
    np.fill_diagonal(worse, np.diag(m))
    assert cf.covered_modes(counts, worse).sum() <= cf.covered_modes(counts, m).sum()


@pytest.mark.parametrize("k", [3, 30, 300])
def test_false_discovery_rate_is_controlled(k):
    """Over 100 simulated runs: mean share of false modes <= ALPHA (the BH guarantee), and in 95% of
    runs no more false modes than the acceptance tolerance max(2, 2% of k)."""
    shares, false_counts = [], []
    for seed in range(100):
        counts, conf, true = simulate_k_modes(seed, k, 10_000, 0.02)
        covered = cf.covered_modes(counts, cf.mode_confusion(conf, 3))
        false = covered.sum() - covered[true].sum()
        shares.append(false / max(covered.sum(), 1))
        false_counts.append(false)
    assert np.mean(shares) <= cf.ALPHA
    assert np.percentile(false_counts, 95) <= max(2, 0.02 * k)
