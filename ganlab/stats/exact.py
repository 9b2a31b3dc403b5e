"""Exact permutation tests: Mann-Whitney (mid-ranks, ties allowed) and the log-rank test, plus their floors.

Both statistics are sums of per-run scores over arm 1 (mid-ranks; log-rank scores): under the null every
split of the pooled scores into n1 + n2 is equally likely. Mann-Whitney's doubled mid-ranks are integers,
so its null is counted exactly for any arm size by dynamic programming over (subset size, score sum).
The log-rank null is enumerated exactly when there are at most ``ENUMERATE_LIMIT`` splits, else drawn by
Monte Carlo with ``MC_RESAMPLES`` resamples (fixed seed, so a report is reproducible) and the Monte Carlo
error is returned. Mann-Whitney's table costs (arm size) x (rank sum) cells, which grows as the cube of the
runs (29.8 GiB at 1000 vs 1000), so above ``EXACT_MAX_RUNS`` runs (and ``ENUMERATE_LIMIT`` splits) its null is
drawn by the same Monte Carlo. Null distributions are cached per (pooled scores, n1).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from ganlab.stats.basic import finite, fisher_p

ENUMERATE_LIMIT = 100_000
MC_RESAMPLES = 20_000
# Runs in one comparison (variant + baseline seeds) up to which Mann-Whitney's null is an exact table. The main
# job (6 vs 11) and every realistic GAN sweep sit far below; 50 vs 50 takes well under a second.
EXACT_MAX_RUNS = 100
_DRAW_BLOCK = 1 << 22  # random numbers per Monte Carlo block (32 MiB), whatever the arm sizes
# Two sums closer than this (relative to the score scale) count as equal: float sums of mid-ranks.
_TOL = 1e-9


@dataclass(frozen=True)
class PermTest:
    """A two-sided permutation p-value. ``mc_error`` is its Monte Carlo standard error (0 when exact)."""

    p: float
    statistic: float  # the arm-1 score sum minus its null mean (> 0: arm 1 ranks high / fails more)
    exact: bool
    mc_error: float = 0.0


NAN_TEST = PermTest(math.nan, math.nan, True)


@lru_cache(maxsize=32)
def _splits(n: int, k: int) -> np.ndarray:
    """Every k-subset of range(n) as rows of a (C(n, k), k) index array."""
    return np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), k)), dtype=np.int32,
                       count=math.comb(n, k) * k).reshape(-1, k)


@lru_cache(maxsize=8192)
def _null(scores: tuple[float, ...], n1: int) -> tuple[np.ndarray, bool]:
    """(sorted |sum - mean| over the null splits, exact?) for pooled ``scores`` (sorted) and arm size n1."""
    s = np.asarray(scores)
    n = len(s)
    if math.comb(n, n1) <= ENUMERATE_LIMIT:
        sums = s[_splits(n, n1)].sum(axis=1)
        exact = True
    else:
        sums = _drawn_sums(s, n1)
        exact = False
    return np.sort(np.abs(sums - n1 * s.mean())), exact


def _drawn_sums(values: np.ndarray, n1: int) -> np.ndarray:
    """Arm-1 sums of ``values`` over ``MC_RESAMPLES`` uniformly random splits (fixed seed). Drawn in blocks of
    rows so memory stays bounded at any arm size; the rows are the same as drawn all at once."""
    rng = np.random.default_rng(20240601)
    rows = max(1, _DRAW_BLOCK // len(values))
    out = []
    for start in range(0, MC_RESAMPLES, rows):
        idx = np.argsort(rng.random((min(rows, MC_RESAMPLES - start), len(values))), axis=1)[:, :n1]
        out.append(values[idx].sum(axis=1))
    return np.concatenate(out)


def perm_test(scores: ArrayLike, n1: int) -> PermTest:
    """Two-sided permutation test of sum(scores[:n1]) against all splits of ``scores`` (arm 1 first).

    p = P(|S - E S| >= |s_obs - E S|). Monte Carlo: p = (1 + hits) / (1 + R), which is never 0.
    """
    s = np.asarray(scores, dtype=float)
    if n1 <= 0 or n1 >= len(s):
        return NAN_TEST
    obs = float(s[:n1].sum() - n1 * s.mean())
    # The observed split is placed in the null on the same rounded scores the null is built from: placed by
    # the raw ones it could sit beyond the null's most extreme split by more than the tolerance (p was 0).
    r = np.round(s, 9)
    devs, exact = _null(tuple(np.sort(r).tolist()), n1)
    # Each rounded score is off by up to 5e-10, so two splits with the same exact sum can be n1 x 1e-9 apart
    # once rounded (5 logrank scores in ninths, 9 runs: two of the five splits tied with the observed one fell
    # outside a tolerance of 1e-9); on top of that, float addition error relative to the scale.
    tol = n1 * 1e-9 + _TOL * max(1.0, float(np.abs(r).max()))
    hits = len(devs) - int(np.searchsorted(devs, abs(float(r[:n1].sum() - n1 * r.mean())) - tol, side="left"))
    if exact:
        return PermTest(min(1.0, hits / len(devs)), obs, True)
    p = (1 + hits) / (1 + len(devs))
    return PermTest(p, obs, False, math.sqrt(p * (1 - p) / len(devs)))


@dataclass(frozen=True)
class RankNull:
    """The null of arm 1's doubled mid-rank sum S over all splits of the pooled doubled mid-ranks.

    Exact (``pmf``: P(S = s), s = 0..sum) when the table is cheap, else ``MC_RESAMPLES`` drawn values of
    |S - E S| (``draws``, sorted).
    """

    centre: int  # E S = n1 (n + 1)
    pmf: np.ndarray | None
    draws: np.ndarray | None

    @property
    def exact(self) -> bool:
        return self.pmf is not None

    def p(self, total: int) -> tuple[float, float]:
        """(two-sided p = P(|S - E S| >= |total - E S|), its Monte Carlo standard error or 0 when exact)."""
        dev = abs(int(total) - self.centre)
        if self.pmf is not None:
            far = np.abs(np.arange(len(self.pmf)) - self.centre) >= dev
            return min(1.0, float(self.pmf[far].sum())), 0.0
        assert self.draws is not None
        hits = len(self.draws) - int(np.searchsorted(self.draws, dev, side="left"))
        p = (1 + hits) / (1 + len(self.draws))
        return p, math.sqrt(p * (1 - p) / len(self.draws))


def mannwhitney_is_drawn(n1: int, n2: int) -> bool:
    """Whether Mann-Whitney's null at ``n1`` vs ``n2`` runs is drawn by Monte Carlo rather than counted."""
    return n1 + n2 > EXACT_MAX_RUNS and math.comb(n1 + n2, n1) > ENUMERATE_LIMIT


