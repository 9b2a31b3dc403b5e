"""Fragility of a decided comparison, against hand-computed tables and brute force with scipy/statsmodels."""

from __future__ import annotations

import itertools
import math
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact, mannwhitneyu

from ganlab.stats.fragility import (
    DECIDE_LIMIT,
    family_rule,
    fisher_fragility,
    fisher_to_decide,
    rank_swap_fragility,
    rank_swaps_to_decide,
)
from tests.reference import multipletests


def plain(alpha=0.05):
    return lambda p: p < alpha


def scipy_fisher(k1, n1, k2, n2):
    return fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue


@pytest.mark.parametrize("table,expected", [
    # 5/5 vs 0/5: p = 2/252 = 0.008; 5/5 vs 1/5: p = 0.048 (still < 0.05); 5/5 vs 2/5: p = 0.167. Index 2.
    ((5, 5, 0, 5), 2),
    # 4/4 vs 0/11: p = 1/C(15,4) = 0.0007; 4/4 vs 1/11: 0.004; vs 2/11: 0.011; vs 3/11: 0.026; vs 4/11: 0.077.
    ((4, 4, 0, 11), 4),
    # 3/5 vs 0/5: p = 0.167, not significant: no index.
    ((3, 5, 0, 5), math.nan),
    # Fewer events in arm 1 here: 0/10 vs 8/10 (p = 0.0007); arm 1 gains: 1/10 (0.005), 2/10 (0.023), 3/10 (0.070).
    ((0, 10, 8, 10), 3),
])
def test_fisher_fragility_of_hand_computed_tables(table, expected):
    got = fisher_fragility(*table, plain())
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


def walsh_by_scipy(k1, n1, k2, n2, significant):
    """Walsh's procedure written out with scipy: the arm with fewer events gains events until p >= alpha."""
    if k1 * n2 == k2 * n1 or not significant(scipy_fisher(k1, n1, k2, n2)):
        return math.nan
    higher = k1 * n2 > k2 * n1
    first = (k1, k1 / n1) < (k2, k2 / n2)
    for f in itertools.count(1):
        a, b = (k1 + f, k2) if first else (k1, k2 + f)
        if a > n1 or b > n2:
            return math.nan
        if a * n2 == b * n1 or (a * n2 > b * n1) != higher or not significant(scipy_fisher(a, n1, b, n2)):
            return float(f)
    raise AssertionError


@settings(max_examples=150, deadline=None)
@given(n1=st.integers(1, 12), n2=st.integers(1, 12), data=st.data(),
       others=st.lists(st.floats(0.0001, 1.0), max_size=6), alpha=st.sampled_from([0.05, 0.1]),
       method=st.sampled_from(["holm", "fdr_bh"]))
def test_fisher_fragility_matches_walsh_under_the_corrected_rule(n1, n2, data, others, alpha, method):
    k1, k2 = data.draw(st.integers(0, n1)), data.draw(st.integers(0, n2))
    ours = family_rule([*others, math.nan], len(others), "holm" if method == "holm" else "bh", alpha)

    def theirs(p):  # statsmodels' correction of the same family, this comparison's raw p replaced
        return bool(multipletests([*others, p], alpha=alpha, method=method)[1][-1] < alpha)

    got, want = fisher_fragility(k1, n1, k2, n2, ours), walsh_by_scipy(k1, n1, k2, n2, theirs)
    assert (math.isnan(got) and math.isnan(want)) or got == want


def test_the_correction_makes_a_result_more_fragile():
    # 4/4 vs 0/11 alone survives 3 flips; in a family of 10 under Holm its p must stay below 0.005:
    # 4/4 vs 1/11 (p 0.0037) does, 4/4 vs 2/11 (p 0.011) does not.
    family = [0.0007, *[0.5] * 9]
    assert fisher_fragility(4, 4, 0, 11, plain()) == 4
    assert fisher_fragility(4, 4, 0, 11, family_rule(family, 0, "holm", 0.05)) == 2


def _labelled(x, y):
    """(pooled values sorted, True where the variant holds the value, scipy's exact test of a labelling)."""
    pooled = np.sort(np.r_[x, y])

    def test(labels):
        xs, ys = pooled[np.array(labels)], pooled[~np.array(labels)]
        res = mannwhitneyu(xs, ys, method="exact", alternative="two-sided")
        return res.pvalue, np.sign(res.statistic - len(xs) * len(ys) / 2)

    return tuple(v in set(x) for v in pooled), test


def _brute_search(start, stop, limit=math.inf):
    """Breadth first over labellings (no ties): swap a variant and a baseline value adjacent in the pooled
    order; the depth of the first labelling where ``stop`` holds, inf when none within ``limit`` swaps."""
    seen, queue = {start}, deque([(start, 0)])
    while queue:
        labels, depth = queue.popleft()
        if depth >= limit:
            continue
        for i in range(len(labels) - 1):
            if labels[i] != labels[i + 1]:
                nxt = list(labels)
                nxt[i], nxt[i + 1] = nxt[i + 1], nxt[i]
                state = tuple(nxt)
                if state in seen:
                    continue
                if stop(state):
                    return float(depth + 1)
                seen.add(state)
                queue.append((state, depth + 1))
    return math.inf


