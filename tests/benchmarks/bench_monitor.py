"""``ganlab.Monitor``'s per-step overhead: a hand-written DCGAN loop bare and with a monitor, side by side.

Run: pytest tests/benchmarks/bench_monitor.py -m benchmark --benchmark-enable -s
Target: with evaluation off, the monitor (every detector checked every ``check_every`` steps, gradient
norms of G and D read each step) adds at most 3% to the step time.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from ganlab import Monitor
from ganlab.monitor import real_dataset
from ganlab.schema import EVENT_KINDS

pytestmark = pytest.mark.benchmark

STEPS, NZ, WIDTH, BATCH = 300, 64, 64, 64
SETTINGS = {"eval_every": 0, "stop_on": list(EVENT_KINDS), "patience": 10**6}


def models() -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(0)
    G = nn.Sequential(
        nn.ConvTranspose2d(NZ, WIDTH * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(WIDTH * 2), nn.ReLU(True),  # 4x4
        nn.ConvTranspose2d(WIDTH * 2, WIDTH, 4, 2, 1, bias=False), nn.BatchNorm2d(WIDTH), nn.ReLU(True),  # 8x8
        nn.ConvTranspose2d(WIDTH, 3, 4, 2, 1, bias=False), nn.Tanh())  # 3 x 16 x 16
    D = nn.Sequential(
        nn.Conv2d(3, WIDTH, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),  # 8x8
        nn.Conv2d(WIDTH, WIDTH * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(WIDTH * 2), nn.LeakyReLU(0.2, True),  # 4x4
        nn.Conv2d(WIDTH * 2, 1, 4, 1, 0, bias=False))  # logits
    return G, D


def loop_seconds(monitored: bool, run_dir: Path, real: torch.Tensor) -> float:
    G, D = models()
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    monitor = Monitor(run_dir, real, SETTINGS) if monitored else None
    batches = torch.Generator().manual_seed(1)
    t0 = time.perf_counter()
    for _ in range(STEPS):
        x = real[torch.randint(len(real), (BATCH,), generator=batches)]
        fake = G(torch.randn(BATCH, NZ, 1, 1))
        opt_d.zero_grad()
        out_real, out_fake = D(x).view(-1), D(fake.detach()).view(-1)
        loss_d = bce(out_real, torch.ones_like(out_real)) + bce(out_fake, torch.zeros_like(out_fake))
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        out = D(fake).view(-1)
        loss_g = bce(out, torch.ones_like(out))
        loss_g.backward()
        opt_g.step()
        if monitor is not None:
            monitor.step(loss_d, loss_g, out_real, out_fake, G=G, D=D)
        else:  # the bare loop reads its losses too, as every loop that prints them does
            loss_d.item(), loss_g.item()
    seconds = time.perf_counter() - t0
    if monitor is not None:
        monitor.close()
    return seconds


@pytest.fixture(scope="module")
def real() -> torch.Tensor:
    return real_dataset("stacked-digits", resolution=16).sample(2048, torch.Generator().manual_seed(0))[0]


def test_monitor_overhead(tmp_path: Path, real: torch.Tensor) -> None:
    torch.set_num_threads(1)
    times: dict[bool, list[float]] = {False: [], True: []}
    loop_seconds(False, tmp_path / "warm", real)
    for i in range(5):
        for monitored in times:
            times[monitored].append(loop_seconds(monitored, tmp_path / f"run{i}", real))
    bare, monitored = statistics.median(times[False]), statistics.median(times[True])
    overhead = monitored / bare - 1
    print(f"\nganlab.Monitor: {monitored / STEPS * 1e3:.2f} ms/step vs {bare / STEPS * 1e3:.2f} ms/step bare "
          f"(overhead {overhead:+.1%}; medians of 5 interleaved {STEPS}-step loops)")
    assert overhead <= 0.03


@pytest.mark.parametrize("monitored", [False, True], ids=["bare", "monitor"])
def test_loop_with_monitor(benchmark, monitored: bool, tmp_path: Path, real: torch.Tensor) -> None:
    benchmark.group = "monitor"
    benchmark.pedantic(loop_seconds, args=(monitored, tmp_path / "run", real), rounds=3, iterations=1)
