"""One comparison of a variant's runs against the baseline's on one endpoint: test, effect, interval, floor.

Endpoints: ``failure`` (share of runs with a failure-severity event: Fisher exact, rate difference with
Newcombe's interval), ``time_to_failure`` (permutation log-rank, RMST difference up to the run length) and
any final metric (exact Mann-Whitney, Hodges-Lehmann shift, or a ratio for counts such as modes, plus the
probability of improvement). Pure functions of arrays; no pandas, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ganlab.stats import effects, exact
from ganlab.stats.basic import finite, fisher_p
from ganlab.stats.effects import Effect
from ganlab.stats.fragility import (
    Significant,
    fisher_fragility,
    fisher_to_decide,
    rank_swap_fragility,
    rank_swaps_to_decide,
)
from ganlab.stats.plan import FAILURE, RATIO_METRICS, TIME_TO_FAILURE

BETTER, WORSE, SAME, HIGHER, LOWER = "better", "worse", "same", "higher", "lower"
TESTS = {FAILURE: ("fisher", "Fisher exact"), TIME_TO_FAILURE: ("logrank", "permutation log-rank")}
METRIC_TEST = ("mannwhitney", "exact Mann-Whitney")


@dataclass(frozen=True)
class Arm:
    """The finished runs of one variant: ``failed`` (n,) bool, ``times`` (n,) steps to the first failure or,
    for runs that never failed, steps done (censored); ``tau`` the planned run length in steps; ``metrics``
    name -> (n,) final values (NaN where missing)."""

    failed: np.ndarray
    times: np.ndarray
    tau: float
    metrics: Mapping[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.failed)


@dataclass
class EndpointResult:
    endpoint: str
    test: str  # the test's name as printed
    p: float
    direction: str  # better / worse / same (higher / lower when the metric has no known direction)
    effect: Effect  # at 95%
    equivalence: Effect  # at 1 - 2 alpha: "equivalent" when inside the margin (two one-sided tests)
    margin: tuple[float, float] | None  # in the effect's units; None: no margin, never "equivalent"
    floor: float  # the smallest p this test can give at these arm sizes
    detail: str  # "4/5 vs 0/5 runs", "median 299 vs 176"
    improvement: Effect | None = None  # P(variant beats baseline), metrics only
    mc_error: float = 0.0
    p_adj: float = math.nan
    status: str = ""  # better / worse / equivalent / inconclusive once corrected (``verdict.decide``)
    # Seeds' outcomes that would have to change to undo a better/worse status (``stats.fragility``; set by
    # ``verdict.decide`` with its decision rule); NaN when not decided or not defined (log-rank).
    fragility: float = math.nan
    fragility_of: Callable[[Significant], float] | None = field(default=None, repr=False, compare=False)
    # The other way: changed outcomes that would make a not-decided result better/worse under the same rule
    # (inf: more than ``fragility.DECIDE_LIMIT``); NaN when decided or not defined.
    # Computed on first read (a null-simulation that never reads it does not pay for the search).
    to_decide_of: Callable[[Significant], float] | None = field(default=None, repr=False, compare=False)
    to_decide_rule: Significant | None = field(default=None, repr=False, compare=False)
    _to_decide: float | None = field(default=None, repr=False, compare=False)

    @property
    def to_decide(self) -> float:
        if self._to_decide is None:
            of, rule = self.to_decide_of, self.to_decide_rule
            self._to_decide = of(rule) if of is not None and rule is not None else math.nan
        return self._to_decide

    @property
    def equivalent(self) -> bool:
        if self.margin is None or math.isnan(self.equivalence.estimate):
            return False
        return self.margin[0] < self.equivalence.lo and self.equivalence.hi < self.margin[1]


def test_kind(endpoint: str) -> str:
    """"fisher", "logrank" or "mannwhitney": the test an endpoint uses (for floors and the design check)."""
    return TESTS.get(endpoint, METRIC_TEST)[0]


def compare_endpoint(endpoint: str, v: Arm, b: Arm, alpha: float, margin: float | None,
                     higher_is_better: bool | None = None) -> EndpointResult:
    """Variant ``v`` against baseline ``b`` on ``endpoint``; ``alpha`` sets the equivalence interval's level."""
    eq_level = 1 - 2 * alpha
    if endpoint == FAILURE:
        kv, kb = int(v.failed.sum()), int(b.failed.sum())
        diff = effects.rate_difference(kv, v.n, kb, b.n)
        rv, rb = diff.estimate + kb / max(b.n, 1), kb / max(b.n, 1)
        return EndpointResult(endpoint, "Fisher exact", fisher_p(kv, v.n, kb, b.n),
                              SAME if kv * b.n == kb * v.n else WORSE if rv > rb else BETTER, diff,
                              effects.rate_difference(kv, v.n, kb, b.n, eq_level),
                              None if margin is None else (-margin, margin), exact.floor("fisher", v.n, b.n),
                              f"{kv}/{v.n} vs {kb}/{b.n} runs failed",
                              fragility_of=lambda rule: fisher_fragility(kv, v.n, kb, b.n, rule),
                              to_decide_of=lambda rule: fisher_to_decide(kv, v.n, kb, b.n, rule))
    if endpoint == TIME_TO_FAILURE:
        tau = min(v.tau, b.tau)
        res = exact.logrank(v.times, v.failed, b.times, b.failed)
        p = 1.0 if math.isnan(res.p) and v.n and b.n else res.p  # nobody failed in either arm
        direction = SAME if not res.statistic or math.isnan(res.statistic) else WORSE if res.statistic > 0 else BETTER
        return EndpointResult(endpoint, "permutation log-rank", p, direction,
                              effects.rmst_difference(v.times, v.failed, b.times, b.failed, tau),
                              effects.rmst_difference(v.times, v.failed, b.times, b.failed, tau, eq_level),
                              None if margin is None else (-margin * tau, margin * tau),
                              exact.floor("logrank", v.n, b.n),
                              f"{int(v.failed.sum())}/{v.n} vs {int(b.failed.sum())}/{b.n} failed within "
                              f"{int(tau)} steps", mc_error=res.mc_error)
    return _metric(endpoint, v, b, eq_level, margin, higher_is_better)


