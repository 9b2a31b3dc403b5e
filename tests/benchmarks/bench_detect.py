"""Offline ``detect`` (what ``ganlab diagnose`` and the end of every run call) on a long log.

Run: pytest tests/benchmarks/bench_detect.py -m benchmark --benchmark-enable -s
Target: every detector, default thresholds, on a 10,000-row log (one row per step) in under half a second.
"""

from __future__ import annotations

import numpy as np
import pytest

from ganlab.config import DiagnosticsConfig
from ganlab.diagnostics import detect
from tests.diagnostics.traces import Shape, healthy, inject_dominance

pytestmark = pytest.mark.benchmark


def test_detect_on_a_10k_row_log(benchmark):
    log = inject_dominance(healthy(Shape(steps=10_000, seed=11)), 6000, "grad_norm_g", np.random.default_rng(0))
    config = DiagnosticsConfig()
    detect(log, config)  # warm-up: first calls pay for imports and caches
    benchmark.group = "detect"
    events = benchmark.pedantic(detect, args=(log, config), rounds=5, iterations=1)
    assert [e.kind for e in events] == ["d_dominance"]
    median = benchmark.stats.stats.median
    print(f"\ndetect on 10k rows: median {median * 1e3:.0f} ms")
    assert median < 0.5
