"""How fragile a decided comparison is: the fewest seeds' outcomes that, changed, would undo its verdict.

- Rates (Fisher exact): the Fragility Index of Walsh et al. (2014, J Clin Epidemiol 67:622): in the arm with
  fewer events (ties: the lower rate), turn non-events into events one at a time and recompute the exact
  test until the result is no longer significant. The index is the number of turned runs.
- Final metrics (exact Mann-Whitney): the fewest swaps of a variant run's value with a baseline run's value
  that are neighbours in the pooled ranking (no other value strictly between them) after which the result is
  no longer significant in the same direction. Without ties each swap moves U by exactly 1; with ties the
  search runs over how many of each tied value each arm holds (breadth first, so the count is the minimum).

"Significant" is whatever the caller's decision rule says for a new raw p: the report passes the verdict's own
rule (the raw p replaced in the family of variants x primary endpoints, corrected the same way, compared with
the same alpha). NaN when the result was not significant to begin with or no number of changes undoes it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from ganlab.stats.basic import finite, fisher_p
from ganlab.stats.exact import _rank_null
from ganlab.stats.multiplicity import Correction, adjust

Significant = Callable[[float], bool]  # raw p -> is the comparison still significant?


def family_rule(family_p: Sequence[float], index: int, correction: Correction, alpha: float) -> Significant:
    """The verdict's decision rule for comparison ``index`` of ``family_p``: its raw p replaced by ``p``, the
    family corrected by ``correction`` (the others' raw p unchanged), adjusted p < ``alpha``."""
    base = [float(p) for p in family_p]

    def significant(p: float) -> bool:
        trial = base.copy()
        trial[index] = p
        return bool(adjust(trial, correction)[index] < alpha)

    return significant


def fisher_fragility(k1: int, n1: int, k2: int, n2: int, significant: Significant) -> float:
    """Walsh's Fragility Index of k1/n1 against k2/n2 (Fisher exact, two-sided); NaN when not significant now."""
    if n1 <= 0 or n2 <= 0 or k1 * n2 == k2 * n1 or not significant(fisher_p(k1, n1, k2, n2)):
        return math.nan
    first_higher = k1 * n2 > k2 * n1
    grow_first = (k1, k1 / n1) < (k2, k2 / n2)  # Walsh: the arm with fewer events gains them
    for flips in range(1, (n1 - k1 if grow_first else n2 - k2) + 1):
        a, b = (k1 + flips, k2) if grow_first else (k1, k2 + flips)
        same_side = a * n2 != b * n1 and (a * n2 > b * n1) == first_higher
        if not (same_side and significant(fisher_p(a, n1, b, n2))):
            return float(flips)
    return math.nan


def rank_swap_fragility(x: ArrayLike, y: ArrayLike, significant: Significant) -> float:
    """Fewest neighbour swaps between the arms (module docstring) that undo the exact Mann-Whitney result of
    ``x`` against ``y`` (two-sided, mid-ranks); NaN when not significant now. NaN values are dropped."""
    a, b = finite(x), finite(y)
    if len(a) == 0 or len(b) == 0:
        return math.nan
    pooled = np.r_[a, b]
    values, ties = np.unique(pooled, return_counts=True)
    doubled = np.rint(2 * rankdata(values.repeat(ties))).astype(int)
    group_rank = [int(doubled[i]) for i in np.cumsum(ties) - 1]  # every member of a tie has the same mid-rank
    pmf = _rank_null(tuple(sorted(doubled.tolist())), len(a))
    centre = len(a) * (len(pooled) + 1)  # E of arm 1's doubled rank sum
    deviations = np.abs(np.arange(len(pmf)) - centre)

    def holds(held: tuple[int, ...], side: int) -> bool:
        s = sum(c * r for c, r in zip(held, group_rank, strict=True))
        p = float(pmf[deviations >= abs(s - centre)].sum())
        return int(np.sign(s - centre)) == side and significant(min(1.0, p))

    start = tuple(int(np.sum(a == v)) for v in values)  # arm 1's runs at each distinct value
    s0 = sum(c * r for c, r in zip(start, group_rank, strict=True))
    side = int(np.sign(s0 - centre))
    if side == 0 or not holds(start, side):
        return math.nan
    seen, queue = {start}, deque([(start, 0)])
    while queue:
        held, depth = queue.popleft()
        for j in range(len(held) - 1):
            for src, dst in ((j, j + 1), (j + 1, j)):  # arm 1 gives a run at src, takes the other arm's at dst
                if held[src] == 0 or held[dst] == ties[dst]:
                    continue
                nxt = list(held)
                nxt[src] -= 1
                nxt[dst] += 1
                state = tuple(nxt)
                if state in seen:
                    continue
                if not holds(state, side):
                    return float(depth + 1)
                seen.add(state)
                queue.append((state, depth + 1))
    return math.nan
