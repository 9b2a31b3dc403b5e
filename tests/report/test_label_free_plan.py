"""The default plan follows the data: without known modes the realism gate's share stands in for ``modes``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from ganlab.report.analysis import analyze, label_free_plan
from ganlab.report.load import load_sweep
from ganlab.schema import RESULTS
from ganlab.stats.plan import AnalysisPlan
from ganlab.testing.synthetic import make_sweep


def _folder_like(root: Path, shares: dict[str, list[float]]) -> Path:
    """A synthetic sweep whose runs recorded no mode count (data without known modes) and these shares."""
    make_sweep(root, {"baseline": {}, "broken": {"model.batchnorm": "none"}}, seeds=6,
               fail={"baseline": 0, "broken": 0})
    results = pd.read_parquet(root / RESULTS)
    results["metric_modes"] = np.nan
    for variant, values in shares.items():
        results.loc[results["variant"] == variant, "metric_manifold_share"] = values
    results.to_parquet(root / RESULTS)
    return root


def test_without_modes_the_verdict_rests_on_the_manifold_share(tmp_path: Path) -> None:
    base, broken = [0.55, 0.6, 0.62, 0.58, 0.61, 0.57], [0.02, 0.0, 0.05, 0.01, 0.03, 0.0]
    sweep = load_sweep(_folder_like(tmp_path, {"baseline": base, "broken": broken}))
    overview = analyze(sweep, "baseline")
    assert overview.plan.primary == ("failure", "manifold_share")
    assert overview.plan.margins["manifold_share"] == 0.1  # modes' margin, carried over
    assert any("no known modes" in n and "manifold_share" in n and "levels set on digits" in n for n in sweep.notes)
    row = overview.row("broken")
    assert row is not None and row.verdict == "worse"
    (share,) = [t for t in row.primary if t.endpoint == "manifold_share"]
    # every broken seed below every baseline seed: the exact two-sided Mann-Whitney p of complete separation
    assert share.p == mannwhitneyu(broken, base, method="exact").pvalue


def test_the_plan_is_kept_where_modes_were_counted_or_the_user_chose_the_share() -> None:
    plan = AnalysisPlan()
    assert label_free_plan(plan, ["modes", "manifold_share"], []) is plan
    assert label_free_plan(plan, ["kl"], []) is plan  # no share either: nothing to stand in
    chosen = AnalysisPlan(primary=("failure", "modes", "manifold_share"))
    assert label_free_plan(chosen, ["manifold_share"], []) is chosen
