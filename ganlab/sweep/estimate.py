"""How long a sweep will take, printed by ``ganlab sweep --dry-run`` before anything is trained.

Two figures, each saying what it rests on:

- **Measured on this machine** when the runs would train on its CPU: a few training steps of every
  variant at the threads each worker gets, one periodic and one final evaluation (when the digit
  classifier is already cached: the dry run trains nothing), and the start-up of a worker process.
  Run times are packed onto the workers longest first. Runs that stop early make the sweep shorter.
- **Counted** for every sweep: the floating-point operations of one training step of every variant
  (torch's ``FlopCounterMode`` on the meta device, so nothing is computed), times the steps and runs,
  and the time that takes at an assumed sustained GPU rate, ``GPU_TFLOPS``. It is an assumption, not
  a measurement; the line says so.
"""

from __future__ import annotations

import heapq
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ganlab.config import GanlabConfig
from ganlab.sweep.task import RunTask

if TYPE_CHECKING:
    from ganlab.data import ImageDataset

# Sustained dense FP32/TF32 rate a DCGAN's small convolutions get on one datacenter GPU: about a third
# of an A100's TF32 peak. An assumption for planning; `ganlab train` on the GPU measures the real rate.
GPU_TFLOPS = 30.0
WARM_UP_STEPS = 3  # the first steps choose and cache the convolution kernels
TIMED_STEPS = 10  # after the warm-up; none when a warm-up step is slower than SLOW_STEP_S
SLOW_STEP_S = 1.0
MAX_CPU_MEASURE_FLOPS = 2e11  # a step above this (the 64x64 study) would take too long to time on a CPU


def step_flops(config: GanlabConfig) -> float:
    """FLOPs of one training step of ``config``'s G and D, on the meta device, as ``Trainer.step`` runs it:
    per D update a G forward and D on real and fake images, then G's update reuses the last fake with
    D's weights frozen (matrix products and convolutions; elementwise work is not counted)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from ganlab.losses import LOSSES
    from ganlab.models import build_discriminator, build_generator

    with torch.device("meta"):
        G, D = build_generator(config), build_discriminator(config)
        bs, c, r = config.train.batch_size, config.data.channels or 3, config.data.resolution
        real = torch.empty(bs, c, r, r)
        loss = LOSSES[config.train.loss]
        with FlopCounterMode(display=False) as counter:
            for _ in range(config.train.n_critic):
                fake = G(torch.empty(bs, config.model.nz))
                loss.d(D(real).view(-1), D(fake.detach()).view(-1)).backward()
            D.requires_grad_(False)
            loss.g(D(fake).view(-1)).backward()
    return float(counter.get_total_flops())


def measure_step_seconds(config: GanlabConfig, dataset: ImageDataset, threads: int) -> float:
    """Seconds per training step of ``config`` on this CPU with ``threads`` torch threads."""
    import torch

    from ganlab.train.trainer import Trainer

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        trainer = Trainer(config, dataset, torch.device("cpu"))
        start = time.perf_counter()
        for _ in range(WARM_UP_STEPS):
            trainer.step()
        warm = (time.perf_counter() - start) / WARM_UP_STEPS
        if warm > SLOW_STEP_S:
            return warm
        start = time.perf_counter()
        for _ in range(TIMED_STEPS):
            trainer.step()
        return (time.perf_counter() - start) / TIMED_STEPS
    finally:
        torch.set_num_threads(previous)


def measure_eval_seconds(dataset: ImageDataset, n: int, full: bool) -> float | None:
    """Seconds ``evaluate`` takes on ``n`` images of ``dataset``; None when that would train a classifier."""
    import torch

    from ganlab.metrics import evaluate
    from ganlab.metrics.classifier import cache_path
    from ganlab.metrics.features import digit_reading, reader_for

    if reader_for(dataset.name) is digit_reading and not cache_path().is_file():
        return None

    images, _ = dataset.sample(n, torch.Generator().manual_seed(0))
    start = time.perf_counter()
    evaluate(images, dataset, full=full)
    return time.perf_counter() - start


def worker_start_seconds() -> float:
    """Seconds a fresh Python takes to import the trainer: what each sweep run pays before its first step."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import ganlab.train.run"], check=True, capture_output=True)
    return time.perf_counter() - start


def makespan(durations: Sequence[float], workers: int) -> float:
    """Wall time of ``durations`` on ``workers`` slots, longest first onto the least loaded slot."""
    slots = [0.0] * max(1, workers)
    for d in sorted(durations, reverse=True):
        heapq.heapreplace(slots, slots[0] + d)
    return max(slots)


def estimate_lines(tasks: Sequence[RunTask], workers: int, threads: int, on_cpu: bool) -> list[str]:
    """The dry run's time estimate: measured CPU wall time (when ``on_cpu``) and the FLOP count."""
    configs = {t.variant: GanlabConfig.model_validate(t.config) for t in tasks}
    flops = {v: step_flops(config) for v, config in configs.items()}
    total_flops = sum(flops[t.variant] * configs[t.variant].train.steps for t in tasks)
    lines = [f"compute: {total_flops / 1e15:.3g} PFLOP in training steps (counted); at an assumed sustained "
             f"{GPU_TFLOPS:g} TFLOP/s on one GPU that is about {_human(total_flops / (GPU_TFLOPS * 1e12))} of "
             "training, evaluation not included (an assumption, not a measurement: time a short "
             "`ganlab train --set train.steps=100` on the GPU)"]
    if not on_cpu:
        return lines
    if max(flops.values()) > MAX_CPU_MEASURE_FLOPS:
        lines.append("time on this CPU: not measured (one step of this size would take too long here)")
        return lines
    from ganlab.data import build_dataset

    datasets = {config.data: build_dataset(config.data) for config in configs.values()}  # usually one
    step_s = {v: measure_step_seconds(config, datasets[config.data], threads) for v, config in configs.items()}
    first = next(iter(configs.values()))
    diag, dataset = first.diagnostics, datasets[first.data]
    cheap = measure_eval_seconds(dataset, diag.eval_samples, full=False) if diag.enabled and diag.eval_every else 0.0
    final = measure_eval_seconds(dataset, diag.final_samples, full=True) if diag.enabled else 0.0
    start = worker_start_seconds()
    per_run = []
    for t in tasks:
        config = configs[t.variant]
        own = config.diagnostics  # a variant may change eval_every or switch diagnostics off
        evals = config.train.steps // own.eval_every if own.enabled and own.eval_every else 0
        per_run.append(start + config.train.steps * step_s[t.variant] + evals * (cheap or 0.0)
                       + ((final or 0.0) if own.enabled else 0.0))
    wall = makespan(per_run, workers)
    slowest, fastest = max(step_s, key=step_s.__getitem__), min(step_s, key=step_s.__getitem__)
    lines.append(
        f"time on this CPU: about {_human(wall)} of wall time for {len(tasks)} runs on {workers} worker(s) x "
        f"{threads} thread(s), if every run goes the full length (early stops shorten it); measured here: "
        f"{1000 * step_s[fastest]:.0f}-{1000 * step_s[slowest]:.0f} ms per step ({fastest} to "
        f"{slowest}), {start:.1f} s worker start-up"
        + (f", {final:.1f} s final evaluation of {diag.final_samples} samples" if final else ""))
    if cheap is None or final is None:
        lines.append("  evaluation not included: the digit classifier is not cached yet; the first run "
                     "trains it once (about a minute)")
    return lines


def _human(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
