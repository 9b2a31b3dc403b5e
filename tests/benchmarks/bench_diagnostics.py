"""Online detector overhead: the training loop with detectors on and off, side by side in one run.

Run: pytest tests/benchmarks/bench_diagnostics.py -m benchmark --benchmark-enable -s
Target: online detectors (every detector in `stop_on`, checked every `check_every` steps; periodic
evaluation excluded) add at most 3% to the step time.
"""

from __future__ import annotations

import statistics
import time

import pytest
import torch

from ganlab.config import GanlabConfig, apply_overrides
from ganlab.data import build_dataset
from ganlab.schema import EVENT_KINDS, RunRecord
from ganlab.train import Trainer
from ganlab.train.run import Clock, _loop

pytestmark = pytest.mark.benchmark

STEPS = 300
BASE = {"data.dataset": "stacked-digits", "data.resolution": 16, "data.channels": 3, "model.width": 64,
        "train.batch_size": 64, "train.steps": STEPS, "train.checkpoint_every": 10**6, "train.device": "cpu",
        "diagnostics.eval_every": 0}
MODES = {
    "off": {"diagnostics.enabled": False},
    # Every detector runs online (stop_on), with patience so long that none stops the run.
    "on": {"diagnostics.stop_on": list(EVENT_KINDS), "diagnostics.patience": 10**6},
}


def loop_seconds(mode: str, tmp_path) -> float:
    cfg = apply_overrides(GanlabConfig(), {**BASE, **MODES[mode]})
    trainer = Trainer(cfg, build_dataset(cfg.data), torch.device("cpu"))
    t0 = time.perf_counter()
    record = RunRecord(run_id="bench", status="running", steps_done=0, steps_total=STEPS, wall_time_s=0.0,
                       versions={}, device="cpu", git_commit=None, started_at="")
    _loop(trainer, [], Clock(), tmp_path, record, progress=False)
    return time.perf_counter() - t0


def test_online_detector_overhead(tmp_path):
    times: dict[str, list[float]] = {"off": [], "on": []}
    loop_seconds("off", tmp_path)  # warm-up
    for _ in range(4):
        for mode in times:
            times[mode].append(loop_seconds(mode, tmp_path))
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    overhead = on / off - 1
    print(f"\nonline detectors: {on / STEPS * 1e3:.2f} ms/step on vs {off / STEPS * 1e3:.2f} ms/step off "
          f"(overhead {overhead:+.1%}; medians of 4 interleaved {STEPS}-step loops)")
    assert overhead <= 0.03


@pytest.mark.parametrize("mode", ["off", "on"])
def test_loop_with_detectors(benchmark, mode, tmp_path):
    benchmark.group = "online-detectors"
    benchmark.pedantic(loop_seconds, args=(mode, tmp_path), rounds=3, iterations=1)


# --- a check's cost does not grow with the log -----------------------------------------------------


def _check_seconds(rows: list[dict], engine: str) -> float:
    """Median seconds of one check of 50 new rows at the end of ``rows``, ``engine`` incremental or batch."""
    import pandas as pd

    from ganlab.config import DiagnosticsConfig
    from ganlab.diagnostics import IncrementalDetector, detect

    config = DiagnosticsConfig()
    times = []
    if engine == "incremental":
        detector = IncrementalDetector(config)
        detector.extend(rows[:-500])
        for n in range(len(rows) - 500, len(rows), 50):
            t0 = time.perf_counter()
            detector.extend(rows[n : n + 50])
            detector.episodes()
            times.append(time.perf_counter() - t0)
    else:
        for n in range(len(rows) - 150, len(rows), 50):
            t0 = time.perf_counter()
            detect(pd.DataFrame(rows[: n + 50]), config)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def test_check_cost_is_flat_in_the_log_length():
    import numpy as np

    from tests.diagnostics.traces import Shape, healthy

    found = {}
    for steps in (2_000, 20_000):
        log = healthy(Shape(steps=steps, seed=1))
        rows = [{k: v for k, v in r.items() if not (k.startswith("eval_") and np.isnan(v))}
                for r in log.to_dict("records")]
        for engine in ("incremental", "batch"):
            found[engine, steps] = _check_seconds(rows, engine)
    print("\ncheck of 50 new rows, all five detectors: " + ", ".join(
        f"{engine} at {steps} rows {seconds * 1e3:.1f} ms" for (engine, steps), seconds in found.items()))
    # Incremental: flat (within noise) from 2k to 20k rows; the batch re-run grows with the log.
    assert found["incremental", 20_000] < 2 * found["incremental", 2_000]
    assert found["incremental", 20_000] < found["batch", 20_000] / 10
