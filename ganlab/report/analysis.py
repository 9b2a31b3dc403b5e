"""Per-variant summaries and the plan-driven verdict against the baseline, from a loaded ``LoadedSweep``.

Only finished runs (completed or failed) enter the statistics, and only failure-severity events count as
failures. The analysis plan (``analysis:`` of the sweep file, stored in sweep.json) names the primary
endpoints: they alone decide each variant's verdict (``ganlab.stats.verdict``), corrected over variants x
primary endpoints. Every other endpoint is exploratory: an effect with its interval, no verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ganlab.report.load import AUX_METRICS, LoadedSweep
from ganlab.schema.log import GATE_PASS_RATE
from ganlab.stats import basic
from ganlab.stats.design import Design, design
from ganlab.stats.endpoints import Arm, EndpointResult, compare_endpoint
from ganlab.stats.plan import EVENT_ENDPOINTS, LABEL_FREE_ENDPOINT, AnalysisPlan
from ganlab.stats.sequential import look_alpha
from ganlab.stats.verdict import EQUIVALENT, INCONCLUSIVE, Verdict, decide

ANY = "any"
BASELINE, NO_BASELINE = "baseline", "no baseline"
BETTER, WORSE = "better", "worse"
UNBOUNDED = (-math.inf, math.inf)
__all__ = ["ANY", "BASELINE", "BETTER", "EQUIVALENT", "INCONCLUSIVE", "NO_BASELINE", "WORSE", "analyze", "plan_of"]


@cache
def directions() -> dict[str, bool]:
    """metric -> True when higher is better (``ganlab.schema.HIGHER_IS_BETTER``; no torch import)."""
    from ganlab.schema.log import HIGHER_IS_BETTER

    return dict(HIGHER_IS_BETTER)


@cache
def ranges() -> dict[str, tuple[float, float]]:
    """metric -> the range its mean can take (``ganlab.schema.METRIC_RANGE``), where bounded."""
    from ganlab.schema.log import METRIC_RANGE

    return dict(METRIC_RANGE)


@dataclass
class Rate:
    k: int
    n: int
    lo: float
    hi: float

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else math.nan


@dataclass
class MetricSummary:
    mean: float
    lo: float  # 95% Student t interval of the mean across seeds, cut to the metric's range
    hi: float
    n: int


@dataclass
class VariantSummary:
    variant: str
    n_runs: int
    n_finished: int
    n_pending: int
    n_error: int
    rates: dict[str, Rate]  # failure-severity events only
    warnings: dict[str, int]  # kind (or "any") -> runs with a warning-severity event of that kind
    median_fail: float
    metrics: dict[str, MetricSummary]
    verdict: str = INCONCLUSIVE
    reason: str = ""  # for inconclusive: underpowered / mixed / interval too wide
    reasons: list[str] = field(default_factory=list)  # one sentence per primary endpoint behind the verdict
    primary: list[EndpointResult] = field(default_factory=list)
    exploratory: list[EndpointResult] = field(default_factory=list)
    alpha: float = math.nan  # the level its tests used (smaller at an early sequential look)

    @property
    def fragility(self) -> str:
        """"modes 3; failure 2": the fragility of each primary endpoint behind a better/worse verdict
        (``stats.fragility``: seeds' outcomes that would have to change to undo it); "" when none is decided."""
        decided = [t for t in self.primary if t.status in (BETTER, WORSE)]
        return "; ".join(f"{t.endpoint} {'—' if math.isnan(t.fragility) else int(t.fragility)}" for t in decided)

    @property
    def to_decide(self) -> str:
        """"modes 1; failure 5": for a variant with no better/worse endpoint, how many changed seed outcomes
        would make each primary endpoint better/worse (``stats.fragility``; "more than 10" past the search);
        "" when an endpoint is decided or none has the distance."""
        if any(t.status in (BETTER, WORSE) for t in self.primary):
            return ""
        near = [t for t in self.primary if not math.isnan(t.to_decide)]
        return "; ".join(f"{t.endpoint} {'more than 10' if math.isinf(t.to_decide) else int(t.to_decide)}"
                         for t in near)


@dataclass
class Overview:
    baseline: str | None
    kinds: list[str]
    metrics: list[str]
    rows: list[VariantSummary]
    plan: AnalysisPlan = field(default_factory=AnalysisPlan)
    design: Design | None = None

    def row(self, variant: str) -> VariantSummary | None:
        return next((r for r in self.rows if r.variant == variant), None)

    @property
    def tests(self) -> list[EndpointResult]:
        """Every primary comparison, variant by variant."""
        return [t for r in self.rows for t in r.primary]


def plan_of(sweep: LoadedSweep) -> AnalysisPlan:
    """The sweep's analysis plan from sweep.json (``analysis``), or the defaults (noted when unreadable)."""
    raw = sweep.meta.get("analysis")
    if raw is None:
        return AnalysisPlan()
    try:
        return AnalysisPlan.model_validate(raw)
    except ValidationError as err:
        sweep.notes.append(f"sweep.json: analysis could not be read ({err.errors()[0]['msg']}); the default plan "
                           "is used instead.")
        return AnalysisPlan()


def analyze(sweep: LoadedSweep, baseline: str | None, plan: AnalysisPlan | None = None) -> Overview:
    plan = plan or plan_of(sweep)
    runs = sweep.runs
    kinds = [ANY, *sweep.kinds]
    metrics = [m for m in sweep.metrics if m not in AUX_METRICS]
    rows = [_summarize(v, runs[runs["variant"] == v], kinds, metrics) for v in sweep.variants]
    base = baseline if baseline in {r.variant for r in rows} else None
    plan = label_free_plan(plan, sweep.metrics, sweep.notes)
    overview = Overview(base, kinds, metrics, rows, plan)
    if base is None:
        for row in rows:
            row.verdict = NO_BASELINE
        return overview
    b_arm = arm(runs[(runs["variant"] == base) & runs["finished"]])
    others = [r for r in rows if r.variant != base]
    primary = [e for e in plan.primary if e in EVENT_ENDPOINTS or e in sweep.metrics]
    missing = [e for e in plan.primary if e not in primary]
    if missing:
        sweep.notes.append(f"Primary endpoint(s) {', '.join(missing)} are not in the results; verdicts use "
                           f"{', '.join(primary) or 'nothing'}.")
    first = _first_seeds(sweep)
    for row in others:
        v_arm = arm(runs[(runs["variant"] == row.variant) & runs["finished"]])
        row.alpha = (look_alpha(row.n_finished, first, plan.sequential, plan.alpha) if plan.sequential
                     else plan.alpha)
        row.primary = [_compare(e, v_arm, b_arm, row.alpha, plan) for e in primary] if row.n_finished else []
        row.exploratory = ([_compare(e, v_arm, b_arm, plan.alpha, plan) for e in _exploratory(plan, metrics)]
                           if row.n_finished else [])
    verdicts = decide({r.variant: r.primary for r in others}, plan.correction, {r.variant: r.alpha for r in others})
    for row in others:
        _apply(row, verdicts[row.variant])
    base_row = overview.row(base)
    assert base_row is not None
    base_row.verdict = BASELINE
    n_variants = sum(1 for r in others if r.n_finished) or len(others)
    seeds = int(np.median([r.n_finished for r in others])) if others and any(r.n_finished for r in others) else 0
    if seeds and base_row.n_finished:
        overview.design = design(plan, n_variants, seeds, base_row.n_finished)
    return overview


def arm(runs: pd.DataFrame) -> Arm:
    """The finished runs of one variant as a ``ganlab.stats`` arm."""
    metrics = {c[len("metric_"):]: runs[c].to_numpy(float) for c in runs.columns if c.startswith("metric_")}
    tau = float(np.nanmax(runs["steps_total"].to_numpy(float))) if len(runs) and runs["steps_total"].notna().any() \
        else float(runs["surv_time"].max() if len(runs) else 0.0)
    return Arm(runs["failed_any"].to_numpy(bool), runs["surv_time"].to_numpy(float), tau, metrics)


def _compare(endpoint: str, v: Arm, b: Arm, alpha: float, plan: AnalysisPlan) -> EndpointResult:
    return compare_endpoint(endpoint, v, b, alpha, plan.margins.get(endpoint), directions().get(endpoint))


def label_free_plan(plan: AnalysisPlan, metrics: list[str], notes: list[str]) -> AnalysisPlan:
    """``plan`` with ``modes`` replaced by ``LABEL_FREE_ENDPOINT`` when the data has no known modes (no run
    recorded a mode count) but the realism gate's share was recorded: the plan follows the data, and a
    verdict on a folder of the user's own images rests on failure and on whether the samples look like the
    data, not on failure alone (docs/report.md argues the choice). A note says so."""
    if ("modes" not in plan.primary or "modes" in metrics or LABEL_FREE_ENDPOINT not in metrics
            or LABEL_FREE_ENDPOINT in plan.primary):
        return plan
    primary = tuple(LABEL_FREE_ENDPOINT if e == "modes" else e for e in plan.primary)
    margins = {LABEL_FREE_ENDPOINT if k == "modes" else k: v for k, v in plan.margins.items()}
    notes.append(f"The data has no known modes: the primary endpoint modes is replaced by {LABEL_FREE_ENDPOINT}, "
                 f"the share of samples on the real data's manifold (held-out real data reads {GATE_PASS_RATE}); "
                 f"verdicts use {', '.join(primary)}. The failure endpoint counts events judged at the collapse and "
                 "realism levels set on digits, where a healthy G on other data can read below them early in "
                 "training; `ganlab check --update-baseline` calibrates them on a healthy baseline (docs/check.md).")
    return plan.model_copy(update={"primary": primary, "margins": margins})


def _exploratory(plan: AnalysisPlan, metrics: list[str]) -> list[str]:
    return [e for e in (*EVENT_ENDPOINTS, *metrics) if e not in plan.primary]


def _apply(row: VariantSummary, verdict: Verdict) -> None:
    row.verdict, row.reason, row.reasons = verdict.word, verdict.reason, verdict.sentences


def _first_seeds(sweep: LoadedSweep) -> int:
    seeds = sweep.meta.get("seeds")
    return len(seeds) if isinstance(seeds, list) and seeds else 1


def _summarize(variant: str, runs: pd.DataFrame, kinds: list[str], metrics: list[str]) -> VariantSummary:
    done = runs[runs["finished"]]
    n = len(done)
    rates, warnings = {}, {}
    for kind in kinds:
        k = int(_failed(done, kind).sum())
        rates[kind] = Rate(k, n, *basic.proportion_ci(k, n))
        warnings[kind] = int((done["warned_any"] if kind == ANY else done[f"warn_{kind}"].notna()).sum())
    summaries = {m: MetricSummary(*basic.t_mean_ci(done[f"metric_{m}"], bounds=ranges().get(m, UNBOUNDED)),
                                  int(done[f"metric_{m}"].notna().sum()))
                 for m in metrics}
    return VariantSummary(variant, len(runs), n, int((~runs["finished"] & (runs["status"] != "error")).sum()),
                          int((runs["status"] == "error").sum()), rates, warnings,
                          basic.km_median(done["surv_time"], done["failed_any"]), summaries)


def _failed(runs: pd.DataFrame, kind: str) -> pd.Series:
    return runs["failed_any"] if kind == ANY else runs[f"fail_{kind}"].notna()


def seeds_used(sweep: LoadedSweep, overview: Overview) -> list[dict[str, Any]]:
    """Sequential sweeps: each variant's finished seeds against the plan's maximum, and the compute that
    stopping early saved (the seeds not run times the variant's mean wall time per run)."""
    seq = overview.plan.sequential
    if seq is None:
        return []
    out = []
    for row in overview.rows:
        runs = sweep.runs[(sweep.runs["variant"] == row.variant) & sweep.runs["finished"]]
        per_run = float(runs["wall_time_s"].mean()) if len(runs) else math.nan
        left = max(seq.max_seeds - row.n_finished, 0)
        out.append({"variant": row.variant, "seeds": row.n_finished, "max_seeds": seq.max_seeds,
                    "saved_s": left * per_run if left else 0.0, "alpha": row.alpha})
    return out


