"""Power planning before any compute is spent: can this design ever reach a verdict, and with how many seeds?

With exact tests a design has a floor: the smallest p its most extreme outcome gives. If the floor,
corrected over the family (variants x primary endpoints), is not below alpha, no outcome at all can give
``better`` or ``worse``, and the sweep would spend its compute on "inconclusive".

Above ``EXACT_MAX_RUNS`` runs in a comparison the exact nulls cost too much (Mann-Whitney's exact null is a
table of (arm size) x (rank-sum) cells: 29.8 GiB at 1000 vs 1000 seeds, minutes at 200 vs 200), so the
analysis draws them by Monte Carlo (``ganlab.stats.exact``) and the floors are found without building them
(``approximate_floor``): Fisher's stays exact; Mann-Whitney's is the smallest p of its drawn null,
1 / (1 + resamples) (the exact 2 / C(n1 + n2, n1) is far below it); log-rank's, where its null is not
enumerated, is the smallest p of its drawn null or the normal approximation's, if larger. The design says
which floors are approximate. Below the limit nothing changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import stats as sps

from ganlab.stats import exact
from ganlab.stats.endpoints import test_kind
from ganlab.stats.multiplicity import best_adjusted
from ganlab.stats.plan import AnalysisPlan

_MAX_SEARCH = 60
EXACT_MAX_RUNS = exact.EXACT_MAX_RUNS  # runs in one comparison up to which every floor is exact
APPROXIMATION = "normal approximation"


@dataclass(frozen=True)
class EndpointDesign:
    endpoint: str
    test: str
    floor: float  # smallest raw two-sided p
    best_adjusted: float  # smallest p after the correction over the family
    reachable: bool
    approximate: bool = False  # floor of a drawn (Monte Carlo) null (arms above EXACT_MAX_RUNS runs)


@dataclass(frozen=True)
class Design:
    seeds: int  # per variant
    baseline_seeds: int
    n_comparisons: int  # variants x primary endpoints
    alpha: float
    endpoints: tuple[EndpointDesign, ...]
    seeds_needed: int | None  # seeds per variant (baseline at least as many) at which every floor passes

    @property
    def can_decide(self) -> bool:
        return all(e.reachable for e in self.endpoints)

    def lines(self) -> list[str]:
        """Plain sentences for ``ganlab sweep --dry-run`` and the report."""
        out = [f"analysis plan: {self.seeds} seeds per variant vs {self.baseline_seeds} baseline seeds, "
               f"{self.n_comparisons} primary comparisons, alpha {self.alpha:g}"]
        for e in self.endpoints:
            mc = _mc_floor()
            which = (f"the larger of the {APPROXIMATION} and the smallest p of its Monte Carlo null"
                     if e.test == "logrank" else "the smallest p of its Monte Carlo null")
            how = (f" (approximate: {self.seeds + self.baseline_seeds} runs are above the exact limit of "
                   f"{EXACT_MAX_RUNS}; {which} of {exact.MC_RESAMPLES:,} resamples, {mc:.2g} +- "
                   f"{math.sqrt(mc * (1 - mc) / exact.MC_RESAMPLES):.1g})" if e.approximate else "")
            adjusted = _p(e.best_adjusted).removeprefix("= ")
            out.append(f"  {e.endpoint}: {e.test} can reach p {_p(e.floor)} at best{how}, {adjusted} "
                       f"after correction: {'a verdict is possible' if e.reachable else 'NO verdict is possible'}")
        if self.seeds_needed is None:
            out.append(f"  warning: no seed count up to {_MAX_SEARCH} reaches a verdict on every primary endpoint")
        elif not self.can_decide:
            out.append(f"  warning: this design can never reach a verdict on every primary endpoint; "
                       f"{self.seeds_needed} seeds per variant (baseline at least as many) could")
        else:
            out.append(f"  a verdict needs at least {self.seeds_needed} seeds per variant (baseline at least as many)")
        return out


def _p(p: float) -> str:
    """``= 0.00147``, or ``< 1e-300`` where a floor underflows a float (thousands of seeds)."""
    return "< 1e-300" if p == 0 else f"= {p:.3g}"


def is_large(n: int, nb: int) -> bool:
    """Whether a comparison of ``n`` variant and ``nb`` baseline seeds is past the exact nulls' limit."""
    return n + nb > EXACT_MAX_RUNS


