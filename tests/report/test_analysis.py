"""Verdicts: too few seeds is never a difference, a clear difference is found, Holm and directions hold."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ganlab.report.analysis import (
    BASELINE,
    BETTER,
    EQUIVALENT,
    INCONCLUSIVE,
    NO_BASELINE,
    WORSE,
    analyze,
    directions,
)
from ganlab.report.load import load_sweep
from ganlab.report.summary import compute_time, csv_safe

TWO = {"baseline": {}, "no_batchnorm": {"model.batchnorm": "none"}}


@pytest.mark.parametrize("seeds", [2, 3, 4])
def test_few_seeds_is_underpowered_even_when_every_run_differs(new_sweep, seeds):
    sweep = load_sweep(new_sweep(variants=TWO, seeds=seeds, fail={"baseline": 0.0, "no_batchnorm": 1.0}))
    overview = analyze(sweep, "baseline")
    row = overview.row("no_batchnorm")
    assert row.rates["any"].k == seeds and overview.row("baseline").rates["any"].k == 0
    assert (row.verdict, row.reason) == (INCONCLUSIVE, "underpowered")
    assert any("underpowered" in r and "Fisher exact" in r for r in row.reasons)
    assert overview.design is not None and not overview.design.can_decide


def test_many_seeds_find_a_clear_difference(new_sweep):
    sweep = load_sweep(new_sweep(variants=TWO, seeds=12, fail={"baseline": 0.0, "no_batchnorm": 1.0}))
    overview = analyze(sweep, "baseline")
    row = overview.row("no_batchnorm")
    assert overview.row("baseline").verdict == BASELINE
    assert row.verdict == WORSE
    assert any(r.startswith("failure rate: rate difference +100 points") and "12/12 vs 0/12" in r
               and "Fisher exact" in r for r in row.reasons)
    assert np.isfinite(row.median_fail) and np.isnan(overview.row("baseline").median_fail)


def test_a_more_stable_variant_is_better(new_sweep):
    variants = {"baseline": {}, "lower_lr": {"train.lr_d": 1e-4}}
    sweep = load_sweep(new_sweep(variants=variants, seeds=12, fail={"baseline": 1.0, "lower_lr": 0.0}))
    assert analyze(sweep, "baseline").row("lower_lr").verdict == BETTER


def test_no_difference_is_never_better_or_worse(new_sweep):
    sweep = load_sweep(new_sweep(variants=TWO, seeds=8, fail={"baseline": 0.0, "no_batchnorm": 0.0}, seed=1))
    overview = analyze(sweep, "baseline")
    assert overview.row("no_batchnorm").verdict in (INCONCLUSIVE, EQUIVALENT)
    assert all(t.status not in (BETTER, WORSE) for t in overview.tests)


def test_equivalent_when_the_interval_sits_inside_the_margin(new_sweep):
    sweep = load_sweep(new_sweep(variants=TWO, seeds=40, fail={"baseline": 0.0, "no_batchnorm": 0.0}, seed=2))
    row = analyze(sweep, "baseline").row("no_batchnorm")
    failure = next(t for t in row.primary if t.endpoint == "failure")
    assert failure.status == EQUIVALENT  # 0/40 vs 0/40: the 90% Newcombe interval is inside +-20 points
    assert -0.2 < failure.equivalence.lo and failure.equivalence.hi < 0.2


def test_correction_spans_variants_and_primary_endpoints(new_sweep):
    variants = {"baseline": {}, "a": {"model.batchnorm": "none"}, "b": {"model.d_activation": "relu"}}
    sweep = load_sweep(new_sweep(variants=variants, seeds=8, fail={"baseline": 0.1, "a": 0.9, "b": 0.6}))
    tests = analyze(sweep, "baseline").tests
    assert len(tests) == 4 and all(t.p_adj >= t.p - 1e-15 for t in tests)
    first = min(tests, key=lambda t: t.p)
    assert first.p_adj == pytest.approx(min(1, 4 * first.p))


def test_metric_direction_decides_better_or_worse(new_sweep):
    sweep = load_sweep(new_sweep(variants=TWO, seeds=12, fail={"baseline": 0.0, "no_batchnorm": 1.0}))
    row = analyze(sweep, "baseline").row("no_batchnorm")
    by_metric = {t.endpoint: t.direction for t in [*row.primary, *row.exploratory]}
    assert directions()["kl"] is False and directions()["modes"] is True
    assert by_metric["kl"] == WORSE and by_metric["modes"] == WORSE  # failing runs: higher kl, fewer modes


def test_warnings_are_not_failures(new_sweep):
    path = new_sweep(variants=TWO, seeds=4, fail={"baseline": 0.0, "no_batchnorm": 0.0})
    runs = pd.read_parquet(path / "results.parquet")
    mine = runs["variant"] == "no_batchnorm"
    runs.loc[mine, "events"] = json.dumps([{"kind": "oscillation", "step": 30, "severity": "warning"}])
    runs.loc[mine, "onset_oscillation"] = 30.0
    runs.to_parquet(path / "results.parquet")
    overview = analyze(load_sweep(path), "baseline")
    row = overview.row("no_batchnorm")
    assert row.rates["any"].k == 0 and row.rates["oscillation"].k == 0
    assert row.warnings["any"] == 4 and row.warnings["oscillation"] == 4


def test_sequential_plan_sets_each_variants_level_and_the_compute_saved(new_sweep):
    from ganlab.report.analysis import seeds_used
    from ganlab.stats.plan import SequentialPlan
    from ganlab.stats.sequential import spent

    path = new_sweep(variants=TWO, seeds=6)
    meta = json.loads((path / "sweep.json").read_text())
    meta["analysis"] = {"sequential": {"max_seeds": 12}}
    (path / "sweep.json").write_text(json.dumps(meta))
    sweep = load_sweep(path)
    overview = analyze(sweep, "baseline")
    assert overview.plan.sequential == SequentialPlan(max_seeds=12)
    row = overview.row("no_batchnorm")
    assert row.alpha == pytest.approx(spent(0.5, 0.05, "obrien-fleming"))  # the first of two looks
    used = {u["variant"]: u for u in seeds_used(sweep, overview)}
    runs = sweep.runs[sweep.runs["variant"] == "no_batchnorm"]
    assert used["no_batchnorm"]["seeds"] == 6
    assert used["no_batchnorm"]["saved_s"] == pytest.approx(6 * runs["wall_time_s"].mean())


def test_csv_cells_that_look_like_formulas_are_escaped():
    frame = pd.DataFrame({"variant": ['=HYPERLINK("http://x")', "+1", "-cmd", "@sum", "\tx", "\rx", "ok"],
                          "effect": [-0.5, 1, 2, 3, 4, 5, 6]})
    out = csv_safe(frame)
    assert out["variant"].tolist() == ["'" + v for v in frame["variant"][:6]] + ["ok"]
    assert out["effect"].tolist() == frame["effect"].tolist()  # numbers are not text: left alone


def test_unknown_columns_are_handled_generically(new_sweep):
    path = new_sweep(variants=TWO, seeds=4)
    runs = pd.read_parquet(path / "results.parquet")
    runs["onset_weird_kind"] = np.where(runs["variant"] == "no_batchnorm", 10.0, np.nan)
    runs["metric_custom"] = np.arange(len(runs), dtype=float)
    runs.to_parquet(path / "results.parquet")
    sweep = load_sweep(path)
    assert "weird_kind" in sweep.kinds and "custom" in sweep.metrics
    overview = analyze(sweep, "baseline")
    assert overview.row("no_batchnorm").rates["weird_kind"].k == 4
    custom = next(t for t in overview.row("no_batchnorm").exploratory if t.endpoint == "custom")
    assert custom.direction == "higher"  # no known direction: described, never a verdict


def test_missing_baseline_gives_no_verdicts(sweep_dir):
    overview = analyze(load_sweep(sweep_dir), "nope")
    assert overview.baseline is None and not overview.tests
    assert {r.verdict for r in overview.rows} == {NO_BASELINE}


def test_onsets_come_from_the_events_list_when_onset_columns_are_absent(new_sweep):
    path = new_sweep(variants=TWO, seeds=3, fail={"baseline": 0.0, "no_batchnorm": 1.0})
    runs = pd.read_parquet(path / "results.parquet")
    runs = runs.drop(columns=[c for c in runs if c.startswith("onset_")])
    runs.to_parquet(path / "results.parquet")
    sweep = load_sweep(path)
    expected = {e["kind"] for text in runs["events"] for e in json.loads(text)}
    assert set(sweep.kinds) == expected
    assert sweep.runs.loc[sweep.runs["variant"] == "no_batchnorm", "failed_any"].all()


def test_compute_saved_by_early_stopping_hand_example():
    runs = pd.DataFrame({"status": ["failed", "completed", "failed", "error"], "steps_done": [100, 400, 400, 50],
                         "steps_total": [400, 400, 400, 400], "wall_time_s": [10.0, 40.0, 40.0, 5.0]})
    total, saved, n_early = compute_time(runs)
    # only the first run stopped early: 300 steps left at 0.1 s each
    assert total == 95.0 and saved == pytest.approx(30.0) and n_early == 1


def test_nested_overrides_in_sweep_json_are_flattened(new_sweep):
    path = new_sweep(variants=TWO, seeds=2)
    meta = json.loads((path / "sweep.json").read_text())
    meta["variants"]["no_batchnorm"] = {"model": {"batchnorm": "none", "fc_hidden": 2}}
    (path / "sweep.json").write_text(json.dumps(meta))
    assert load_sweep(path).overrides("no_batchnorm") == {"model.batchnorm": "none", "model.fc_hidden": 2}


def test_guideline_text_names_variants_numbers_and_confounds(new_sweep):
    from ganlab.report.text import guideline_summary

    variants = {"baseline": {}, "all_broken": {"model.batchnorm": "none", "model.d_activation": "relu"}}
    sweep = load_sweep(new_sweep(variants=variants, seeds=3, fail={"baseline": 0.0, "all_broken": 1.0}))
    text = {g["number"]: g["text"] for g in guideline_summary(sweep, analyze(sweep, "baseline"))}
    assert text[2].startswith("all_broken (model.batchnorm=none): failure-severity events in 3/3 runs (100%")
    assert "vs 0/3 for the baseline" in text[2] and "Verdict: inconclusive (underpowered)" in text[2]
    assert "It also changes model.d_activation" in text[2] and "It also changes model.batchnorm" in text[5]
    assert text[1].startswith("Not tested in this sweep")


def test_a_mean_interval_is_cut_to_the_metrics_range(new_sweep):
    """The main job's fc-hidden modes (5, 6, 7, 7, 8, 252) gave "47.5 [-57.6, 153]": a count's mean cannot be
    negative. The interval is scipy's t interval intersected with the range in ``METRIC_RANGE``."""
    from scipy import stats as sps

    path = new_sweep(variants=TWO, seeds=6, fail={"baseline": 0.0, "no_batchnorm": 0.0})
    runs = pd.read_parquet(path / "results.parquet")
    mine = runs["variant"] == "no_batchnorm"
    modes = np.array([5.0, 6.0, 7.0, 7.0, 8.0, 252.0])
    shares = np.array([0.97, 0.99, 1.0, 1.0, 0.5, 0.999])
    runs.loc[mine, "metric_modes"] = modes
    runs.loc[mine, "metric_coverage"] = shares
    runs.to_parquet(path / "results.parquet")
    summary = analyze(load_sweep(path), "baseline").row("no_batchnorm").metrics
    for values, key, (low, high) in ((modes, "modes", (0, np.inf)), (shares, "coverage", (0, 1))):
        lo, hi = sps.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=sps.sem(values))
        got = summary[key]
        assert got.mean == pytest.approx(values.mean())
        assert (got.lo, got.hi) == pytest.approx((max(lo, low), min(hi, high)))
    assert summary["modes"].lo == 0 and summary["coverage"].hi == 1
