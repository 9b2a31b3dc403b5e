"""The one way ganlab draws random numbers for a run, z and G's samples.

Every random stream of a run comes from the run seed through ``stream_seed(seed, role)``:
``numpy.random.SeedSequence(seed, spawn_key=(role index,))``, one stream per role in ``STREAMS``.
No two (seed, role) pairs share a stream (seed s's data order is not seed s+1's anything), and a
variant that changes only G keeps D's initial weights and the data order of the baseline at the
same seed (and vice versa): common random numbers, which sharpen comparisons between variants.

The trainer's sample grids, its periodic evaluation and its final metrics, and ``ganlab score RUN_DIR``
all come through here, so they agree on three things:

- G's output is mapped back from ``data.range`` to [-1, 1], the scale every metric reads;
- z follows ``train.z_distribution`` (normal, uniform, or the run's one constant vector);
- G runs in train mode (batch statistics, as it was trained) on a copy, so its BN buffers stay untouched,
  in chunks of ``CHUNK`` (chunking changes batch statistics, so it is fixed here, once);
- the final samples' z and the periodic evaluation's z each come from their own stream, derived from the seed,
  that no other role uses, so how many images a sample grid shows (``output.samples``) changes no number.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.config import GanlabConfig
from ganlab.data.range import from_data_range

CHUNK = 1000  # samples per G forward pass; the periodic evaluation (<= 1000 by default) is one chunk
# The trainer's layout (a measured speed lever, docs/performance.md). G runs in it everywhere it samples:
# kernels differ between layouts in the last bits, and `score` must reproduce `final_metrics` exactly.
MEMORY_FORMAT = torch.channels_last
# The roles, in spawn-key order; append new roles at the end so existing streams keep their numbers.
STREAMS = ("g_init", "d_init", "data", "train_z", "fixed_z", "final_z", "eval_real", "eval_z")
# Part of every run id (``ganlab.train.rundir``): runs drawn from older streams are retrained, not reused.
# 3: the periodic evaluation's z has its own stream (it used to continue the sample grid's, so
# ``output.samples``, which the id leaves out, changed the logged eval values).
STREAMS_VERSION = 3


def stream_seed(seed: int, role: str) -> int:
    """A 63-bit seed for ``role``'s stream of run ``seed`` (``STREAMS``); independent across seeds and roles."""
    state = np.random.SeedSequence(seed, spawn_key=(STREAMS.index(role),)).generate_state(1, np.uint64)[0]
    return int(state) >> 1


def stream(seed: int, role: str, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch generator on ``device`` seeded for ``role`` of run ``seed``."""
    return torch.Generator(device=device).manual_seed(stream_seed(seed, role))


def fixed_stream(config: GanlabConfig) -> tuple[Tensor, torch.Generator]:
    """The run's constant z ``(1, nz)`` and the generator of its fixed z batches, which continues after it.

    On the CPU whatever the training device, so a GPU run and ``ganlab score`` on a CPU draw the same z.
    """
    generator = stream(config.seed, "fixed_z")
    constant = torch.randn(1, config.model.nz, generator=generator)
    return constant, generator


def eval_z(config: GanlabConfig, constant: Tensor) -> Tensor:
    """The periodic evaluation's z ``(diagnostics.eval_samples, nz)`` on the CPU, from its own stream."""
    return draw_z(config, config.diagnostics.eval_samples, stream(config.seed, "eval_z"), constant)


def final_generator(seed: int) -> torch.Generator:
    """A CPU generator for the final samples' z of run ``seed``."""
    return stream(seed, "final_z")


def real_generator(seed: int) -> torch.Generator:
    """The generator of the real samples an evaluation compares against (the same draw for a seed)."""
    return stream(seed, "eval_real")


def draw_z(config: GanlabConfig, n: int, generator: torch.Generator, constant: Tensor) -> Tensor:
    """z ``(n, nz)`` from ``train.z_distribution``, on ``generator``'s device (``constant`` is ``(1, nz)``)."""
    kind, nz = config.train.z_distribution, config.model.nz
    if kind == "constant":
        return constant.expand(n, -1)
    if kind == "uniform":
        return torch.rand(n, nz, generator=generator, device=generator.device) * 2 - 1
    return torch.randn(n, nz, generator=generator, device=generator.device)


def non_finite_samples(images: Tensor) -> int:
    """How many of ``images`` ``(N, ...)`` hold a NaN or Inf anywhere."""
    if len(images) == 0:
        return 0
    return int((~torch.isfinite(images.detach().reshape(len(images), -1))).any(dim=1).sum())


@torch.no_grad()
def generate(generator_net: nn.Module, z: Tensor, data_range: tuple[float, float] = (-1.0, 1.0)) -> Tensor:
    """G(z) ``(N, C, R, R)``, float, mapped back from ``data_range`` (G's training range) to [-1, 1], in
    train mode on a copy of G, ``CHUNK`` at a time. The default range leaves G's output as it is."""
    net = copy.deepcopy(generator_net).train().to(memory_format=MEMORY_FORMAT)  # type: ignore[call-overload]  # torch stubs lack memory_format
    images = torch.cat([net(z[i : i + CHUNK]).float() for i in range(0, len(z), CHUNK)])
    return from_data_range(images, data_range)


def final_samples(generator_net: nn.Module, config: GanlabConfig, *, n: int | None = None,
                  seed: int | None = None, device: torch.device | str = "cpu") -> Tensor:
    """The samples a run's ``final_metrics`` are computed on: ``n`` (default ``diagnostics.final_samples``)
    images ``(n, C, R, R)`` on the CPU, mapped back from ``data.range`` to [-1, 1], z from the final stream
    of ``seed`` (default the run's seed)."""
    n = config.diagnostics.final_samples if n is None else n
    constant, _ = fixed_stream(config)
    z = draw_z(config, n, final_generator(config.seed if seed is None else seed), constant)
    return generate(generator_net, z.to(device), config.data.range).cpu()
