"""The training-speed levers of issue 11, each measured against the plain setting in one interleaved run.

Run: pytest tests/benchmarks/bench_levers.py -m benchmark --benchmark-enable -s
Levers (the main job's step: 16x16, width 64 and 128, batch 64, CPU, one and two threads):
- ``channels_last`` memory format for G, D and the real batch;
- the fused Adam step (``fused=True``) instead of the default ``foreach`` one;
- both together (what ``Trainer`` uses).
Target: the trainer's setting is at least 5% faster per step than the plain one at width 64, one thread
(the main job's setting). Recomputing G's output is already avoided (G's update reuses the D step's fake).
"""

from __future__ import annotations

import statistics
import time

import pytest
import torch

from ganlab.config import GanlabConfig, apply_overrides
from ganlab.data import build_dataset
from ganlab.train import Trainer

pytestmark = pytest.mark.benchmark

LEVERS = ("plain", "channels_last", "fused", "both")
ROUNDS, STEPS = 7, 30


def trainer_with(lever: str, width: int) -> Trainer:
    config = apply_overrides(GanlabConfig(), {
        "data.resolution": 16, "data.channels": 3, "model.nz": 64, "model.width": width,
        "train.batch_size": 64, "diagnostics.enabled": False})
    tr = Trainer(config, build_dataset(config.data), torch.device("cpu"))
    tr.memory_format = torch.channels_last if lever in ("channels_last", "both") else torch.contiguous_format
    tr.G, tr.D = tr.G.to(memory_format=tr.memory_format), tr.D.to(memory_format=tr.memory_format)
    fused = lever in ("fused", "both")
    t = config.train
    tr.opt_g = torch.optim.Adam(tr.G.parameters(), lr=t.lr_g, betas=(t.beta1, t.beta2), fused=fused)
    tr.opt_d = torch.optim.Adam(tr.D.parameters(), lr=t.lr_d, betas=(t.beta1, t.beta2), fused=fused)
    return tr


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("width", [64, 128])
def test_levers_side_by_side(benchmark, width, threads):
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        trainers = {lever: trainer_with(lever, width) for lever in LEVERS}
        for tr in trainers.values():
            for _ in range(5):
                tr.step()
        times: dict[str, list[float]] = {lever: [] for lever in LEVERS}
        for _ in range(ROUNDS):  # interleaved, so a burst of load hits every lever alike
            for lever, tr in trainers.items():
                start = time.perf_counter()
                for _ in range(STEPS):
                    tr.step()
                times[lever].append((time.perf_counter() - start) / STEPS * 1000)
        ms = {lever: statistics.median(v) for lever, v in times.items()}
        benchmark.pedantic(trainers["both"].step, rounds=3, iterations=1)
    finally:
        torch.set_num_threads(previous)
    benchmark.extra_info.update({f"{k}_ms": round(v, 2) for k, v in ms.items()})
    print(f"\nwidth {width}, {threads} thread(s): " + ", ".join(
        f"{k} {v:.1f} ms ({ms['plain'] / v:.2f}x)" for k, v in ms.items()))
    if width == 64 and threads == 1:
        assert ms["both"] <= 0.95 * ms["plain"]
