"""Build the report of a 100-run synthetic sweep (10 variants x 10 seeds, 2000 logged steps per run).

Run: pytest tests/benchmarks/bench_report.py -m benchmark --benchmark-enable -s
Target: at most 30 s on a 2-core CPU.
"""

from __future__ import annotations

import time

import pytest

from ganlab.report import build_report
from ganlab.testing.synthetic import make_sweep

pytestmark = pytest.mark.benchmark

TARGET_S = 30.0
VARIANTS = {"baseline": {}, **{f"variant_{i}": {"model.batchnorm": "none"} if i % 2 else {"model.d_activation": "relu"}
                               for i in range(9)}}
FAIL = {name: 0.1 + 0.08 * i for i, name in enumerate(VARIANTS)}


@pytest.fixture(scope="module")
def sweep_100(tmp_path_factory):
    return make_sweep(tmp_path_factory.mktemp("bench") / "sweep", VARIANTS, seeds=10, steps=2000, fail=FAIL,
                      checkpoint_every=250, name="bench")


def test_report_of_100_runs(benchmark, sweep_100, tmp_path):
    times = []

    def build():
        t0 = time.perf_counter()
        out = build_report(sweep_100, tmp_path / "bench.html")
        times.append(time.perf_counter() - t0)
        return out

    benchmark.group = "report-100-runs"
    out = benchmark.pedantic(build, rounds=3, iterations=1)
    best = min(times)
    print(f"\nreport of 100 runs: best {best:.1f} s of {len(times)} (all: {', '.join(f'{t:.1f}' for t in times)}); "
          f"{out.stat().st_size / 1e6:.1f} MB")
    assert best <= TARGET_S
