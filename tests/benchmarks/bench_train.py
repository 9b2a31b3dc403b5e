"""One training step: ganlab's trainer against a minimal plain PyTorch DCGAN loop, side by side.

Run: pytest tests/benchmarks/bench_train.py -m benchmark --benchmark-enable
Target: ganlab reaches at least 0.95 of the plain loop's steps/s (same shapes, batch 64, 32x32, CPU).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganlab.config import GanlabConfig, apply_overrides
from ganlab.data import build_dataset
from ganlab.train import Trainer

pytestmark = pytest.mark.benchmark

CONFIG = apply_overrides(GanlabConfig(), {
    "data.dataset": "stacked-digits", "data.resolution": 32, "data.channels": 3, "model.width": 128,
    "train.batch_size": 64, "train.device": "cpu", "diagnostics.enabled": False,
})


def plain_dcgan(nz=100, w=128, c=3):
    """The pytorch/examples DCGAN, cut to 32x32."""
    G = nn.Sequential(
        nn.ConvTranspose2d(nz, w, 4, 1, 0, bias=False), nn.BatchNorm2d(w), nn.ReLU(True),  # w x 4 x 4
        nn.ConvTranspose2d(w, w // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(w // 2), nn.ReLU(True),  # 8 x 8
        nn.ConvTranspose2d(w // 2, w // 4, 4, 2, 1, bias=False), nn.BatchNorm2d(w // 4), nn.ReLU(True),  # 16 x 16
        nn.ConvTranspose2d(w // 4, c, 4, 2, 1, bias=False), nn.Tanh(),  # c x 32 x 32
    )
    D = nn.Sequential(
        nn.Conv2d(c, w // 4, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),  # 16 x 16
        nn.Conv2d(w // 4, w // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(w // 2), nn.LeakyReLU(0.2, True),  # 8 x 8
        nn.Conv2d(w // 2, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.LeakyReLU(0.2, True),  # 4 x 4
        nn.Conv2d(w, 1, 4, 1, 0, bias=False),  # 1 x 1 x 1
    )
    return G, D


def make_plain_step():
    torch.manual_seed(0)
    G, D = plain_dcgan()
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    data = build_dataset(CONFIG.data)
    gen = torch.Generator().manual_seed(0)

    def step():
        real = data.sample(64, gen)[0]
        D.zero_grad()
        out_real = D(real).view(-1)
        fake = G(torch.randn(64, 100, 1, 1))
        out_fake = D(fake.detach()).view(-1)
        loss_d = F.binary_cross_entropy_with_logits(out_real, torch.ones_like(out_real)) + \
            F.binary_cross_entropy_with_logits(out_fake, torch.zeros_like(out_fake))
        loss_d.backward()
        opt_d.step()
        G.zero_grad()
        out = D(fake).view(-1)
        loss_g = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
        loss_g.backward()
        opt_g.step()
        d_x, d_g_z = torch.sigmoid(out_real).mean().item(), torch.sigmoid(out_fake).mean().item()
        return loss_d.item(), loss_g.item(), d_x, d_g_z

    return step


def make_ganlab_step():
    trainer = Trainer(CONFIG, build_dataset(CONFIG.data), torch.device("cpu"))
    return trainer.step


@pytest.mark.parametrize("impl", ["plain", "ganlab"])
def test_train_step(benchmark, impl):
    step = make_plain_step() if impl == "plain" else make_ganlab_step()
    for _ in range(3):  # warm-up: allocator and lazy init
        step()
    benchmark.group = "train-step-32x32-batch64"
    benchmark.pedantic(step, rounds=30, iterations=1)


def test_ganlab_step_keeps_up_with_the_plain_loop():
    """Both steps measured interleaved in one run, so machine noise hits both alike."""
    import time

    steps = {"plain": make_plain_step(), "ganlab": make_ganlab_step()}
    times = {name: [] for name in steps}
    for _ in range(3):
        for step in steps.values():
            step()
    for _ in range(20):
        for name, step in steps.items():
            t0 = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - t0)
    median = {name: sorted(t)[len(t) // 2] for name, t in times.items()}
    ratio = median["plain"] / median["ganlab"]  # ganlab steps/s relative to the plain loop's
    print(f"\nganlab/plain steps-per-second ratio: {ratio:.3f} (plain {median['plain'] * 1e3:.1f} ms, "
          f"ganlab {median['ganlab'] * 1e3:.1f} ms)")
    assert ratio >= 0.95
