"""ganlab.report.stats against hand-computed values and plain numpy reference implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.stats import chi2

from ganlab.report import stats

Z95 = 1.959963984540054


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / (1 + Z95**2 / n)
    return centre - half, centre + half


def fisher_by_enumeration(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher: sum of hypergeometric table probabilities no larger than the observed one."""
    k, n = k1 + k2, n1 + n2

    def prob(a: int) -> float:
        return math.comb(n1, a) * math.comb(n2, k - a) / math.comb(n, k)

    observed = prob(k1)
    return min(1.0, sum(prob(a) for a in range(max(0, k - n2), min(k, n1) + 1) if prob(a) <= observed * (1 + 1e-7)))


def km_by_hand(times: np.ndarray, observed: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Plain Kaplan-Meier: S(t) = prod over event times u <= t of (1 - deaths(u) / at_risk(u))."""
    out = []
    for t in at:
        s = 1.0
        for u in np.unique(times[observed & (times <= t)]):
            s *= 1 - np.sum(observed & (times == u)) / np.sum(times >= u)
        out.append(s)
    return np.array(out)


def logrank_by_hand(t1, e1, t2, e2) -> tuple[float, float]:
    t = np.r_[t1, t2]
    e = np.r_[e1, e2].astype(bool)
    arm1 = np.r_[np.ones(len(t1), bool), np.zeros(len(t2), bool)]
    o1 = exp1 = var = 0.0
    for u in np.unique(t[e]):
        at_risk = t >= u
        n, n1 = at_risk.sum(), (at_risk & arm1).sum()
        d = (e & (t == u)).sum()
        o1 += (e & (t == u) & arm1).sum()
        exp1 += d * n1 / n
        if n > 1:
            var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    z = (o1 - exp1) / math.sqrt(var)
    return float(chi2.sf(z**2, 1)), z


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (1, 1), (17, 40)])
def test_wilson_matches_the_formula(k, n):
    assert stats.proportion_ci(k, n) == pytest.approx(wilson_by_hand(k, n), abs=1e-9)


def test_clopper_pearson_matches_r_binom_test():
    # R: binom.test(3, 10)$conf.int -> 0.06673951 0.65245285
    assert stats.proportion_ci(3, 10, method="exact") == pytest.approx((0.06673951, 0.65245285), abs=1e-7)


def test_empty_arm_gives_nan_interval():
    assert all(math.isnan(x) for x in stats.proportion_ci(0, 0))


@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_contains_the_estimate(kn):
    k, n = kn
    lo, hi = stats.proportion_ci(k, n)
    assert 0 <= lo <= k / n + 1e-12 and k / n - 1e-12 <= hi <= 1


@pytest.mark.parametrize("table", [(3, 3, 0, 3), (8, 10, 1, 10), (0, 5, 0, 7), (2, 9, 6, 11), (5, 5, 5, 5)])
def test_fisher_matches_enumeration(table):
    assert stats.fisher_p(*table) == pytest.approx(fisher_by_enumeration(*table), rel=1e-9)


def test_fisher_hand_value():
    # [[3, 0], [0, 3]]: the observed table and its mirror each have probability 1/C(6, 3) = 1/20.
    assert stats.fisher_p(3, 3, 0, 3) == pytest.approx(0.1)


def test_holm_hand_example():
    # sorted 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> running max 0.06
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    out = stats.holm([math.nan, 0.01, 0.02])
    assert math.isnan(out[0]) and out[1:] == pytest.approx([0.02, 0.02])
    assert stats.holm([0.9, 0.8]) == pytest.approx([1.0, 1.0])
    assert len(stats.holm([])) == 0


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_holm_is_monotone_bounded_and_at_least_raw(p):
    q = stats.holm(p)
    p = np.asarray(p)
    assert np.all(q >= p - 1e-15) and np.all(q <= 1)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(q[order]) >= -1e-15)
    assert q.min() == pytest.approx(min(1.0, len(p) * p.min()))


def test_km_hand_example_and_median():
    t, s = stats.km_curve([1, 2, 3, 4], [True, True, True, True])
    assert t.tolist() == [1, 2, 3, 4] and s == pytest.approx([0.75, 0.5, 0.25, 0.0])
    assert stats.km_median([1, 2, 3, 4], [True] * 4) == 2
    assert math.isnan(stats.km_median([5, 10, 10, 10], [True, False, False, False]))  # "not reached"


@given(st.lists(st.tuples(st.integers(1, 50), st.booleans()), min_size=1, max_size=25))
def test_km_matches_plain_numpy(data):
    times = np.array([t for t, _ in data], float)
    observed = np.array([e for _, e in data])
    q, s = stats.km_curve(times, observed)
    grid = np.unique(times)
    ours = np.array([s[q <= g][-1] if np.any(q <= g) else 1.0 for g in grid])
    assert ours == pytest.approx(km_by_hand(times, observed, grid), abs=1e-12)


def test_logrank_matches_hand_computation_and_sign():
    t1, e1 = [2, 3, 3, 5, 8], [True, True, False, True, True]
    t2, e2 = [6, 9, 10, 12, 12], [True, False, True, True, False]
    p, z = stats.logrank(t1, e1, t2, e2)
    p_ref, z_ref = logrank_by_hand(np.array(t1, float), np.array(e1), np.array(t2, float), np.array(e2))
    assert p == pytest.approx(p_ref, rel=1e-9) and z == pytest.approx(z_ref, rel=1e-9)
    assert z > 0  # arm 1 fails sooner
    assert math.isnan(stats.logrank([5, 5], [False, False], [5, 5], [False, False])[0])


@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=20))
def test_bootstrap_interval_contains_the_mean(values):
    mean, lo, hi = stats.bootstrap_mean_ci(values, n_resamples=300)
    assert mean == pytest.approx(np.mean(values))
    assert lo - 1e-6 * (1 + abs(mean)) <= mean <= hi + 1e-6 * (1 + abs(mean))


def test_bootstrap_degenerate_inputs():
    assert all(math.isnan(x) for x in stats.bootstrap_mean_ci([]))
    mean, lo, hi = stats.bootstrap_mean_ci([2.0, math.nan])
    assert mean == 2.0 and math.isnan(lo) and math.isnan(hi)
    assert stats.bootstrap_mean_ci([3.0, 3.0, 3.0]) == (3.0, 3.0, 3.0)


def test_mannwhitney_exact_small_sample():
    assert stats.mannwhitney_p([1, 2, 3], [4, 5, 6]) == pytest.approx(0.1)  # 2 / C(6, 3)
    assert stats.mannwhitney_p([1, 1], [1, 1]) == 1.0
    assert math.isnan(stats.mannwhitney_p([], [1.0]))


@pytest.mark.parametrize(("n1", "n2", "m", "enough"), [
    (2, 2, 1, False), (3, 3, 1, False), (4, 4, 1, True), (4, 4, 2, True), (4, 4, 4, False), (2, 100, 1, False),
    (5, 5, 5, True),
])
def test_enough_evidence(n1, n2, m, enough):
    assert stats.enough_evidence(n1, n2, m) is enough


@given(st.integers(1, 6), st.integers(1, 6))
def test_smallest_p_bounds_the_real_tests(n1, n2):
    """No Fisher or Mann-Whitney result for these arm sizes can go below smallest_p."""
    assume(n1 + n2 > 2)
    floor = stats.smallest_p(n1, n2)
    assert stats.fisher_p(n1, n1, 0, n2) >= floor - 1e-12
    assert stats.mannwhitney_p(list(range(n1)), list(range(100, 100 + n2))) >= floor - 1e-12
