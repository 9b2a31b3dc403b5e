"""Fit a user's G and D to ganlab's contract, found by one forward pass on a copy of each.

ganlab draws z as ``(N, nz)`` and trains on logits ``(N,)``. A G written for z ``(N, nz, 1, 1)`` (as
pytorch/examples' DCGAN) gets a pre-hook that reshapes z; a D whose output is the output of an
``nn.Sigmoid`` (probabilities) gets a hook that returns the log-odds of those probabilities, with each log
clamped at -100 as ``nn.BCELoss`` clamps it, so the logit losses (nonsaturating, minimax) compute exactly
``nn.BCELoss`` on D's probabilities. Hinge and least squares are defined on a critic's scores, not on
probabilities: with such a D they are refused. The probes run in eval mode on a deep copy, under a
forked RNG, so building a model draws no random number and moves no batchnorm statistic.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganlab.errors import ConfigError

PROBE_N = 2  # images per probe (batchnorm in eval mode takes any batch)
LOG_FLOOR = -100.0  # nn.BCELoss clamps each log at -100
LOGIT_LOSSES = ("nonsaturating", "minimax")  # the losses that are BCE, so defined on probabilities too


@dataclass(frozen=True)
class Fit:
    """How a model was fitted: ``z_as_image`` (G takes ``(N, nz, 1, 1)``), ``probabilities`` (D ends in a sigmoid)."""

    z_as_image: bool = False
    probabilities: bool = False
    output_shape: tuple[int, ...] = ()


def _z_as_image(_module: nn.Module, args: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    z = args[0]
    return (z.view(*z.shape, 1, 1), *args[1:]) if z.dim() == 2 else args


def probability_logits(p: Tensor) -> Tensor:
    """``log p - log(1 - p)``, each log clamped at -100: ``softplus(-l) == BCE(p, 1)``, ``softplus(l) == BCE(p, 0)``."""
    return torch.clamp(torch.log(p), min=LOG_FLOOR) - torch.clamp(torch.log1p(-p), min=LOG_FLOOR)


def _to_logits(_module: nn.Module, _args: tuple[Tensor, ...], output: Tensor) -> Tensor:
    return probability_logits(output)


def _shape(shape: tuple[int, ...]) -> str:
    return "(N, " + ", ".join(map(str, shape[1:])) + ")" if shape else "()"


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0][:160] if text else ''}"


def _input(net: nn.Module, shape: tuple[int, ...], z: bool) -> Tensor:
    """A probe batch on the module's device (random on the CPU; shapes only on the meta device)."""
    device = next((t.device for t in (*net.parameters(), *net.buffers())), torch.device("cpu"))
    if device.type == "meta":
        return torch.empty(shape, device=device)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=gen) if z else torch.rand(shape, generator=gen) * 2 - 1
    return x.to(device)


@torch.no_grad()
def _probe(net: nn.Module, x: Tensor, sigmoid_outputs: list[Tensor] | None = None) -> Tensor:
    with torch.random.fork_rng(devices=[]):
        copy_ = copy.deepcopy(net).eval()
        if sigmoid_outputs is not None:
            for m in copy_.modules():
                if isinstance(m, nn.Sigmoid):
                    m.register_forward_hook(lambda _m, _a, out: sigmoid_outputs.append(out))
        return copy_(x)


def fit_generator(net: nn.Module, key: str, nz: int, image_shape: tuple[int, int, int]) -> Fit:
    """Probe G with z ``(2, nz)``, then ``(2, nz, 1, 1)`` (hooking the reshape in when only that works); its
    images must be the data's ``image_shape`` ``(C, R, R)``."""
    errors = []
    for z_as_image in (False, True):
        z = _input(net, (PROBE_N, nz, *((1, 1) if z_as_image else ())), z=True)
        try:
            out = _probe(net, z)
        except Exception as err:  # noqa: BLE001 - a wrong z shape raises anything; both failures are reported
            errors.append(_first_line(err))
            continue
        break
    else:
        raise ConfigError(f"{key}: G fails on z of size model.nz = {nz}, as (N, {nz}) ({errors[0]}) and as "
                          f"(N, {nz}, 1, 1) ({errors[1]}); set model.nz to the size G takes")
    shape, expected = tuple(out.shape), (PROBE_N, *image_shape)
    if shape != expected:
        raise ConfigError(f"{key}: G makes images {_shape(shape)} but the data is {_shape(expected)} (data.channels "
                          f"{image_shape[0]}, data.resolution {image_shape[1]}); change G's arguments, or set "
                          "data.resolution/data.channels to what G makes")
    if z_as_image:
        net.register_forward_pre_hook(_z_as_image)
    return Fit(z_as_image=z_as_image, output_shape=shape)


def fit_discriminator(net: nn.Module, key: str, image_shape: tuple[int, int, int], loss: str) -> Fit:
    """Probe D with images ``(2, C, R, R)``: one value per image, and whether they are a sigmoid's output."""
    x = _input(net, (PROBE_N, *image_shape), z=False)
    sigmoids: list[Tensor] = []
    try:
        out = _probe(net, x, sigmoids)
    except Exception as err:  # noqa: BLE001 - whatever D raises on the data's shape is the one line
        raise ConfigError(f"{key}: D fails on the data's images {_shape(x.shape)} (data.channels, "
                          f"data.resolution): {_first_line(err)}; D must take images of that shape") from None
    if out.numel() != PROBE_N or out.shape[0] != PROBE_N:
        raise ConfigError(f"{key}: D returns {out.numel()} values (shape {tuple(out.shape)}) for {PROBE_N} images "
                          f"{_shape(x.shape)}; it must return one value per image, (N,) or (N, 1) (is D built for "
                          "another data.resolution?)")
    flat = out.reshape(-1)
    # On the meta device there are no values to compare; a sigmoid's output is then recognised by identity.
    probabilities = any(s.numel() == flat.numel() and (s is out if flat.is_meta else torch.equal(s.reshape(-1), flat))
                        for s in sigmoids)
    if probabilities and loss not in LOGIT_LOSSES:
        raise ConfigError(f"{key}: D ends in nn.Sigmoid (it returns probabilities) but train.loss '{loss}' needs "
                          f"unbounded scores; use train.loss {' or '.join(LOGIT_LOSSES)}, or end D without the sigmoid")
    if probabilities:
        net.register_forward_hook(_to_logits)
    return Fit(probabilities=probabilities, output_shape=tuple(out.shape))
