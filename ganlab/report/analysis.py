"""Per-variant summaries and the verdict against the baseline, from a loaded ``LoadedSweep``.

Only finished runs (completed or failed) enter the statistics. Each endpoint (a failure kind's rate,
time to first failure, a final metric) is tested variant-vs-baseline and Holm-corrected across variants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from ganlab.report import fmt, stats
from ganlab.report.load import AUX_METRICS, LoadedSweep

ANY = "any"
BASELINE, NO_BASELINE = "baseline", "no baseline"
BETTER, WORSE, MIXED, SAME = "better", "worse", "mixed", "same"
NO_EVIDENCE, NOT_ENOUGH = "no evidence", "not enough evidence"


@cache
def directions() -> dict[str, bool]:
    """metric -> True when higher is better (``ganlab.schema.HIGHER_IS_BETTER``; no torch import)."""
    from ganlab.schema.log import HIGHER_IS_BETTER

    return dict(HIGHER_IS_BETTER)


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
    lo: float
    hi: float
    n: int


@dataclass
class Comparison:
    """One test of a variant against the baseline on one endpoint (``rate:<kind>``, ``survival``, ``metric:<m>``)."""

    variant: str
    endpoint: str
    label: str
    test: str
    p: float
    detail: str
    effect: str  # better / worse / same (or higher / lower for a metric with no known direction)
    p_holm: float = math.nan
    # No failures in either arm: p = 1, not shown in the report, but still counted in the Holm correction.
    trivial: bool = False

    @property
    def significant(self) -> bool:
        return self.p_holm < stats.ALPHA


@dataclass
class VariantSummary:
    variant: str
    n_runs: int
    n_finished: int
    n_pending: int
    n_error: int
    rates: dict[str, Rate]
    median_fail: float
    metrics: dict[str, MetricSummary]
    verdict: str = NO_EVIDENCE
    reasons: list[str] = field(default_factory=list)


@dataclass
class Overview:
    baseline: str | None
    kinds: list[str]
    metrics: list[str]
    rows: list[VariantSummary]
    tests: list[Comparison]

    def row(self, variant: str) -> VariantSummary | None:
        return next((r for r in self.rows if r.variant == variant), None)


def analyze(sweep: LoadedSweep, baseline: str | None) -> Overview:
    runs = sweep.runs
    kinds = [ANY, *sweep.kinds]
    metrics = [m for m in sweep.metrics if m not in AUX_METRICS]
    rows = [_summarize(v, runs[runs["variant"] == v], kinds, metrics) for v in sweep.variants]
    base = baseline if baseline in {r.variant for r in rows} else None
    overview = Overview(base, kinds, metrics, rows, [])
    if base is None:
        for row in rows:
            row.verdict = NO_BASELINE
        return overview
    b = runs[(runs["variant"] == base) & runs["finished"]]
    others = [r for r in rows if r.variant != base]
    for row in others:
        v = runs[(runs["variant"] == row.variant) & runs["finished"]]
        overview.tests.extend(_compare(row.variant, v, b, kinds, metrics))
    _holm_by_endpoint(overview.tests)
    m = sum(1 for r in others if r.n_finished)
    nb = overview.row(base).n_finished  # type: ignore[union-attr]
    for row in rows:
        row.verdict, row.reasons = _verdict(row, base, nb, m, overview.tests)
    return overview


def _summarize(variant: str, runs: pd.DataFrame, kinds: list[str], metrics: list[str]) -> VariantSummary:
    done = runs[runs["finished"]]
    n = len(done)
    rates = {}
    for kind in kinds:
        k = int(_failed(done, kind).sum())
        rates[kind] = Rate(k, n, *stats.proportion_ci(k, n))
    summaries = {m: MetricSummary(*stats.bootstrap_mean_ci(done[f"metric_{m}"]),
                                  int(done[f"metric_{m}"].notna().sum())) for m in metrics}
    return VariantSummary(variant, len(runs), n, int((~runs["finished"] & (runs["status"] != "error")).sum()),
                          int((runs["status"] == "error").sum()), rates,
                          stats.km_median(done["surv_time"], done["failed_any"]), summaries)


def _failed(runs: pd.DataFrame, kind: str) -> pd.Series:
    return runs["failed_any"] if kind == ANY else runs[f"onset_{kind}"].notna()


def _compare(variant: str, v: pd.DataFrame, b: pd.DataFrame, kinds: list[str], metrics: list[str]) -> list[Comparison]:
    out = []
    for kind in kinds:
        kv, kb = int(_failed(v, kind).sum()), int(_failed(b, kind).sum())
        label = "any failure" if kind == ANY else kind
        rv, rb = kv / max(len(v), 1), kb / max(len(b), 1)
        out.append(Comparison(variant, f"rate:{kind}", f"{label} rate", "Fisher exact",
                              stats.fisher_p(kv, len(v), kb, len(b)), f"{kv}/{len(v)} vs {kb}/{len(b)}",
                              SAME if rv == rb else WORSE if rv > rb else BETTER, trivial=kv == kb == 0))
    p, z = stats.logrank(v["surv_time"], v["failed_any"], b["surv_time"], b["failed_any"])
    if math.isnan(p) and len(v) and len(b):  # nobody failed in either arm
        out.append(Comparison(variant, "survival", "time to first failure", "log-rank", 1.0, "no failures", SAME,
                              trivial=True))
    elif not math.isnan(p):
        mv = stats.km_median(v["surv_time"], v["failed_any"])
        mb = stats.km_median(b["surv_time"], b["failed_any"])
        effect = SAME if z == 0 else WORSE if z > 0 else BETTER
        out.append(Comparison(variant, "survival", "time to first failure", "log-rank", p,
                              f"median {fmt.steps(mv)} vs {fmt.steps(mb)} steps", effect))
    for m in metrics:
        xv, xb = v[f"metric_{m}"].dropna(), b[f"metric_{m}"].dropna()
        if not len(xv) or not len(xb):
            continue
        higher = xv.mean() > xb.mean()
        hib = directions().get(m)
        effect = ("higher" if higher else "lower") if hib is None else (BETTER if higher == hib else WORSE)
        effect = SAME if xv.mean() == xb.mean() else effect
        out.append(Comparison(variant, f"metric:{m}", m, "Mann-Whitney U", stats.mannwhitney_p(xv, xb),
                              f"mean {fmt.num(xv.mean())} vs {fmt.num(xb.mean())}", effect))
    return out


def _holm_by_endpoint(tests: list[Comparison]) -> None:
    for endpoint in dict.fromkeys(t.endpoint for t in tests):
        family = [t for t in tests if t.endpoint == endpoint]
        for t, q in zip(family, stats.holm([t.p for t in family]), strict=True):
            t.p_holm = float(q)


def _verdict(row: VariantSummary, base: str, nb: int, m: int, tests: list[Comparison]) -> tuple[str, list[str]]:
    if row.variant == base:
        return BASELINE, []
    n = row.n_finished
    if not stats.enough_evidence(n, nb, m):
        why = (f"{n} vs {nb} finished runs: at least {stats.MIN_RUNS} per arm are needed" if min(n, nb) < stats.MIN_RUNS
               else f"{n} vs {nb} finished runs: the smallest p-value possible, 1/C({n + nb},{n}) = "
                    f"{fmt.pval(stats.smallest_p(n, nb))}, times {m} comparisons (Holm) is not below {stats.ALPHA}")
        return NOT_ENOUGH, [why]
    hits = [t for t in tests if t.variant == row.variant and t.significant and t.effect in (BETTER, WORSE)]
    reasons = [f"{t.effect}: {t.label} {t.detail} ({t.test}, Holm {fmt.p_is(t.p_holm)})" for t in hits]
    effects = {t.effect for t in hits}
    if effects == {BETTER, WORSE}:
        return MIXED, reasons
    if effects:
        return effects.pop(), reasons
    return NO_EVIDENCE, [f"no test reached Holm-corrected p < {stats.ALPHA} ({n} vs {nb} finished runs)"]
