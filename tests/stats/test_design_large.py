"""Issue 21 item 6: the design check at large seed counts. Above ``EXACT_MAX_RUNS`` the floors come without
the exact nulls (``seeds: 1000`` made the dry run allocate 29.8 GiB; 200-400 seeds ran for minutes), each
checked here against an independent computation where both can be computed; below it nothing changes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from ganlab.stats import exact
from ganlab.stats.design import EXACT_MAX_RUNS, approximate_floor, design, endpoint_floor, logrank_normal_floor
from ganlab.stats.plan import AnalysisPlan

SIZES = [(2, 3), (4, 11), (5, 5), (7, 30), (20, 20), (30, 30), (12, 60)]


@pytest.mark.parametrize("n1, n2", SIZES)
def test_mann_whitney_floor_in_closed_form_is_the_exact_floor(n1, n2):
    """2 / C(n1 + n2, n1) against the exact dynamic programme and scipy's exact Mann-Whitney."""
    closed = approximate_floor("mannwhitney", n1, n2)
    assert closed == pytest.approx(exact.floor("mannwhitney", n1, n2), rel=1e-9)
    scipy_exact = sps.mannwhitneyu(np.arange(n1), n1 + np.arange(n2), method="exact").pvalue
    assert closed == pytest.approx(min(1.0, scipy_exact), rel=1e-9)


@pytest.mark.parametrize("n1, n2", [(30, 30), (50, 60), (5, 200), (200, 200), (1000, 1000), (3, 40)])
def test_log_rank_normal_floor_against_lifelines(n1, n2):
    """The normal-approximation floor is the asymptotic log-rank test of lifelines on the same extreme outcomes."""
    from lifelines.statistics import logrank_test

    def p(t1, e1, t2, e2):
        return logrank_test(t1, t2, event_observed_A=e1, event_observed_B=e2).p_value

    one = p(np.arange(1.0, n1 + 1), np.ones(n1), np.full(n2, n1 + 1.0), np.zeros(n2))
    other = p(np.full(n1, n2 + 1.0), np.zeros(n1), np.arange(1.0, n2 + 1), np.ones(n2))
    assert logrank_normal_floor(n1, n2) == pytest.approx(min(one, other), rel=1e-6, abs=1e-300)


@pytest.mark.parametrize("n1, n2", [(60, 60), (20, 90), (3, 200), (2, 150), (1, 300)])
def test_large_log_rank_floor_is_the_floor_of_the_test_the_analysis_runs(n1, n2):
    """Above the limit, against ``exact.floor`` (which runs the analysis's own test on the extreme outcomes:
    enumerated for 2 vs 150 and 1 vs 300, Monte Carlo beyond) at sizes where that still runs in a second."""
    assert n1 + n2 > EXACT_MAX_RUNS
    got, run = endpoint_floor("time_to_failure", n1, n2), exact.floor("logrank", n1, n2)
    if math.comb(n1 + n2, n1) <= exact.ENUMERATE_LIMIT:
        assert got == run
    else:
        mc_error = math.sqrt(got * (1 - got) / exact.MC_RESAMPLES)
        assert abs(got - run) <= 3 * mc_error, (got, run)


def test_below_the_limit_the_floors_are_the_exact_ones():
    """The main job's design (4 vs 11 seeds, 13 variants) is unchanged: exact floors, no approximation noted."""
    plan = AnalysisPlan(primary=("failure", "time_to_failure", "modes"))
    d = design(plan, 13, 4, 11)
    for e in d.endpoints:
        assert e.floor == exact.floor(e.test, 4, 11) and not e.approximate
    assert d.endpoints[2].floor == pytest.approx(2 / math.comb(15, 4))
    assert "approximation" not in "\n".join(d.lines())
    half = EXACT_MAX_RUNS // 2
    assert endpoint_floor("time_to_failure", half, half) == exact.floor("logrank", half, half)


@pytest.mark.parametrize("seeds", [200, 400, 1000])
def test_large_designs_say_which_floor_is_approximate(seeds):
    plan = AnalysisPlan(primary=("failure", "time_to_failure", "modes"))
    d = design(plan, 1, seeds, seeds)
    by_test = {e.test: e for e in d.endpoints}
    # log-rank's and Mann-Whitney's nulls are drawn there (the analysis runs them so), Fisher's stays exact
    assert by_test["logrank"].approximate and by_test["mannwhitney"].approximate
    assert not by_test["fisher"].approximate
    assert by_test["mannwhitney"].floor == 1 / (1 + exact.MC_RESAMPLES)
    lines = d.lines()
    assert sum("approximate: " in line for line in lines) == 2
    assert all(e.reachable for e in d.endpoints) and d.seeds_needed is not None


def test_a_thousand_seed_sweep_dry_run_plans(tmp_path):
    """Before the fix: MemoryError / 29.8 GiB in the Mann-Whitney null of 1000 vs 1000 seeds."""
    from tests.badinput.helpers import cli, estimate_timings_stubbed, write

    sweep = write(tmp_path / "big.yaml", "name: big\nbase:\n  data: {dataset: gaussian-grid, resolution: 16}\n"
                  "  model: {nz: 8, width: 16}\n  train: {steps: 5, batch_size: 8, device: cpu}\nseeds: 1000\n"
                  "analysis: {primary: [failure, time_to_failure, modes]}\n")
    with estimate_timings_stubbed():
        code, out, err = cli("sweep", sweep, "--dry-run", "--out", tmp_path / "out")
    assert code == 0, err
    assert "modes: mannwhitney can reach p = 5e-05 at best (approximate: 2000 runs are above the exact limit of " \
        "100; the smallest p of its Monte Carlo null of 20,000 resamples, 5e-05 +- 5e-05)" in out
    assert "logrank can reach p = 5e-05 at best (approximate: 2000 runs are above the exact limit of 100; the " \
        "larger of the normal approximation and the smallest p of its Monte Carlo null of 20,000 resamples, " \
        "5e-05 +- 5e-05)" in out
