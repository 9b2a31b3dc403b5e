"""Model builders: ganlab's DCGAN, or the user's own through ``model.generator`` / ``model.discriminator``.

A user's model is named by ``"pkg.mod:factory"`` (``factory(config)``) or by ``{_target_: pkg.mod.Name,
key: value}`` (``Name(key=value)``; ``ganlab.models.target``), then fitted to ganlab's contract by one
probe (``ganlab.models.fit``): z ``(N, nz)`` or ``(N, nz, 1, 1)``; logits, or a final sigmoid's probabilities.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ganlab.config import GanlabConfig
from ganlab.errors import ConfigError
from ganlab.models.dcgan import Discriminator, Generator, dcgan_discriminator, dcgan_generator, init_weights
from ganlab.models.fit import Fit, fit_discriminator, fit_generator
from ganlab.models.target import Target, add_code_roots, instantiate, model_targets, parse_target


def image_shape(config: GanlabConfig) -> tuple[int, int, int]:
    """The data's ``(C, R, R)``; channels 3 until the config is resolved against its dataset."""
    r = config.data.resolution
    return (config.data.channels or 3, r, r)


def _user_model(config: GanlabConfig, key: str, value: str | dict) -> tuple[nn.Module, Target]:
    target = parse_target(key, value)
    net = instantiate(target, config)
    if not isinstance(net, nn.Module):
        raise ConfigError(f"{key}: '{target.path}' returned {type(net).__name__}, expected a torch.nn.Module")
    return net, target


def _build(config: GanlabConfig, value: str | dict | None, key: str, default: Callable[[GanlabConfig], nn.Module],
           fit: Callable[[nn.Module], Fit]) -> tuple[nn.Module, Fit | None]:
    if value is None:
        net = default(config)
        net.apply(init_weights)
        return net, None
    net, _ = _user_model(config, key, value)
    return net, fit(net)


def build_generator_fitted(config: GanlabConfig) -> tuple[nn.Module, Fit | None]:
    """G and how it was fitted (None for ganlab's DCGAN, which needs no probe)."""
    return _build(config, config.model.generator, "model.generator", dcgan_generator,
                  lambda net: fit_generator(net, "model.generator", config.model.nz, image_shape(config)))


def build_discriminator_fitted(config: GanlabConfig) -> tuple[nn.Module, Fit | None]:
    """D and how it was fitted (None for ganlab's DCGAN, which returns logits)."""
    return _build(config, config.model.discriminator, "model.discriminator", dcgan_discriminator,
                  lambda net: fit_discriminator(net, "model.discriminator", image_shape(config), config.train.loss))


def build_generator(config: GanlabConfig) -> nn.Module:
    """G: z ``(N, nz)`` -> ``(N, C, R, R)``."""
    return build_generator_fitted(config)[0]


def build_discriminator(config: GanlabConfig) -> nn.Module:
    """D: ``(N, C, R, R)`` -> logits ``(N,)`` or ``(N, 1)`` (a sigmoid's probabilities are turned into log-odds)."""
    return build_discriminator_fitted(config)[0]


__all__ = ["Discriminator", "Fit", "Generator", "add_code_roots", "build_discriminator", "build_discriminator_fitted",
           "build_generator", "build_generator_fitted", "image_shape", "init_weights", "model_targets"]
