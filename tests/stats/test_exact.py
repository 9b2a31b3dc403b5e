"""Exact permutation tests against enumeration written from the definition, scipy and lifelines."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines.statistics import logrank_test
from scipy import stats as sps

from ganlab.stats import exact


def u_stat(x, y) -> float:
    return sum((a > b) + 0.5 * (a == b) for a in x for b in y)


def mw_by_enumeration(x, y) -> float:
    """Two-sided: share of all relabelings whose U is at least as far from n1 n2 / 2 as the observed U."""
    pooled, n1 = list(x) + list(y), len(x)
    centre, obs = n1 * len(y) / 2, abs(u_stat(x, y) - n1 * len(y) / 2)
    splits = list(itertools.combinations(range(len(pooled)), n1))
    hits = 0
    for idx in splits:
        a = [pooled[i] for i in idx]
        b = [pooled[i] for i in range(len(pooled)) if i not in idx]
        hits += abs(u_stat(a, b) - centre) >= obs - 1e-9
    return hits / len(splits)


samples = st.lists(st.integers(0, 6), min_size=1, max_size=6)  # small integers: plenty of ties


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_mannwhitney_matches_enumeration_with_ties(x, y):
    res, u = exact.mannwhitney(x, y)
    assert u == pytest.approx(u_stat(x, y))
    assert res.exact and res.p == pytest.approx(mw_by_enumeration(x, y), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=2, max_size=6), st.lists(st.floats(0, 100), min_size=2, max_size=6))
def test_mannwhitney_matches_scipy_permutation_test(x, y):
    def statistic(a, b):  # |U - n1 n2 / 2|: scipy's "two-sided" would double the smaller tail instead
        return abs(sps.mannwhitneyu(a, b, method="asymptotic").statistic - len(a) * len(b) / 2)

    ref = sps.permutation_test((x, y), statistic, permutation_type="independent", n_resamples=10**6,
                               alternative="greater").pvalue
    assert exact.mannwhitney(x, y)[0].p == pytest.approx(ref, abs=1e-9)


def test_tied_perfect_split_is_not_below_the_exact_floor():
    # scipy's `auto` normal approximation gives 0.0040 here; the exact floor is 2/252.
    assert exact.mannwhitney([1, 1, 1, 2, 3], [4, 5, 6, 6, 6])[0].p == pytest.approx(2 / 252)


@pytest.mark.parametrize(("n1", "n2"), [(3, 3), (5, 5), (5, 10), (4, 7)])
def test_two_sided_floors(n1, n2):
    assert exact.floor("mannwhitney", n1, n2) == pytest.approx(2 / math.comb(n1 + n2, n1))
    fisher = 2 / math.comb(n1 + n2, n1) if n1 == n2 else 1 / math.comb(n1 + n2, n1)
    assert exact.floor("fisher", n1, n2) == pytest.approx(fisher)
    assert exact.floor("logrank", n1, n2) >= 1 / math.comb(n1 + n2, n1) - 1e-12  # one split at least


def o_minus_e(t, e, arm1) -> tuple[float, float]:
    """Log-rank O1 - E1 and its hypergeometric variance, from the definition."""
    o1 = ex = var = 0.0
    for u in np.unique(t[e]):
        risk = t >= u
        n, n1, d = risk.sum(), (risk & arm1).sum(), (e & (t == u)).sum()
        o1 += (e & (t == u) & arm1).sum()
        ex += d * n1 / n
        if n > 1:
            var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    return o1 - ex, var


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 8), st.booleans()), min_size=2, max_size=9), st.integers(1, 8))
def test_logrank_permutation_matches_enumeration_and_lifelines(data, n1):
    n1 = min(n1, len(data) - 1)
    t = np.array([d[0] for d in data], float)
    e = np.array([d[1] for d in data])
    if not e.any():
        assert math.isnan(exact.logrank(t[:n1], e[:n1], t[n1:], e[n1:]).p)
        return
    res = exact.logrank(t[:n1], e[:n1], t[n1:], e[n1:])
    arm = np.arange(len(t)) < n1
    stat, var = o_minus_e(t, e, arm)
    assert res.statistic == pytest.approx(stat, abs=1e-9)
    if var > 0:  # the score sum is lifelines' statistic before standardising
        ref = logrank_test(t[:n1], t[n1:], e[:n1], e[n1:]).test_statistic
        assert stat**2 / var == pytest.approx(ref, rel=1e-7)
    hits = total = 0
    for idx in itertools.combinations(range(len(t)), n1):
        mask = np.isin(np.arange(len(t)), idx)
        hits += abs(o_minus_e(t, e, mask)[0]) >= abs(stat) - 1e-9
        total += 1
    assert res.p == pytest.approx(hits / total, abs=1e-12)


@pytest.mark.parametrize("t1,e1,t2,e2", [
    # 5 early failures against 20 runs censored at the end: the most extreme of C(25, 5) splits. Its
    # Nelson-Aalen scores (1 - sum 1/k) rounded apart from the null's, and p came out 0.
    ([1, 1, 2, 2, 3], [True] * 5, [100] * 20, [False] * 20),
    ([100] * 5, [False] * 5, list(range(1, 21)), [True] * 20),
])
def test_logrank_at_the_most_extreme_split_is_its_probability_not_zero(t1, e1, t2, e2):
    res = exact.logrank(np.array(t1, float), np.array(e1), np.array(t2, float), np.array(e2))
    assert res.exact and res.p == pytest.approx(1 / math.comb(25, 5), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.booleans()), min_size=10, max_size=25), st.data())
def test_an_exact_logrank_p_is_never_below_one_split(data, draw):
    n1 = draw.draw(st.integers(1, min(5, len(data) - 1)))
    t = np.array([d[0] for d in data], float)
    e = np.array([d[1] for d in data])
    res = exact.logrank(t[:n1], e[:n1], t[n1:], e[n1:])
    if e.any():
        assert res.exact and 1 / math.comb(len(t), n1) - 1e-15 <= res.p <= 1


def test_logrank_extreme_layout_sits_at_the_floor():
    # Asymptotic log-rank gives ~0.002 here; permuting labels cannot go below 2/252.
    res = exact.logrank([1, 2, 3, 4, 5], [True] * 5, [9] * 5, [False] * 5)
    assert res.p == pytest.approx(2 / 252) and res.statistic > 0


def test_large_arms_stay_exact_for_mann_whitney_and_use_monte_carlo_for_log_rank():
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 1, 12), rng.normal(0.5, 1, 12)  # C(24, 12) = 2.7e6 splits
    res, _ = exact.mannwhitney(x, y)
    assert res.exact and res.p == pytest.approx(sps.mannwhitneyu(x, y, method="exact").pvalue, rel=1e-9)
    t = np.r_[rng.integers(1, 50, 12), rng.integers(20, 80, 12)].astype(float)
    e = rng.random(24) < 0.7
    lr = exact.logrank(t[:12], e[:12], t[12:], e[12:])
    stat, var = o_minus_e(t, e, np.arange(24) < 12)
    z = stat / math.sqrt(var)
    assert not lr.exact and 0 < lr.mc_error < 0.01
    assert abs(lr.p - 2 * sps.norm.sf(abs(z))) < 0.05  # 12 vs 12: the asymptotic test is close by now


@pytest.mark.parametrize(("m", "n"), [(1, 1), (3, 4), (5, 5), (2, 7)])
def test_u_null_pmf_matches_enumeration(m, n):
    counts = np.zeros(m * n + 1)
    for idx in itertools.combinations(range(m + n), m):
        ranks = np.array(idx) + 1
        counts[int(ranks.sum() - m * (m + 1) / 2)] += 1
    assert exact.u_null_pmf(m, n) == pytest.approx(counts / counts.sum())


def test_logrank_counts_every_split_tied_with_the_observed_one():
    """Scores in ninths, rounded to 9 decimals: 5 of the 126 splits of 4 from 9 tie the observed |O - E|
    exactly, and two of them summed their rounding errors past the old tolerance (p 97/126, not 99/126)."""
    t = np.array([1, 1, 1, 3, 3, 2, 2, 2, 2], float)
    e = np.array([False, True, False, False, True, False, False, True, True])
    arm = np.arange(9) < 4
    stat = o_minus_e(t, e, arm)[0]
    hits = sum(abs(o_minus_e(t, e, np.isin(np.arange(9), idx))[0]) >= abs(stat) - 1e-9
               for idx in itertools.combinations(range(9), 4))
    assert hits == 99
    assert exact.logrank(t[:4], e[:4], t[4:], e[4:]).p == pytest.approx(99 / 126, abs=1e-12)
