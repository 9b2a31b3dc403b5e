"""How fragile a comparison is: the fewest seeds' outcomes that, changed, would undo its verdict, or, for one
that is not decided, would decide it.

- Rates (Fisher exact): the Fragility Index of Walsh et al. (2014, J Clin Epidemiol 67:622): in the arm with
  fewer events (ties: the lower rate), turn non-events into events one at a time and recompute the exact
  test until the result is no longer significant. The index is the number of turned runs.
- Final metrics (exact Mann-Whitney): the fewest swaps of a variant run's value with a baseline run's value
  that are neighbours in the pooled ranking (no other value strictly between them) after which the result is
  no longer significant in the same direction. Without ties each swap moves U by exactly 1, so the count is
  U's distance to the nearest U that undoes it; with ties the search runs over how many of each tied value
  each arm holds (breadth first, so the count is the minimum).

"Significant" is whatever the caller's decision rule says for a new raw p: the report passes the verdict's own
rule (the raw p replaced in the family of variants x primary endpoints, corrected the same way, compared with
the same alpha). NaN when the result was not significant to begin with or no number of changes undoes it.

The other way round (``*_to_decide``): for a comparison that is not significant, the fewest changed outcomes after
which it is significant in either direction, with the same moves (a run's failed/not-failed status flipped, in
either arm, as in the reverse fragility index of Khan et al. 2020; or neighbour swaps). A rerun on another CPU
moves seeds' outcomes as new seeds would, so an undecided result one or two changes from a decision can come out
decided there. Searched up to ``DECIDE_LIMIT`` changes; ``inf`` beyond that, NaN when already significant
or when the swap search outgrows its memory bound before it can say (either way round: a fragility search
that outgrows it is NaN too; the main job's 6 vs 11 seeds have at most C(17, 6) = 12,376 arrangements, so
it never does there).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from ganlab.stats.basic import finite, fisher_p
from ganlab.stats.exact import rank_null
from ganlab.stats.multiplicity import Correction, adjust

Significant = Callable[[float], bool]  # raw p -> is the comparison still significant?
DECIDE_LIMIT = 10  # changes searched for a decision; beyond this a rerun is not near deciding it
_MAX_STATES = 20_000  # swap search bound (memory); past it the distance is unknown (NaN), not inf


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


def fisher_to_decide(k1: int, n1: int, k2: int, n2: int, significant: Significant) -> float:
    """Fewest runs whose failed/not-failed status, flipped (either arm), makes k1/n1 against k2/n2 significant;
    NaN when it is significant now, inf when no change of up to ``DECIDE_LIMIT`` does."""
    if n1 <= 0 or n2 <= 0:
        return math.nan
    if k1 * n2 != k2 * n1 and significant(fisher_p(k1, n1, k2, n2)):
        return math.nan
    for changes in range(1, DECIDE_LIMIT + 1):
        for da in range(-changes, changes + 1):
            for db in {changes - abs(da), abs(da) - changes}:
                a, b = k1 + da, k2 + db
                if 0 <= a <= n1 and 0 <= b <= n2 and a * n2 != b * n1 and significant(fisher_p(a, n1, b, n2)):
                    return float(changes)
    return math.inf


def rank_swap_fragility(x: ArrayLike, y: ArrayLike, significant: Significant) -> float:
    """Fewest neighbour swaps between the arms (module docstring) that undo the exact Mann-Whitney result of
    ``x`` against ``y`` (two-sided, mid-ranks); NaN when not significant now. NaN values are dropped."""
    ranks = _Ranks.of(x, y)
    if ranks is None:
        return math.nan
    side = ranks.side(ranks.start_sum)
    if side == 0 or not ranks.holds(ranks.start_sum, side, significant):
        return math.nan
    found = ranks.search(lambda total: not ranks.holds(total, side, significant), math.inf)
    return math.nan if math.isinf(found) else found


def rank_swaps_to_decide(x: ArrayLike, y: ArrayLike, significant: Significant) -> float:
    """Fewest neighbour swaps between the arms after which the exact Mann-Whitney result of ``x`` against ``y``
    is significant in either direction; NaN when it is significant now (or an arm is empty, or the search
    outgrows ``_MAX_STATES`` first), inf when no search of up to ``DECIDE_LIMIT`` swaps finds one."""
    ranks = _Ranks.of(x, y)
    if ranks is None:
        return math.nan

    def decided(total: int) -> bool:
        side = ranks.side(total)
        return side != 0 and ranks.holds(total, side, significant)

    if decided(ranks.start_sum):
        return math.nan
    return ranks.search(decided, DECIDE_LIMIT)


class _Ranks:
    """The pooled ranking of two arms as states: how many of arm 1's runs sit at each distinct value. A state's
    doubled rank sum travels with it (a swap changes it by the gap between two groups' mid-ranks)."""

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        pooled = np.r_[a, b]
        values, self.ties = np.unique(pooled, return_counts=True)
        doubled = np.rint(2 * rankdata(values.repeat(self.ties))).astype(int)
        self.group_rank = [int(doubled[i]) for i in np.cumsum(self.ties) - 1]  # a tie shares its mid-rank
        self.null = rank_null(tuple(sorted(doubled.tolist())), len(a))
        self.start = tuple(int(np.sum(a == v)) for v in values)
        self.start_sum = sum(c * r for c, r in zip(self.start, self.group_rank, strict=True))

    @classmethod
    def of(cls, x: ArrayLike, y: ArrayLike) -> _Ranks | None:
        a, b = finite(x), finite(y)
        return cls(a, b) if len(a) and len(b) else None

    def side(self, total: int) -> int:
        return int(np.sign(total - self.null.centre))

    def holds(self, total: int, side: int, significant: Significant) -> bool:
        return self.side(total) == side and significant(self.null.p(total)[0])

    def search(self, stop: Callable[[int], bool], limit: float) -> float:
        """Breadth first from ``start`` (so the count is the minimum): depth of the first state whose rank sum
        satisfies ``stop``; inf when none within ``limit`` swaps; NaN when ``_MAX_STATES`` states were seen
        first."""
        if all(t == 1 for t in self.ties):
            return self._walk(stop, limit)
        seen, queue = {self.start}, deque([(self.start, self.start_sum, 0)])
        while queue:
            held, total, depth = queue.popleft()
            if depth >= limit:
                continue
            for j in range(len(held) - 1):
                for src, dst in ((j, j + 1), (j + 1, j)):  # arm 1 gives a run at src, takes the other's at dst
                    if held[src] == 0 or held[dst] == self.ties[dst]:
                        continue
                    nxt = list(held)
                    nxt[src] -= 1
                    nxt[dst] += 1
                    state = tuple(nxt)
                    if state in seen:
                        continue
                    moved = total + self.group_rank[dst] - self.group_rank[src]
                    if stop(moved):
                        return float(depth + 1)
                    seen.add(state)
                    if len(seen) > _MAX_STATES:
                        return math.nan
                    queue.append((state, moved, depth + 1))
        return math.inf

    def _walk(self, stop: Callable[[int], bool], limit: float) -> float:
        """``search`` without ties: every neighbour swap moves U by exactly 1 (the doubled rank sum by 2), and
        from any arrangement U can move by 1 either way until its end (some run of one arm sits just above a
        run of the other), so the fewest swaps to a rank sum is how many unit steps away it is."""
        n1 = sum(self.start)
        low = n1 * (n1 + 1)  # doubled rank sum with arm 1 at the bottom (U = 0)
        high = low + 2 * n1 * (len(self.start) - n1)  # U = n1 n2
        steps = 1
        while steps <= limit and (self.start_sum - 2 * steps >= low or self.start_sum + 2 * steps <= high):
            if any(low <= t <= high and stop(t) for t in (self.start_sum - 2 * steps, self.start_sum + 2 * steps)):
                return float(steps)
            steps += 1
        return math.inf
