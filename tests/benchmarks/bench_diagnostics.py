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
