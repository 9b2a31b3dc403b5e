"""The larger null and power simulations of the verdict pipeline (the default suite runs 2,000 sweeps each).

Run: pytest tests/benchmarks/bench_stats.py -m benchmark --benchmark-enable -s
Each prints the share of null sweeps with any better/worse (must stay at most alpha + 2 MC errors) and the
power for the pooling-like shift at 5, 6 and 8 seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganlab.stats.plan import SequentialPlan
from ganlab.stats.sequential import look_alpha
from tests.stats.test_null_and_power import PLAN, any_claim, null_arm, power, sequential_null_share, verdicts

pytestmark = pytest.mark.benchmark
N = 10_000


def bound(n: int) -> float:
    return PLAN.alpha + 2 * math.sqrt(PLAN.alpha * (1 - PLAN.alpha) / n)


@pytest.mark.parametrize("baseline_seeds", [5, 10])
def test_null_10k_sweeps(benchmark, baseline_seeds):
    def run() -> float:
        rng = np.random.default_rng(100 + baseline_seeds)
        alpha = {f"v{i}": PLAN.alpha for i in range(8)}
        claims = sum(any_claim(verdicts({v: null_arm(rng, 5) for v in alpha}, null_arm(rng, baseline_seeds), alpha))
                     for _ in range(N))
        return claims / N

    share = benchmark.pedantic(run, rounds=1, iterations=1)
    print(f"\nnull, 8 variants x 5 seeds vs {baseline_seeds} baseline seeds: any claim in {share:.4f} of {N} sweeps")
    assert share <= bound(N)


def test_null_sequential_10k_sweeps(benchmark):
    seq = SequentialPlan(max_seeds=10)
    a1, a2 = look_alpha(5, 5, seq, PLAN.alpha), look_alpha(10, 5, seq, PLAN.alpha)

    def run() -> float:
        return sequential_null_share(np.random.default_rng(7), N, 5, a1, a2)

    share = benchmark.pedantic(run, rounds=1, iterations=1)
    print(f"\nnull with sequential seeds (looks at 5 and 10): any claim in {share:.4f} of {N} sweeps")
    assert share <= bound(N)


def test_power_pooling_like_shift(benchmark):
    rng = np.random.default_rng(1)
    shares = benchmark.pedantic(lambda: {n: power(n, 2000, rng) for n in (5, 6, 8)}, rounds=1, iterations=1)
    print(f"\npower (share of sweeps deciding 'better'): {shares}")
    assert shares[5] == 0.0 and shares[6] >= 0.95


def test_null_with_time_to_failure_primary(benchmark):
    """The log-rank permutation test as a third primary endpoint: censored failure times decide too."""
    from ganlab.stats.endpoints import compare_endpoint
    from ganlab.stats.plan import AnalysisPlan
    from ganlab.stats.verdict import decide

    plan = AnalysisPlan(primary=("failure", "time_to_failure", "modes"))

    def run() -> float:
        rng = np.random.default_rng(5)
        alpha = {f"v{i}": plan.alpha for i in range(8)}
        claims = 0
        for _ in range(N):
            base = null_arm(rng, 10)
            arms = {v: null_arm(rng, 5) for v in alpha}
            results = {v: [compare_endpoint(e, a, base, plan.alpha, plan.margins.get(e), True) for e in plan.primary]
                       for v, a in arms.items()}
            claims += any_claim({v: d.word for v, d in decide(results, plan.correction, alpha).items()})
        return claims / N

    share = benchmark.pedantic(run, rounds=1, iterations=1)
    print(f"\nnull, primary failure + time_to_failure + modes, 10-seed baseline: any claim in {share:.4f}")
    assert share <= bound(N)
