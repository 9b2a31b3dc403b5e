"""Effect sizes and intervals against statsmodels, lifelines, test inversion and coverage by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time
from statsmodels.stats.proportion import confint_proportions_2indep

from ganlab.stats import effects, exact


@given(st.integers(1, 30).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.integers(1, 30).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_newcombe_matches_statsmodels(a, b):
    (k1, n1), (k2, n2) = a, b
    e = effects.rate_difference(k1, n1, k2, n2)
    ref = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
    assert e.estimate == pytest.approx(k1 / n1 - k2 / n2)
    assert (e.lo, e.hi) == pytest.approx(ref, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=4, max_size=7), st.lists(st.integers(0, 40), min_size=4, max_size=7))
def test_hodges_lehmann_interval_is_the_inverted_exact_test(x, y):
    """A shift inside the interval is not rejected by the exact rank test at 5%; one clearly outside is."""
    e = effects.hodges_lehmann(x, y)
    assert e.estimate == pytest.approx(np.median(np.subtract.outer(x, y)))
    if not math.isfinite(e.lo):
        return
    # Break ties: the interval assumes a continuous shift.
    x, y = np.asarray(x, float) + 0.001 * np.arange(len(x)), np.asarray(y, float) + 0.000137 * np.arange(len(y))
    e = effects.hodges_lehmann(x, y)
    diffs = np.unique(np.subtract.outer(x, y))
    for delta in diffs[:-1] + np.diff(diffs) / 2:  # between the kinks of U(delta)
        p = exact.mannwhitney(x - delta, y)[0].p
        inside = e.lo < delta < e.hi
        assert (p > 0.05) == inside, (delta, p, e)


def test_hodges_lehmann_interval_covers_by_simulation():
    rng = np.random.default_rng(3)
    cover = []
    for _ in range(1500):
        e = effects.hodges_lehmann(rng.normal(2, 1, 5), rng.normal(0, 1, 5))
        cover.append(e.lo <= 2 <= e.hi)
    assert np.mean(cover) >= 0.95 - 3 * math.sqrt(0.05 * 0.95 / 1500)


def test_ratio_is_the_shift_on_the_log_scale():
    x, y = [299.0, 290, 300, 310, 305], [176.0, 150, 190, 200, 170]
    r, s = effects.ratio(x, y), effects.hodges_lehmann(np.log1p(x), np.log1p(y))
    assert (math.log(r.estimate), math.log(r.lo), math.log(r.hi)) == pytest.approx((s.estimate, s.lo, s.hi))


@given(st.lists(st.tuples(st.integers(1, 50), st.booleans()), min_size=1, max_size=12), st.integers(5, 60))
@settings(deadline=None, max_examples=40)
def test_rmst_matches_lifelines(data, tau):
    t = np.array([d[0] for d in data], float)
    e = np.array([d[1] for d in data])
    area, _ = effects.rmst(t, e, tau)
    ref = restricted_mean_survival_time(KaplanMeierFitter().fit(t, e), t=tau)
    assert area == pytest.approx(ref, rel=1e-6, abs=1e-6)


def test_rmst_variance_without_censoring_is_the_plug_in_variance_of_the_mean():
    x = np.array([3.0, 5, 6, 8, 9, 12])
    _, var = effects.rmst(x, np.ones(6, bool), 20.0)
    assert var == pytest.approx(np.var(x) / len(x))


def test_prob_improvement_interval_covers_by_simulation():
    """Newcombe's method 5 at 5 vs 5 (U/(n1 n2) with ties counting 1/2): coverage near 95% for a shift."""
    rng = np.random.default_rng(7)
    true = 0.7602499389065233  # P(N(1, 1) > N(0, 1)) = Phi(1 / sqrt(2))
    cover = []
    for _ in range(2000):
        x, y = rng.normal(1, 1, 5), rng.normal(0, 1, 5)
        _, u = exact.mannwhitney(x, y)
        e = effects.prob_improvement(u, 5, 5)
        cover.append(e.lo <= true <= e.hi)
    assert 0.93 <= np.mean(cover) <= 0.995


def test_prob_improvement_stays_in_bounds_at_the_extremes():
    top, bottom = effects.prob_improvement(25, 5, 5), effects.prob_improvement(0, 5, 5)
    assert top.estimate == 1 and top.hi == 1 and 0.5 < top.lo < 1
    assert bottom.estimate == 0 and bottom.lo == 0 and 0 < bottom.hi < 0.5