@lru_cache(maxsize=8192)
def rank_null(doubled: tuple[int, ...], n1: int) -> RankNull:
    """The null of the arm-1 sum of n1 of the pooled doubled mid-ranks ``doubled`` (sorted).

    Exact up to ``EXACT_MAX_RUNS`` runs, or wherever there are at most ``ENUMERATE_LIMIT`` splits, by counting:
    f[k, s] = number of k-subsets of the items seen so far with sum s; adding an item of value w moves each
    (k, s) to (k + 1, s + w). Beyond, Monte Carlo.
    """
    n = len(doubled)
    centre = n1 * (n + 1)
    if mannwhitney_is_drawn(n1, n - n1):
        sums = _drawn_sums(np.asarray(doubled, dtype=np.int64), n1)
        return RankNull(centre, None, np.sort(np.abs(sums - centre)))
    total = sum(doubled)
    f = np.zeros((n1 + 1, total + 1))
    f[0, 0] = 1.0
    for w in doubled:
        f[1:, w:] = f[1:, w:] + f[:-1, : total + 1 - w]
    return RankNull(centre, f[n1] / f[n1].sum(), None)


def mannwhitney(x: ArrayLike, y: ArrayLike) -> tuple[PermTest, float]:
    """Two-sided Mann-Whitney test of x against y on mid-ranks, and U = #{x > y} + #{x = y} / 2.

    Ties are handled exactly: the null is the distribution of the arm-1 sum over all splits of the observed
    mid-ranks (no normal approximation): counted exactly, or past ``EXACT_MAX_RUNS`` runs drawn by Monte Carlo
    with its error returned. p = P(|S - E S| >= |s_obs - E S|). NaN values are dropped; an empty arm gives
    (NaN test, NaN).
    """
    a, b = finite(x), finite(y)
    if len(a) == 0 or len(b) == 0:
        return NAN_TEST, math.nan
    n1, n = len(a), len(a) + len(b)
    doubled = np.rint(2 * rankdata(np.r_[a, b])).astype(int)  # mid-ranks are multiples of 1/2
    u = float(doubled[:n1].sum() / 2 - n1 * (n1 + 1) / 2)
    centre = n1 * (n + 1)  # E of the doubled sum: the mean doubled rank is n + 1
    null = rank_null(tuple(sorted(doubled.tolist())), n1)
    p, error = null.p(int(doubled[:n1].sum()))
    return PermTest(p, (doubled[:n1].sum() - centre) / 2, null.exact, error), u