def _metric(name: str, v: Arm, b: Arm, eq_level: float, margin: float | None, hib: bool | None) -> EndpointResult:
    x, y = finite(v.metrics.get(name, [])), finite(b.metrics.get(name, []))
    res, u = exact.mannwhitney(x, y)
    use_ratio = name in RATIO_METRICS and (x >= 0).all() and (y >= 0).all()
    measure = effects.ratio if use_ratio else effects.hodges_lehmann
    effect, equivalence = measure(x, y), measure(x, y, eq_level)
    bounds = None
    if margin is not None and len(y):
        bounds = (1 / (1 + margin), 1 + margin) if use_ratio else (-margin * abs(float(np.median(y))),
                                                                   margin * abs(float(np.median(y))))
    if math.isnan(u) or u == len(x) * len(y) / 2:
        direction = SAME
    else:
        higher = u > len(x) * len(y) / 2
        direction = (HIGHER if higher else LOWER) if hib is None else (BETTER if higher == hib else WORSE)
    improvement = None
    if not math.isnan(u):
        improvement = effects.prob_improvement(u if hib is not False else len(x) * len(y) - u, len(x), len(y))
    detail = (f"median {_num(np.median(x))} vs {_num(np.median(y))}" if len(x) and len(y)
              else f"{len(x)} vs {len(y)} values")
    return EndpointResult(name, "exact Mann-Whitney", res.p, direction, effect, equivalence, bounds,
                          exact.floor("mannwhitney", max(len(x), 1), max(len(y), 1)), detail, improvement,
                          res.mc_error, fragility_of=lambda rule: rank_swap_fragility(x, y, rule),
                          to_decide_of=lambda rule: rank_swaps_to_decide(x, y, rule))


def _num(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else "—"
