"""Group-sequential alpha spending (Lan-DeMets) for sequential seeds.

A sweep with ``analysis.sequential`` looks at the data after each round of seeds. Look k (information
fraction t_k = seeds_k / max_seeds) may spend alpha(t_k) - alpha(t_{k-1}) of the total alpha. The tests
at look k use that increment as their level, so by the union bound the chance of any false verdict over
all looks is at most sum_k (alpha(t_k) - alpha(t_{k-1})) = alpha(1) = alpha, whatever the correlation
between looks. That is conservative next to boundaries from the joint normal distribution of the looks,
but it holds for exact small-sample tests, whose statistics are far from normal at 5 seeds.
Stopping a variant because it is decided, or equivalent, never adds false verdicts of either direction.
"""

from __future__ import annotations

import math

from scipy.stats import norm

from ganlab.stats.plan import SequentialPlan


def spent(t: float, alpha: float, spending: str) -> float:
    """Cumulative alpha spent by information fraction t in (0, 1]: O'Brien-Fleming-type
    2 - 2 Phi(z_{alpha/2} / sqrt(t)) or Pocock-type alpha ln(1 + (e - 1) t)."""
    if t <= 0:
        return 0.0
    t = min(t, 1.0)
    if spending == "obrien-fleming":
        return float(2 - 2 * norm.cdf(norm.ppf(1 - alpha / 2) / math.sqrt(t)))
    if spending == "pocock":
        return alpha * math.log(1 + (math.e - 1) * t)
    raise ValueError(f"unknown spending {spending!r}; use obrien-fleming or pocock")


def looks(first: int, plan: SequentialPlan) -> list[int]:
    """Seeds per variant at each look: first, first + step, ..., max_seeds (the last look is max_seeds)."""
    step = plan.step or first
    out = list(range(first, plan.max_seeds, step)) or [first]
    return [*out, plan.max_seeds] if out[-1] < plan.max_seeds else out


def look_alpha(seeds: int, first: int, plan: SequentialPlan, alpha: float) -> float:
    """The level of the tests at the look reached with ``seeds`` seeds (the increment of alpha spent there).

    Seed counts between looks (a crashed run) use the look below them.
    """
    schedule = looks(first, plan)
    k = max((i for i, n in enumerate(schedule) if n <= seeds), default=0)
    before = spent(schedule[k - 1] / plan.max_seeds, alpha, plan.spending) if k else 0.0
    return spent(schedule[k] / plan.max_seeds, alpha, plan.spending) - before
