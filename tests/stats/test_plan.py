"""The analysis plan in a sweep file, the design check, alpha spending and the sequential rounds."""

from __future__ import annotations

import math
import textwrap

import pytest
from scipy.stats import norm

from ganlab.cli.sweep import design_text
from ganlab.errors import ConfigError
from ganlab.stats.design import design
from ganlab.stats.plan import AnalysisPlan, SequentialPlan
from ganlab.stats.sequential import look_alpha, looks, spent
from ganlab.sweep import sequential
from ganlab.sweep.spec import BASELINE, load_sweep_spec
from tests.sweep.helpers import demo_sweep_text, write_sweep

SWEEP = demo_sweep_text(seeds=5)


def load(tmp_path, extra: str = ""):
    return load_sweep_spec(write_sweep(tmp_path / "sweep.yaml", SWEEP + textwrap.dedent(extra)))


def test_default_plan_and_a_declared_one(tmp_path):
    assert load(tmp_path).analysis == AnalysisPlan()
    sweep = load(tmp_path, """\
        analysis:
          primary: [failure, kl]
          correction: bh
          alpha: 0.1
          margins: {kl: 0.05}
          sequential: {max_seeds: 10, spending: pocock}
        """)
    plan = sweep.analysis
    assert plan.primary == ("failure", "kl") and plan.correction == "bh" and plan.alpha == 0.1
    assert plan.sequential == SequentialPlan(max_seeds=10, spending="pocock")


@pytest.mark.parametrize(("extra", "pattern"), [
    ("analysis: {primry: [failure]}\n",
     r"sweep.yaml:\d+: unknown sweep key 'analysis.primry'; did you mean 'analysis.primary'"),
    ("analysis: {primary: [failure, mode]}\n", r"analysis.primary: unknown endpoint 'mode'; did you mean 'modes'"),
    ("analysis: {margins: {fid: 0.1}}\n", r"analysis.margins: unknown endpoint 'fid'"),
    ("analysis: {correction: bonferroni}\n", r"analysis.correction = 'bonferroni'"),
    ("analysis: {sequential: {max_seeds: 10, stepp: 2}}\n", r"unknown sweep key 'analysis.sequential.stepp'"),
    ("baseline_seeds: 3\n", r"baseline_seeds = 3: give at least the 5 seeds"),
])
def test_bad_plans_are_one_line_errors(tmp_path, extra, pattern):
    with pytest.raises(ConfigError, match=pattern) as err:
        load(tmp_path, extra)
    assert "\n" not in str(err.value)


def test_baseline_seeds_give_the_baseline_a_larger_arm(tmp_path):
    sweep = load(tmp_path, "baseline_seeds: 8\n")
    assert sweep.seeds_of(BASELINE) == tuple(range(8)) and sweep.seeds_of("no-bn") == tuple(range(5))
    assert sweep.n_runs == 8 + 5 + 5


def test_design_floors_and_seeds_needed():
    d = design(AnalysisPlan(), n_variants=8, seeds=5)
    assert [e.floor for e in d.endpoints] == pytest.approx([2 / 252, 2 / 252])
    assert not d.can_decide and d.seeds_needed == 6  # 16 x 2/924 = 0.035 < 0.05; 16 x 2/252 is not
    assert 16 * 2 / math.comb(12, 6) < 0.05 <= 16 * 2 / math.comb(10, 5)
    big = design(AnalysisPlan(), n_variants=8, seeds=5, baseline_seeds=10)
    assert big.endpoints[1].floor == pytest.approx(2 / 3003) and big.can_decide
    assert design(AnalysisPlan(correction="bh"), 8, 5).endpoints[0].best_adjusted == pytest.approx(2 / 252)


def test_dry_run_text_states_floors_and_warns_with_a_seed_count(tmp_path):
    text = design_text(load(tmp_path))
    assert "failure: fisher can reach p = 0.00794 at best" in text
    # 2 variants x 2 endpoints: 4 x 2/252 = 0.032 < 0.05, so 5 seeds can decide (4 could not: 4 x 2/70).
    assert "a verdict is possible" in text and "a verdict needs at least 5 seeds per variant" in text
    warning = design(AnalysisPlan(), n_variants=8, seeds=5).lines()[-1]
    assert "can never reach a verdict" in warning and "6 seeds per variant" in warning


def test_spending_functions():
    alpha = 0.05
    assert spent(1.0, alpha, "obrien-fleming") == pytest.approx(alpha)
    assert spent(1.0, alpha, "pocock") == pytest.approx(alpha)
    assert spent(0.25, alpha, "obrien-fleming") == pytest.approx(2 - 2 * norm.cdf(norm.ppf(0.975) / 0.5))
    plan = SequentialPlan(max_seeds=20, step=5)
    assert looks(5, plan) == [5, 10, 15, 20]
    increments = [look_alpha(n, 5, plan, alpha) for n in looks(5, plan)]
    assert sum(increments) == pytest.approx(alpha) and all(a > 0 for a in increments)
    assert look_alpha(12, 5, plan, alpha) == look_alpha(10, 5, plan, alpha)  # between looks: the one below


def test_rounds_add_seeds_only_to_open_variants(tmp_path, monkeypatch):
    sweep = load(tmp_path, "analysis: {sequential: {max_seeds: 9, step: 2}}\n")
    calls = []

    def fake_run(spec, out, **kwargs):
        calls.append({v: spec.seeds_of(v) for v in spec.variants})
        return type("R", (), {"sweep_dir": tmp_path})()

    monkeypatch.setattr(sequential, "run_sweep", fake_run)
    decided = iter([{"no-bn"}, set(), {"relu-d"}])
    monkeypatch.setattr(sequential, "decided_variants", lambda *a: next(decided))
    sequential.run_sequential(sweep, tmp_path)
    assert [len(c["no-bn"]) for c in calls] == [5, 5, 5]  # decided at the first look
    assert [len(c["relu-d"]) for c in calls] == [5, 7, 9]
    assert [len(c[BASELINE]) for c in calls] == [5, 7, 9]
    assert calls[-1]["relu-d"] == (0, 1, 2, 3, 4, 5, 6, 7, 8)


def test_the_manifest_stores_the_plan_the_report_reads(tmp_path):
    from ganlab.report.analysis import plan_of
    from ganlab.report.load import LoadedSweep as Loaded
    from ganlab.sweep.options import SweepOptions
    from ganlab.sweep.runner import _manifest

    spec = load(tmp_path, "analysis: {primary: [failure, kl], correction: bh}\nbaseline_seeds: 7\n")
    manifest = _manifest(spec, SweepOptions(sweep_dir=str(tmp_path), backend="ray"), 0, set()).model_dump()
    assert manifest["baseline_seeds"] == list(range(7))
    loaded = Loaded(tmp_path, manifest, None, [], [])  # type: ignore[arg-type]
    assert plan_of(loaded) == spec.analysis
