"""A user's own generator, importable by path as a config names it (``_target_`` / ``pkg.module:factory``)."""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn


class Generator(nn.Module):
    """pytorch/examples' DCGAN generator, small: z ``(N, nz, 1, 1)`` -> ``(N, 1, 16, 16)`` in [-1, 1]."""

    def __init__(self, nz: int = 8, width: int = 8):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, width * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(width * 2), nn.ReLU(True),
            # state size. (width*2) x 4 x 4
            nn.ConvTranspose2d(width * 2, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True),
            # state size. (width) x 8 x 8
            nn.ConvTranspose2d(width, 1, 4, 2, 1, bias=False), nn.Tanh(),
            # state size. 1 x 16 x 16
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.main(z)


def sequential_generator(config: Any) -> nn.Module:
    """The same layers as an ``nn.Sequential`` built by a factory (``config``: ganlab's, for ``model.nz``)."""
    return Generator(config.model.nz, 8).main
