"""Verdicts: too few seeds is never a difference, a clear difference is found, Holm and directions hold."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ganlab.report.analysis import (
    BASELINE,
    BETTER,
    NO_BASELINE,
    NO_EVIDENCE,
    NOT_ENOUGH,
    WORSE,
    analyze,
    directions,
)
from ganlab.report.load import load_sweep
from ganlab.report.summary import compute_time

TWO = {"baseline": {}, "no_batchnorm": {"model.batchnorm": "none"}}


@pytest.mark.parametrize("seeds", [2, 3])
def test_few_seeds_is_not_enough_evidence_even_when_every_run_differs(new_sweep, seeds):
    sweep = load_sweep(new_sweep(variants=TWO, seeds=seeds, fail={"baseline": 0.0, "no_batchnorm": 1.0}))
    overview = analyze(sweep, "baseline")
    row = overview.row("no_batchnorm")
    assert row.rates["any"].k == seeds and overview.row("baseline").rates["any"].k == 0
    assert row.verdict == NOT_ENOUGH
    assert f"{seeds} vs {seeds} finished runs" in row.reasons[0]


def test_many_seeds_find_a_clear_difference(new_sweep):
    sweep = load_sweep(new_sweep(variants=TWO, seeds=12, fail={"baseline": 0.0, "no_batchnorm": 1.0}))
    overview = analyze(sweep, "baseline")
    row = overview.row("no_batchnorm")
    assert overview.row("baseline").verdict == BASELINE
    assert row.verdict == WORSE
    assert any("any failure rate 12/12 vs 0/12 (Fisher exact" in r for r in row.reasons)
    assert any("time to first failure" in r and "log-rank" in r for r in row.reasons)
    assert np.isfinite(row.median_fail) and np.isnan(overview.row("baseline").median_fail)


def test_a_more_stable_variant_is_better(new_sweep):
    variants = {"baseline": {}, "lower_lr": {"train.lr_d": 1e-4}}
    sweep = load_sweep(new_sweep(variants=variants, seeds=12, fail={"baseline": 1.0, "lower_lr": 0.0}))
    assert analyze(sweep, "baseline").row("lower_lr").verdict == BETTER


def test_no_difference_is_no_evidence(new_sweep):
    sweep = load_sweep(new_sweep(variants=TWO, seeds=8, fail={"baseline": 0.0, "no_batchnorm": 0.0}, seed=1))
    overview = analyze(sweep, "baseline")
    assert overview.row("no_batchnorm").verdict == NO_EVIDENCE
    assert all(not t.significant for t in overview.tests)


def test_holm_adjusts_within_each_endpoint_across_variants(new_sweep):
    variants = {"baseline": {}, "a": {"model.batchnorm": "none"}, "b": {"model.d_activation": "relu"}}
    sweep = load_sweep(new_sweep(variants=variants, seeds=8, fail={"baseline": 0.1, "a": 0.9, "b": 0.6}))
    tests = analyze(sweep, "baseline").tests
    assert tests and all(t.p_holm >= t.p - 1e-15 for t in tests)
    rate = sorted((t for t in tests if t.endpoint == "rate:any"), key=lambda t: t.p)
    assert rate[0].p_holm == pytest.approx(min(1, 2 * rate[0].p))


def test_metric_direction_decides_better_or_worse(new_sweep):
    sweep = load_sweep(new_sweep(variants=TWO, seeds=12, fail={"baseline": 0.0, "no_batchnorm": 1.0}))
    by_metric = {t.label: t.effect for t in analyze(sweep, "baseline").tests if t.endpoint.startswith("metric:")}
    assert directions()["kl"] is False and directions()["modes"] is True
    assert by_metric["kl"] == WORSE and by_metric["modes"] == WORSE  # failing runs: higher kl, fewer modes


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
    custom = next(t for t in overview.tests if t.endpoint == "metric:custom")
    assert custom.effect == "higher"  # no known direction: described, never a verdict


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
    assert text[2].startswith("all_broken (model.batchnorm=none): failure events in 3/3 runs (100%")
    assert "vs 0/3 for the baseline" in text[2] and "Verdict: not enough evidence" in text[2]
    assert "It also changes model.d_activation" in text[2] and "It also changes model.batchnorm" in text[5]
    assert text[1].startswith("Not tested in this sweep")
