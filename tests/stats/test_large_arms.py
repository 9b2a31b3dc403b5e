"""Comparisons past ``EXACT_MAX_RUNS`` runs (a sweep of hundreds of seeds): the exact tables grow as the cube
(Mann-Whitney's null) and fourth power (the Hodges-Lehmann interval's U table) of the runs, 29.8 GiB at
1000 vs 1000. There Mann-Whitney's null is drawn by Monte Carlo with its error, the HL interval takes U's
normal approximation, and the swap searches stay inside their memory bound. Each is checked against an
independent computation; below the limit nothing changes."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from ganlab.stats import basic, effects, exact, fragility
from ganlab.stats.endpoints import Arm, compare_endpoint


@pytest.mark.parametrize("n1, n2, shift", [(60, 70, 0.0), (60, 70, 0.35), (80, 80, 0.6), (150, 40, 0.3)])
def test_drawn_mann_whitney_p_agrees_with_scipys_exact_p(n1, n2, shift):
    rng = np.random.default_rng(n1 * 1000 + n2)
    x, y = rng.normal(shift, 1, n1), rng.normal(0, 1, n2)
    test, u = exact.mannwhitney(x, y)
    ref = sps.mannwhitneyu(x, y, method="exact")
    assert not test.exact and test.mc_error > 0
    assert u == ref.statistic
    assert abs(test.p - ref.pvalue) <= 4 * test.mc_error + 1 / (1 + exact.MC_RESAMPLES), (test.p, ref.pvalue)
    assert test.mc_error == pytest.approx(math.sqrt(test.p * (1 - test.p) / exact.MC_RESAMPLES))


def test_drawn_mann_whitney_p_with_ties_agrees_with_scipys_tie_corrected_p():
    """Ties (counts of modes often tie): scipy's normal approximation with the tie-corrected variance is
    accurate at 90 vs 90; the drawn null is over the observed mid-ranks."""
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 8, 90).astype(float), rng.integers(1, 9, 90).astype(float)
    test, _ = exact.mannwhitney(x, y)
    ref = sps.mannwhitneyu(x, y, method="asymptotic", use_continuity=False).pvalue
    assert abs(test.p - ref) <= 4 * test.mc_error + 0.003, (test.p, ref)


def test_below_the_limit_or_with_few_splits_the_null_is_counted():
    rng = np.random.default_rng(0)
    for x, y in ((rng.normal(size=50), rng.normal(size=50)), (rng.normal(size=1), rng.normal(size=150))):
        test, _ = exact.mannwhitney(x, y)
        assert test.exact and test.mc_error == 0
        assert test.p == pytest.approx(sps.mannwhitneyu(x, y, method="exact").pvalue, rel=1e-9)


@pytest.mark.parametrize("m, n", [(30, 40), (50, 50), (45, 55), (10, 90), (33, 34)])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_normal_hodges_lehmann_rank_is_the_exact_one_or_beside_it(m, n, level):
    exact_k = int(np.sum(np.cumsum(exact.u_null_pmf(m, n)) <= (1 - level) / 2 + 1e-12))
    assert abs(effects.hl_rank_normal(m, n, level) - exact_k) <= 1


def test_large_hodges_lehmann_interval_covers_the_true_shift():
    """60 vs 60 (normal path): coverage of the 95% interval over 600 simulated comparisons."""
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(600):
        e = effects.hodges_lehmann(rng.normal(0.5, 1, 60), rng.normal(0, 1, 60))
        covered += e.lo <= 0.5 <= e.hi
    assert 0.93 <= covered / 600 <= 0.975, covered / 600


def test_swap_fragility_of_large_arms_is_the_steps_of_u_to_the_threshold():
    """Without ties every neighbour swap moves U by one, so the fragility is the fewest unit steps of U
    toward its centre after which the (drawn) p is no longer below alpha: counted here on U directly."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(0.45, 1, 60), rng.normal(0, 1, 60)
    test, u = exact.mannwhitney(x, y)
    assert test.p < 0.05 and not test.exact

    def significant(p: float) -> bool:
        return p < 0.05

    null = exact.rank_null(tuple(range(2, 2 * 120 + 1, 2)), 60)  # doubled ranks 2, 4, ..., 240
    doubled_sum = int(2 * (u + 60 * 61 / 2))
    steps = next(k for k in range(1, 2000) if not significant(null.p(doubled_sum - 2 * k)[0]))
    assert fragility.rank_swap_fragility(x, y, significant) == steps


