"""ganlab.stats.basic and .multiplicity against hand-computed values and plain numpy reference implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import stats as sps

from ganlab.stats import basic as stats
from ganlab.stats.multiplicity import holm

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
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    out = holm([math.nan, 0.01, 0.02])
    assert math.isnan(out[0]) and out[1:] == pytest.approx([0.02, 0.02])
    assert holm([0.9, 0.8]) == pytest.approx([1.0, 1.0])
    assert len(holm([])) == 0


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_holm_is_monotone_bounded_and_at_least_raw(p):
    q = holm(p)
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


@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=20))
def test_t_interval_matches_scipy(values):
    mean, lo, hi = stats.t_mean_ci(values)
    a = np.asarray(values)
    if np.ptp(a) == 0:
        assert lo == hi == mean
        return
    assume(np.ptp(a) > 1e-6)  # scipy's t.interval returns NaN for a scale near the float floor
    ref = sps.t.interval(0.95, len(a) - 1, loc=a.mean(), scale=sps.sem(a))
    assert (lo, hi) == pytest.approx(ref, rel=1e-9, abs=1e-9)


def test_t_interval_degenerate_inputs():
    assert all(math.isnan(x) for x in stats.t_mean_ci([]))
    mean, lo, hi = stats.t_mean_ci([2.0, math.nan])
    assert mean == 2.0 and math.isnan(lo) and math.isnan(hi)


@pytest.mark.parametrize("table", [(3, 3, 0, 3), (8, 10, 1, 10), (2, 9, 6, 11), (4, 8, 0, 8)])
def test_one_sided_fisher_is_the_upper_hypergeometric_tail(table):
    k1, n1, k2, n2 = table
    ref = sps.hypergeom(n1 + n2, k1 + k2, n1).sf(k1 - 1)  # P(arm 1 gets k1 or more of the failures)
    assert stats.fisher_p(k1, n1, k2, n2, alternative="greater") == pytest.approx(ref, rel=1e-9)


def test_the_statistics_package_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, ganlab.stats.verdict, ganlab.stats.design, ganlab.stats.sequential; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