def brute_swaps(x, y, significant):
    """Swaps until the result is no longer significant on its side; p from scipy's exact Mann-Whitney."""
    start, test = _labelled(x, y)
    p, side = test(start)
    if not significant(p) or side == 0:
        return math.nan

    def undone(labels):
        p, s = test(labels)
        return not significant(p) or s != side

    found = _brute_search(start, undone)
    return math.nan if math.isinf(found) else found


@settings(max_examples=60, deadline=None)
@given(n1=st.integers(2, 6), n2=st.integers(2, 6), shift=st.integers(0, 3), seed=st.integers(0, 10_000),
       alpha=st.sampled_from([0.047, 0.093, 0.19]))  # no exact p lands on these: no float tie at the boundary
def test_rank_swap_fragility_matches_a_brute_force_search_with_scipy(n1, n2, shift, seed, alpha):
    rng = np.random.default_rng(seed)
    values = rng.permutation(n1 + n2).astype(float)  # distinct values
    x, y = np.sort(values[:n1]) + 0.0, values[n1:]
    # Push the variant up by whole arm lengths: values stay distinct (a fractional shift made ties, which
    # scipy's exact mode does not handle).
    x = x + shift * (n1 + n2)
    got, want = rank_swap_fragility(x, y, plain(alpha)), brute_swaps(x, y, plain(alpha))
    assert (math.isnan(got) and math.isnan(want)) or got == want


def test_rank_swap_fragility_hand_computed():
    # 5 vs 5, the variant all above: U = 25, exact two-sided p = 2/252 = 0.008. One swap: U = 24, p = 4/252 =
    # 0.016; two swaps: U = 23, p = 8/252 = 0.032 (still < 0.05); three: U = 22, p = 14/252 = 0.056. Index 3.
    x, y = [6, 7, 8, 9, 10], [1, 2, 3, 4, 5]
    assert rank_swap_fragility(x, y, plain()) == 3
    assert rank_swap_fragility(y, x, plain()) == 3  # the other direction alike
    assert math.isnan(rank_swap_fragility([1, 6, 3, 8, 5], [2, 7, 4, 9, 10], plain()))  # not significant


def enumerated_p(xs, ys):
    """Two-sided exact Mann-Whitney p on mid-ranks by listing every split (scipy's exact mode assumes no ties)."""
    from scipy.stats import rankdata

    ranks = rankdata(np.r_[xs, ys])
    n1, centre = len(xs), len(xs) * (len(ranks) + 1) / 2
    obs = abs(ranks[:n1].sum() - centre)
    sums = np.array([ranks[list(c)].sum() for c in itertools.combinations(range(len(ranks)), n1)])
    return float(np.mean(np.abs(sums - centre) >= obs - 1e-9)), np.sign(ranks[:n1].sum() - centre)


@pytest.mark.parametrize("x,y", [
    ([5.0, 6.0, 7.0, 8.0], [0.0, 0.0, 0.0, 0.0, 1.0]),  # collapsed baseline runs tie at 0
    ([3.0, 3.0, 4.0, 4.0, 4.0], [0.0, 1.0, 1.0, 2.0, 3.0]),  # ties within and across the arms
])
def test_rank_swap_fragility_with_ties_matches_brute_force(x, y):
    significant = plain(0.1)
    pooled = sorted(x + y)
    start = tuple(sorted(x))
    ok = enumerated_p(list(start), y)
    assert ok[0] < 0.1
    # States: which multiset of values the variant holds; a swap exchanges a variant value with a baseline
    # value that is the next distinct value up or down.
    distinct = sorted(set(pooled))
    seen, queue, found = {start}, deque([(start, 0)]), math.nan
    while queue and math.isnan(found):
        held, depth = queue.popleft()
        rest = list(pooled)
        for v in held:
            rest.remove(v)
        for v in set(held):
            i = distinct.index(v)
            for w in (distinct[i - 1] if i else None, distinct[i + 1] if i + 1 < len(distinct) else None):
                if w is None or w not in rest:
                    continue
                nxt = list(held)
                nxt[nxt.index(v)] = w
                state = tuple(sorted(nxt))
                if state in seen:
                    continue
                others = list(rest)
                others[others.index(w)] = v
                p, side = enumerated_p(list(state), others)
                if not (p < 0.1 and side == ok[1]):
                    found = float(depth + 1)
                    break
                seen.add(state)
                queue.append((state, depth + 1))
            if not math.isnan(found):
                break
    assert rank_swap_fragility(x, y, significant) == found


# --- the other way: how many changed outcomes would decide a result that is not decided ---

