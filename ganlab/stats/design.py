"""Power planning before any compute is spent: can this design ever reach a verdict, and with how many seeds?

With exact tests a design has a floor: the smallest p its most extreme outcome gives. If the floor,
corrected over the family (variants x primary endpoints), is not below alpha, no outcome at all can give
``better`` or ``worse``, and the sweep would spend its compute on "inconclusive".
"""

from __future__ import annotations

from dataclasses import dataclass

from ganlab.stats import exact
from ganlab.stats.endpoints import test_kind
from ganlab.stats.multiplicity import best_adjusted
from ganlab.stats.plan import AnalysisPlan

_MAX_SEARCH = 60


@dataclass(frozen=True)
class EndpointDesign:
    endpoint: str
    test: str
    floor: float  # smallest raw two-sided p
    best_adjusted: float  # smallest p after the correction over the family
    reachable: bool


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
            out.append(f"  {e.endpoint}: {e.test} can reach p = {e.floor:.3g} at best, {e.best_adjusted:.3g} after "
                       f"correction: {'a verdict is possible' if e.reachable else 'NO verdict is possible'}")
        if self.seeds_needed is None:
            out.append(f"  warning: no seed count up to {_MAX_SEARCH} reaches a verdict on every primary endpoint")
        elif not self.can_decide:
            out.append(f"  warning: this design can never reach a verdict on every primary endpoint; "
                       f"{self.seeds_needed} seeds per variant (baseline at least as many) could")
        else:
            out.append(f"  a verdict needs at least {self.seeds_needed} seeds per variant (baseline at least as many)")
        return out


def endpoint_floor(endpoint: str, n: int, nb: int) -> float:
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
        rows.append(EndpointDesign(endpoint, test_kind(endpoint), f, best, best < alpha))
    needed = None
    for n in range(2, _MAX_SEARCH + 1):
        if all(best_adjusted(endpoint_floor(e, n, max(n, nb)), m, plan.correction) < alpha for e in plan.primary):
            needed = n
            break
    return Design(seeds, nb, m, alpha, tuple(rows), needed)
