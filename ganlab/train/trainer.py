"""The trainer: G, D, their optimizers and RNG streams, and ``step()``, one G update after its D updates.

It holds the models' state only; the loop, the log and ``run.json`` belong to ``ganlab.train.run``.
On CPU, the same config gives bit-identical steps, and a restored trainer continues exactly where the
saved one stopped.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from ganlab.config import GanlabConfig, apply_overrides
from ganlab.config.short_run import fitted_collapse_min_steps
from ganlab.data import ImageDataset, build_dataset
from ganlab.data.range import to_data_range
from ganlab.losses import LOSSES
from ganlab.models import build_discriminator, build_generator
from ganlab.sampling import MEMORY_FORMAT, draw_z, eval_z, fixed_stream, generate, stream, stream_seed
from ganlab.schema import STEP_VALUES


def resolve_config(config: GanlabConfig, dataset: ImageDataset | None = None) -> GanlabConfig:
    """Fill in defaults that depend on the data: ``data.channels`` and ``model.width``; and fit
    ``diagnostics.collapse_min_steps`` to a short run (``ganlab.config.short_run``)."""
    dataset = dataset or build_dataset(config.data)
    resolved: dict[str, object] = {"data.channels": dataset.channels, "model.width": config.width}
    fitted = fitted_collapse_min_steps(config)
    if fitted != config.diagnostics.collapse_min_steps:  # runs of 2 x collapse_min_steps or more: untouched
        resolved["diagnostics.collapse_min_steps"] = fitted
        resolved["diagnostics.collapse_needs_duplicates"] = True
    return apply_overrides(config, resolved, origin="resolved")


def _grad_norm(module: nn.Module) -> Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    return torch.nn.utils.get_total_norm(grads) if grads else torch.zeros(())


def _first_non_finite_grad(prefix: str, module: nn.Module) -> str:
    """The first parameter whose gradient (or its norm, which overflows first) is not finite."""
    for name, p in module.named_parameters():
        if p.grad is not None and not torch.isfinite(torch.linalg.vector_norm(p.grad)):
            return f"grad of {prefix}.{name}"
    return f"grad norm of {prefix}"


class Trainer:
    """Holds one run's state; ``step()`` is one generator update and its ``n_critic`` D updates."""

    def __init__(self, config: GanlabConfig, dataset: ImageDataset, device: torch.device):
        self.config, self.dataset, self.device = config, dataset, device
        t = config.train
        # G and D are initialised from streams of their own: a change to one leaves the other's weights.
        # channels_last and the fused Adam step are the two measured speed levers (docs/performance.md).
        self.memory_format = MEMORY_FORMAT
        torch.manual_seed(stream_seed(config.seed, "g_init"))
        self.G = build_generator(config).to(device, memory_format=self.memory_format)  # type: ignore[call-overload]
        torch.manual_seed(stream_seed(config.seed, "d_init"))
        self.D = build_discriminator(config).to(device, memory_format=self.memory_format)  # type: ignore[call-overload]
        fused = device.type in ("cpu", "cuda")
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=t.lr_g, betas=(t.beta1, t.beta2), fused=fused)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=t.lr_d, betas=(t.beta1, t.beta2), fused=fused)
        self.loss = LOSSES[t.loss]
        # Separate streams, so sampling images or z never shifts the other (or evaluation).
        self.data_gen = stream(config.seed, "data")
        self.z_gen = stream(config.seed, "train_z", device)
        # Sample grids and evaluation use fixed z batches from the same distribution G is trained on,
        # so a generator fed a constant z is judged on the one image it learned to make. Evaluation's z has
        # a stream of its own: the grid's size (output.samples, not in the run id) changes no logged number.
        constant, fixed = fixed_stream(config)
        self.constant_z = constant.to(device)
        self.fixed_z = draw_z(config, config.output.samples, fixed, constant).to(device)
        self.eval_z = eval_z(config, constant).to(device)
        self.step_done = 0

    def sample_z(self, n: int) -> Tensor:
        """Training z ``(n, nz)`` from ``train.z_distribution``."""
        return draw_z(self.config, n, self.z_gen, self.constant_z)

    def step(self) -> dict[str, float]:
        """One G update after ``n_critic`` D updates; returns this step's ``STEP_VALUES`` (may be NaN/Inf)."""
        bs = self.config.train.batch_size
        for _ in range(self.config.train.n_critic):
            real = self.dataset.sample(bs, self.data_gen)[0].to(self.device, non_blocking=True)
            real = to_data_range(real, self.config.data.range).contiguous(memory_format=self.memory_format)
            fake = self.G(self.sample_z(bs))
            self.opt_d.zero_grad(set_to_none=True)
            real_logits = self.D(real).view(-1)
            fake_logits = self.D(fake.detach()).view(-1)
            loss_d = self.loss.d(real_logits, fake_logits)
            loss_d.backward()
            grad_norm_d = _grad_norm(self.D)
            self.opt_d.step()

        # D's weights need no gradient in G's update; skipping them saves a third of the backward.
        self.D.requires_grad_(False)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g = self.loss.g(self.D(fake).view(-1))
        loss_g.backward()
        grad_norm_g = _grad_norm(self.G)
        self.opt_g.step()
        self.D.requires_grad_(True)

        stacked = torch.stack([
            loss_d.detach(), loss_g.detach(),
            torch.sigmoid(real_logits.detach()).mean(), torch.sigmoid(fake_logits.detach()).mean(),
            grad_norm_d, grad_norm_g, fake.detach().abs().amax(),
        ])
        self.step_done += 1
        return dict(zip(STEP_VALUES, stacked.tolist(), strict=True))  # one device sync per step

    def find_non_finite(self, values: dict[str, float]) -> str:
        """Name the first non-finite tensor of the last step, in the order they were computed."""
        order = [
            ("loss_d", lambda: "loss_d"), ("d_real", lambda: "output of D on real"),
            ("d_fake", lambda: "output of D on fake"), ("grad_norm_d", lambda: _first_non_finite_grad("D", self.D)),
            ("g_out_absmax", lambda: "output of G"), ("loss_g", lambda: "loss_g"),
            ("grad_norm_g", lambda: _first_non_finite_grad("G", self.G)),
        ]
        return next(name() for key, name in order if not math.isfinite(values[key]))

    def images(self, z: Tensor) -> Tensor:
        """G(z) ``(N, C, R, R)`` mapped back to [-1, 1], through ``sampling.generate`` (train mode, on a copy of G)."""
        return generate(self.G, z, self.config.data.range)

    def non_finite_param(self) -> str | None:
        """Name of the first parameter or buffer of G, then D, holding NaN/Inf; None when all are finite."""
        for prefix, module in (("G", self.G), ("D", self.D)):
            for name, tensor in (*module.named_parameters(), *module.named_buffers()):
                if tensor.is_floating_point() and not torch.isfinite(tensor).all():
                    return f"param {prefix}.{name}"
        return None

    def state(self) -> dict[str, Any]:
        """Models, optimizers, step and RNG states: what a checkpoint needs besides the log and clock."""
        return {
            "step": self.step_done, "generator": self.G.state_dict(), "discriminator": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "rng": {"torch": torch.get_rng_state(), "data": self.data_gen.get_state(),
                    "z": self.z_gen.get_state()},
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["generator"])
        self.D.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        torch.set_rng_state(state["rng"]["torch"])
        self.data_gen.set_state(state["rng"]["data"])
        self.z_gen.set_state(state["rng"]["z"])
        self.step_done = state["step"]