def fisher_to_decide_by_scipy(k1, n1, k2, n2, significant, limit):
    """Every table over both arms, nearest first (changed outcomes = |a - k1| + |b - k2|), p from scipy."""
    if k1 * n2 != k2 * n1 and significant(scipy_fisher(k1, n1, k2, n2)):
        return math.nan
    found = [abs(a - k1) + abs(b - k2) for a in range(n1 + 1) for b in range(n2 + 1)
             if a * n2 != b * n1 and significant(scipy_fisher(a, n1, b, n2))]
    best = min(found, default=math.inf)
    return float(best) if best <= limit else math.inf


@settings(max_examples=150, deadline=None)
@given(n1=st.integers(1, 12), n2=st.integers(1, 12), data=st.data(), alpha=st.sampled_from([0.05, 0.1, 0.01]))
def test_fisher_to_decide_matches_a_search_over_every_table(n1, n2, data, alpha):
    k1, k2 = data.draw(st.integers(0, n1)), data.draw(st.integers(0, n2))
    got = fisher_to_decide(k1, n1, k2, n2, plain(alpha))
    want = fisher_to_decide_by_scipy(k1, n1, k2, n2, plain(alpha), DECIDE_LIMIT)
    assert (math.isnan(got) and math.isnan(want)) or got == want


def test_fisher_to_decide_hand_computed():
    # 0/4 vs 0/11 at 0.05: 4/4 vs 0/11 gives p = 1/C(15,4) = 0.0007, 3/4 vs 0/11 gives 0.011 (both < 0.05);
    # 2/4 vs 0/11 gives 0.057. So 3 runs turned failed decide it.
    assert fisher_to_decide(0, 4, 0, 11, plain()) == 3
    assert math.isnan(fisher_to_decide(4, 4, 0, 11, plain()))  # decided already
    assert fisher_to_decide(0, 1, 0, 1, plain()) == math.inf  # 1 vs 1 run can never be significant


def brute_swaps_to_decide(x, y, significant, limit):
    """Swaps (scipy's exact p) until the result is significant either way; inf past ``limit``."""
    start, test = _labelled(x, y)

    def decided(labels):
        p, side = test(labels)
        return side != 0 and significant(p)

    return math.nan if decided(start) else _brute_search(start, decided, limit)


@settings(max_examples=60, deadline=None)
@given(n1=st.integers(1, 6), n2=st.integers(1, 6), seed=st.integers(0, 10_000),
       alpha=st.sampled_from([0.047, 0.093, 0.19]))
def test_rank_swaps_to_decide_matches_a_brute_force_search_with_scipy(n1, n2, seed, alpha):
    values = np.random.default_rng(seed).permutation(n1 + n2).astype(float)
    x, y = values[:n1], values[n1:]
    got = rank_swaps_to_decide(x, y, plain(alpha))
    want = brute_swaps_to_decide(x, y, plain(alpha), DECIDE_LIMIT)
    assert (math.isnan(got) and math.isnan(want)) or got == want


def test_rank_swaps_to_decide_hand_computed():
    # 5 vs 5 interleaved, [1,3,5,7,9] vs [2,4,6,8,10]: U = 10; a decision at 0.05 needs U <= 2 (p = 0.032),
    # U = 3 gives p = 0.056. Each neighbour swap moves U by 1: 8 swaps down to U = 2 (the way up, to
    # U >= 23, is longer).
    assert rank_swaps_to_decide([1, 3, 5, 7, 9], [2, 4, 6, 8, 10], plain()) == 8
    assert math.isnan(rank_swaps_to_decide([6, 7, 8, 9, 10], [1, 2, 3, 4, 5], plain()))  # decided already
    # At 0.01 only U = 0 (p = 2/252 = 0.008) decides it: 10 swaps, the most the search goes.
    assert rank_swaps_to_decide([1, 3, 5, 7, 9], [2, 4, 6, 8, 10], plain(0.01)) == 10
    # Below the floor of 2/252 nothing can: inf.
    assert rank_swaps_to_decide([1, 3, 5, 7, 9], [2, 4, 6, 8, 10], plain(0.005)) == math.inf


def test_a_swap_search_past_its_memory_bound_says_unknown_not_far():
    # 12 values each held once by either arm (ties of two): 3^12-odd arrangements, more than the search may
    # hold. At alpha 0.001 the answer is not known when the bound is hit, so it is NaN, never "more than 10".
    x = y = np.arange(12.0)
    assert math.isnan(rank_swaps_to_decide(x, y, plain(0.001)))
    # Without ties no search is needed (each swap moves U by one): 10 vs 10 interleaved (U = 45) is more than
    # 10 swaps from p < 0.001, which is known, not guessed. By enumeration of all C(20, 10) splits: the nearest
    # U ten swaps away, 35 (|U - 50| = 15), still has p >= 0.001.
    x, y = np.arange(0, 20, 2.0), np.arange(1, 20, 2.0)
    assert rank_swaps_to_decide(x, y, plain(0.001)) == math.inf
    u = np.array([sum(c) - 45 for c in itertools.combinations(range(20), 10)])
    assert np.mean(np.abs(u - 50) >= 15) >= 0.001