def test_a_thousand_seeds_per_arm_compare_in_bounded_memory():
    """Before: 29.8 GiB for Mann-Whitney's table at 1000 vs 1000. Now: every endpoint, its fragility and its
    distance to a decision, under 1 GiB of Python/numpy allocations."""
    rng = np.random.default_rng(1)

    def arm(rate: float, mean: float) -> Arm:
        return Arm(rng.random(1000) < rate, rng.integers(1, 500, 1000).astype(float), 500.0,
                   {"modes": rng.normal(mean, 10, 1000)})

    v, b = arm(0.3, 100), arm(0.2, 101.5)
    tracemalloc.start()
    try:
        results = [compare_endpoint(e, v, b, 0.05, 0.1, True if e == "modes" else None)
                   for e in ("failure", "time_to_failure", "modes")]
        for r in results:
            if r.fragility_of is not None:
                r.fragility_of(lambda p: p < 0.05), r.to_decide_of(lambda p: p < 0.05)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**30, peak
    modes = results[2]
    assert modes.mc_error > 0 and modes.p < 0.05 and modes.direction == "worse"
    ref = sps.mannwhitneyu(v.metrics["modes"], b.metrics["modes"], method="asymptotic").pvalue
    assert abs(modes.p - ref) <= 4 * modes.mc_error + 1 / (1 + exact.MC_RESAMPLES)


finite_values = st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=2, max_size=15)


@settings(max_examples=200, deadline=None)
@given(finite_values, st.sampled_from([(0.0, math.inf), (0.0, 1.0), (-math.inf, math.inf), (-5.0, 5.0)]))
def test_cut_t_interval_is_scipys_interval_intersected_with_the_range(values, bounds):
    a = np.asarray(values)
    mean, lo, hi = basic.t_mean_ci(a, bounds=bounds)
    assert lo <= mean <= hi
    if np.ptp(a) == 0:
        assert lo == hi == mean == a[0]
        return
    if np.ptp(a) < 1e-6:
        return  # scipy's t.interval is NaN for a scale near the float floor
    ref_lo, ref_hi = sps.t.interval(0.95, len(a) - 1, loc=a.mean(), scale=sps.sem(a))
    assert lo == pytest.approx(max(ref_lo, min(bounds[0], mean)), rel=1e-9, abs=1e-9)
    assert hi == pytest.approx(min(ref_hi, max(bounds[1], mean)), rel=1e-9, abs=1e-9)


def test_drawn_splits_in_blocks_are_the_splits_drawn_at_once(monkeypatch):
    """A drawn null is drawn in blocks of rows (bounded memory); the blocks continue one generator, so the
    splits, and every Monte Carlo p a report prints, are the same whatever the block size."""
    values = np.arange(37.0)
    once = exact._drawn_sums(values, 5)
    monkeypatch.setattr(exact, "_DRAW_BLOCK", 3 * len(values))  # blocks of 3 rows, a last block of 2
    assert np.array_equal(exact._drawn_sums(values, 5), once) and len(once) == exact.MC_RESAMPLES
    rng = np.random.default_rng(20240601)
    direct = np.argsort(rng.random((exact.MC_RESAMPLES, len(values))), axis=1)[:, :5]
    assert np.array_equal(values[direct].sum(axis=1), once)
