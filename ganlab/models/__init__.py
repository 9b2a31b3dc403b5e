"""Model builders: ganlab's DCGAN, or the user's own through ``model.generator: "pkg.mod:factory"``."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from torch import nn

from ganlab.config import GanlabConfig
from ganlab.errors import ConfigError
from ganlab.models.dcgan import Discriminator, Generator, dcgan_discriminator, dcgan_generator, init_weights


def _import_factory(path: str, key: str) -> Callable[[GanlabConfig], nn.Module]:
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigError(f"{key}: cannot import module '{module_name}' ({err})") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ConfigError(f"{key}: module '{module_name}' has no callable '{attr}'")
    return factory


def _build(config: GanlabConfig, path: str | None, key: str, default: Callable[[GanlabConfig], nn.Module]):
    if path is None:
        net = default(config)
        net.apply(init_weights)
        return net
    net = _import_factory(path, key)(config)
    if not isinstance(net, nn.Module):
        raise ConfigError(f"{key}: '{path}' returned {type(net).__name__}, expected a torch.nn.Module")
    return net


def build_generator(config: GanlabConfig) -> nn.Module:
    """G: z ``(N, nz)`` -> ``(N, C, R, R)``. User factories are called as ``factory(config)``."""
    return _build(config, config.model.generator, "model.generator", dcgan_generator)


def build_discriminator(config: GanlabConfig) -> nn.Module:
    """D: ``(N, C, R, R)`` -> logits ``(N,)`` or ``(N, 1)``."""
    return _build(config, config.model.discriminator, "model.discriminator", dcgan_discriminator)


__all__ = ["Discriminator", "Generator", "build_discriminator", "build_generator", "init_weights"]