def is_approximate(test: str, n: int, nb: int) -> bool:
    """Whether ``test``'s floor at ``n`` vs ``nb`` seeds is that of a drawn null (log-rank's and Mann-Whitney's,
    past both limits; Fisher's is always exact)."""
    return test != "fisher" and is_large(n, nb) and math.comb(n + nb, n) > exact.ENUMERATE_LIMIT


def logrank_normal_floor(n1: int, n2: int) -> float:
    """The asymptotic log-rank test (chi-square, hypergeometric variance, as ``scipy.stats.logrank``) on the
    most extreme outcomes ``exact.floor`` runs: one arm fails at 1, 2, ... while the other is censored after."""
    first = sps.CensoredData(uncensored=np.arange(1.0, n1 + 1)), sps.CensoredData(right=np.full(n2, n1 + 1.0))
    second = sps.CensoredData(right=np.full(n1, n2 + 1.0)), sps.CensoredData(uncensored=np.arange(1.0, n2 + 1))
    return min(float(sps.logrank(*first).pvalue), float(sps.logrank(*second).pvalue))


def _mc_floor() -> float:
    """The smallest p the log-rank test's Monte Carlo null can give: (1 + 0) / (1 + resamples)."""
    return 1 / (1 + exact.MC_RESAMPLES)


def approximate_floor(test: str, n1: int, n2: int) -> float:
    """The floor of ``test`` at ``n1`` vs ``n2`` seeds without building its exact null (for large arms).

    Mann-Whitney: with no ties only the two complete separations are that extreme, so 2 / C(n1 + n2, n1)
    exactly where its null is counted; where it is drawn, its p is never below 1 / (1 + resamples). Fisher:
    exact (cheap at any size). Log-rank: exact where its null is enumerated (at most ``exact.ENUMERATE_LIMIT``
    splits, cheap); beyond, the analysis runs a Monte Carlo null, whose p is never below 1 / (1 + resamples),
    or the normal approximation's where that is larger.
    """
    if n1 <= 0 or n2 <= 0:
        return 1.0
    if test == "mannwhitney":
        if exact.mannwhitney_is_drawn(n1, n2):
            return exact.floor(test, n1, n2)  # the drawn null's, computed without drawing it
        return min(1.0, float(Fraction(2, math.comb(n1 + n2, n1))))
    if test == "logrank" and math.comb(n1 + n2, n1) > exact.ENUMERATE_LIMIT:
        return max(_mc_floor(), logrank_normal_floor(n1, n2))
    return exact.floor(test, n1, n2)


def endpoint_floor(endpoint: str, n: int, nb: int) -> float:
    """The floor of ``endpoint``'s test at ``n`` vs ``nb`` seeds: exact, or approximate above the limit."""
    if is_large(n, nb):
        return approximate_floor(test_kind(endpoint), n, nb)
    return exact.floor(test_kind(endpoint), n, nb)


def design(plan: AnalysisPlan, n_variants: int, seeds: int, baseline_seeds: int | None = None,
           alpha: float | None = None) -> Design:
    """The design check for ``n_variants`` compared variants (the baseline not counted)."""
    alpha = plan.alpha if alpha is None else alpha
    nb = max(baseline_seeds or seeds, 1)
    m = max(n_variants, 1) * len(plan.primary)
    rows = []
    for endpoint in plan.primary:
        f = endpoint_floor(endpoint, seeds, nb)
        best = best_adjusted(f, m, plan.correction)
        rows.append(EndpointDesign(endpoint, test_kind(endpoint), f, best, best < alpha,
                                   is_approximate(test_kind(endpoint), seeds, nb)))
    needed = None
    for n in range(2, _MAX_SEARCH + 1):
        if all(best_adjusted(endpoint_floor(e, n, max(n, nb)), m, plan.correction) < alpha for e in plan.primary):
            needed = n
            break
    return Design(seeds, nb, m, alpha, tuple(rows), needed)
