"""The gate's decision rules, as pure functions: must_be_stable, Fisher + Holm on failure rates, tolerances."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ganlab.check import CheckSettings, compare
from ganlab.check.spec import tolerance_amount
from ganlab.metrics import HIGHER_IS_BETTER


def variant(n_runs=3, events=None, metrics=None, errors=0):
    events = events or {}
    by_seed = {s: [k for k, seeds in events.items() if s in seeds] for s in range(n_runs)}
    return {"n_runs": n_runs, "seeds": list(range(n_runs)), "n_errors": errors, "n_pending": 0,
            "runs_with_event": {k: len(seeds) for k, seeds in events.items()},
            "runs_by_seed_events": by_seed, "metrics": metrics or {}}


def baseline(**variants):
    return {"variants": variants}


def test_must_be_stable_fails_on_any_event_but_allowed_kinds():
    current = {"baseline": variant(events={"oscillation": [1]})}
    (v,) = compare(current, baseline(baseline=variant()), CheckSettings(), HIGHER_IS_BETTER)
    assert not v.passed and "seed 1 shows oscillation" in v.regressions[0]
    (v,) = compare(current, baseline(baseline=variant()), CheckSettings(allow=("oscillation",)), HIGHER_IS_BETTER)
    assert v.passed


def test_failure_rate_rise_needs_statistical_support():
    settings = CheckSettings(must_be_stable=())
    few = compare({"v": variant(3, {"d_dominance": [0, 1]})}, baseline(v=variant(3)), settings, HIGHER_IS_BETTER)
    assert few[0].passed and "not significant" in few[0].notes[0] and "Fisher" in few[0].notes[0]
    many = compare({"v": variant(10, {"d_dominance": list(range(9))})}, baseline(v=variant(10)), settings,
                   HIGHER_IS_BETTER)
    assert not many[0].passed and "one-sided Fisher exact p=" in many[0].regressions[0]
    assert "9/10 runs (baseline 0/10)" in many[0].regressions[0]


def test_holm_correction_spans_all_variants():
    # 4/8 vs 0/8: one-sided Fisher p = C(8,4)/C(16,4) = 0.038, significant alone; Holm over three such
    # tests makes the smallest 3 x 0.038 = 0.115.
    settings = CheckSettings(must_be_stable=())
    one = {"a": variant(8, {"oscillation": range(4)})}
    three = {name: variant(8, {"oscillation": range(4)}) for name in "abc"}
    base = baseline(**{name: variant(8) for name in "abc"})
    assert not compare(one, base, settings, HIGHER_IS_BETTER)[0].passed
    assert all(v.passed for v in compare(three, base, settings, HIGHER_IS_BETTER))


@pytest.mark.parametrize("metric,now,before,tolerance,regressed", [
    ("modes", [700.0], [800.0], 50, True),       # higher is better, 100 worse > 50
    ("modes", [780.0], [800.0], 50, False),
    ("modes", [900.0], [800.0], 0, False),       # better is never a regression
    ("kl", [0.6], [0.5], "10%", True),           # lower is better, 0.1 worse > 10% of 0.5
    ("kl", [0.54], [0.5], "10%", False),
    ("kl", [0.1], [0.5], 0, False),
])
def test_metric_tolerances_follow_the_metric_direction(metric, now, before, tolerance, regressed):
    settings = CheckSettings(must_be_stable=(), tolerances={metric: tolerance})
    (v,) = compare({"v": variant(metrics={metric: now})}, baseline(v=variant(metrics={metric: before})), settings,
                   HIGHER_IS_BETTER)
    assert v.passed is not regressed
    if regressed:
        assert metric in v.regressions[0] and "tolerance" in v.regressions[0]


@given(metric=st.sampled_from(sorted(k for k in HIGHER_IS_BETTER if k != "fid_inception")),
       base=st.floats(0.01, 1000), change=st.floats(0, 100), tolerance=st.floats(0, 10))
def test_a_change_in_the_better_direction_never_regresses(metric, base, change, tolerance):
    better = base + change if HIGHER_IS_BETTER[metric] else base - change
    settings = CheckSettings(must_be_stable=(), tolerances={metric: tolerance})
    (v,) = compare({"v": variant(metrics={metric: [better]})}, baseline(v=variant(metrics={metric: [base]})),
                   settings, HIGHER_IS_BETTER)
    assert v.passed


def test_percent_tolerance_is_relative_to_the_baseline():
    assert tolerance_amount("10%", 200.0) == pytest.approx(20.0)
    assert tolerance_amount(3, 200.0) == 3.0


def test_errored_runs_fail_the_variant_and_new_variants_fail_closed():
    current = {"v": variant(errors=1), "new": variant()}
    verdicts = {v.variant: v for v in compare(current, baseline(v=variant()), CheckSettings(must_be_stable=()),
                                              HIGHER_IS_BETTER)}
    assert not verdicts["v"].passed and "not in the baseline" in verdicts["new"].regressions[0]


@pytest.mark.parametrize(("metrics", "tolerances", "noted"), [
    ({"manifold_share": [0.3, 0.25, 0.28]}, {}, True),  # a folder: no modes, the share ungated
    ({"manifold_share": [0.3, 0.25, 0.28]}, {"manifold_share": "50%"}, False),
    ({"manifold_share": [0.5, 0.6, 0.55], "modes": [700.0, 720.0, 731.0]}, {}, False),  # known modes
    ({}, {}, False),  # nothing evaluated: nothing to say about realism
])
def test_a_check_that_gates_no_coverage_on_unlabelled_data_says_so(metrics, tolerances, noted):
    """On data without known modes a G without batchnorm passed every event on two of three validation
    folders; only a tolerance on the realism share caught it. A check that gates neither says so, and passes."""
    from ganlab.check.compare import REALISM_UNGATED

    current = {"baseline": variant(metrics=metrics)}
    (v,) = compare(current, baseline(baseline=variant(metrics=metrics)), CheckSettings(tolerances=tolerances),
                   HIGHER_IS_BETTER)
    assert v.passed and (REALISM_UNGATED in v.notes) == noted


def test_the_note_reads_the_results_table_s_metric_columns():
    """From a results table as a sweep writes it (metric_<key> columns, null modes on a folder) to the note."""
    import pandas as pd

    from ganlab.check.baseline import summarize
    from ganlab.check.compare import realism_ungated

    folder = pd.DataFrame({"variant": ["baseline"] * 3, "seed": [0, 1, 2], "status": ["completed"] * 3,
                           "event_kinds": [""] * 3, "metric_modes": [None] * 3,
                           "metric_manifold_share": [0.24, 0.27, 0.26]})
    assert realism_ungated(summarize(folder), CheckSettings()) == ["baseline"]
    labelled = folder.assign(metric_modes=[700.0, 712.0, 731.0])
    assert realism_ungated(summarize(labelled), CheckSettings()) == []