def logrank_scores(times: ArrayLike, observed: ArrayLike) -> np.ndarray:
    """Log-rank scores a_i = delta_i - H(t_i), H the pooled Nelson-Aalen cumulative hazard at t_i.

    sum over arm 1 of a_i is exactly O_1 - E_1 of the log-rank test, and the scores do not depend on the
    labels, so permuting labels permutes which scores land in arm 1.
    """
    t = np.asarray(times, dtype=float)
    e = np.asarray(observed, dtype=bool)
    event_times = np.unique(t[e])
    hazard = np.array([np.sum(e & (t == u)) / np.sum(t >= u) for u in event_times])
    cumulative = np.cumsum(hazard)
    upto = np.searchsorted(event_times, t, side="right")
    h = np.where(upto > 0, cumulative[np.maximum(upto - 1, 0)] if len(cumulative) else 0.0, 0.0)
    return e.astype(float) - h


def logrank(t1: ArrayLike, e1: ArrayLike, t2: ArrayLike, e2: ArrayLike) -> PermTest:
    """Permutation log-rank test of arm 1 against arm 2 (two-sided). statistic > 0: arm 1 fails sooner.

    NaN when an arm is empty or no run in either arm failed (nothing to compare).
    """
    a1, a2 = np.asarray(e1, dtype=bool), np.asarray(e2, dtype=bool)
    if len(a1) == 0 or len(a2) == 0 or not (a1.any() or a2.any()):
        return NAN_TEST
    scores = logrank_scores(np.r_[np.asarray(t1, float), np.asarray(t2, float)], np.r_[a1, a2])
    return perm_test(scores, len(a1))


@lru_cache(maxsize=1024)
def floor(test: str, n1: int, n2: int) -> float:
    """The smallest two-sided p ``test`` ("fisher", "mannwhitney", "logrank") can give for arms of n1, n2.

    Found by running the test on the most extreme outcomes (all of arm 1 beyond all of arm 2, and the
    reverse), so it is the floor of the test actually run: 2 / C(n1+n2, n1) for Mann-Whitney without ties
    (5 vs 5: 2/252), 1 / C(n1+n2, n1) for Fisher with unequal arms. Where a null is drawn by Monte Carlo
    (large arms) the floor is that of the drawn p, which is never below 1 / (1 + ``MC_RESAMPLES``).
    """
    if n1 <= 0 or n2 <= 0:
        return 1.0
    if test == "fisher":
        return min(fisher_p(n1, n1, 0, n2), fisher_p(0, n1, n2, n2))
    if test == "mannwhitney":
        if mannwhitney_is_drawn(n1, n2):  # a drawn p is never below (1 + 0) / (1 + resamples)
            return max(1 / (1 + MC_RESAMPLES), float(Fraction(2, math.comb(n1 + n2, n1))))
        return mannwhitney(np.arange(n1), 100.0 + np.arange(n2))[0].p
    if test == "logrank":
        early, late = np.arange(1.0, n1 + 1), np.full(n2, n1 + 1.0)
        one = logrank(early, np.ones(n1, bool), late, np.zeros(n2, bool)).p
        other = logrank(np.full(n1, n2 + 1.0), np.zeros(n1, bool), np.arange(1.0, n2 + 1), np.ones(n2, bool)).p
        return min(one, other)
    raise ValueError(f"unknown test {test!r}; use fisher, mannwhitney or logrank")


@lru_cache(maxsize=1024)
def u_null_pmf(m: int, n: int) -> np.ndarray:
    """P(U = u), u = 0..m*n, for the Mann-Whitney U of arms of m and n without ties (exact recursion
    f(u; m, n) = f(u - n; m - 1, n) + f(u; m, n - 1), normalised by C(m + n, m))."""
    f = np.zeros((m + 1, n + 1, m * n + 1))
    f[0, :, 0] = 1.0
    f[:, 0, 0] = 1.0
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            f[i, j] = f[i, j - 1]
            f[i, j, j:] += f[i - 1, j, : m * n + 1 - j]
    return f[m, n] / math.comb(m + n, m)
