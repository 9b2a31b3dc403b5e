"""The DCGAN of Radford, Metz & Chintala (2015), with one switch per architecture guideline.

Defaults are the guidelines. At 64x64 with the default width the generator is the paper's
figure: z -> 4x4x1024 -> 8x8x512 -> 16x16x256 -> 32x32x128 -> 64x64x3.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from torch import Tensor, nn

from ganlab.config import GanlabConfig, ModelConfig

ACTIVATIONS: dict[str, Callable[[float], nn.Module]] = {
    "relu": lambda slope: nn.ReLU(inplace=True),
    "leaky_relu": lambda slope: nn.LeakyReLU(slope, inplace=True),
}


# A plain sigmoid, as before DCGAN: it pairs with data.range [0, 1] (the config loader insists).
OUTPUTS: dict[str, Callable[[], nn.Module]] = {
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "linear": nn.Identity,
}


def _n_scale_steps(resolution: int) -> int:
    steps = int(math.log2(resolution // 4))
    if 4 * 2**steps != resolution:
        raise ValueError(f"resolution must be 4 * 2^k, got {resolution}")
    return steps


def _g_batchnorm(m: ModelConfig) -> tuple[bool, bool]:
    """(hidden layers, output layer) of G get batchnorm."""
    hidden = m.batchnorm in ("both", "generator", "all_layers")
    return hidden, m.batchnorm == "all_layers"


def _d_batchnorm(m: ModelConfig) -> tuple[bool, bool]:
    """(hidden layers, input layer) of D get batchnorm."""
    hidden = m.batchnorm in ("both", "discriminator", "all_layers")
    return hidden, m.batchnorm == "all_layers"


def _bias(m: ModelConfig, normalised: bool) -> bool:
    """A layer followed by batchnorm needs no bias (batchnorm's shift is its offset); one without gets a bias
    under ``model.bias_without_batchnorm``, so an ablation that removes batchnorm keeps the offsets."""
    return m.bias_without_batchnorm and not normalised


def _upsample(kind: str, c_in: int, c_out: int, bias: bool) -> list[nn.Module]:
    """Doubles H and W."""
    if kind == "transposed":
        return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=bias)]
    return [nn.Upsample(scale_factor=2, mode=kind), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=bias)]


def _downsample(kind: str, c_in: int, c_out: int, bias: bool) -> list[nn.Module]:
    """Halves H and W."""
    if kind == "strided":
        return [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=bias)]
    pool = nn.MaxPool2d(2) if kind == "maxpool" else nn.AvgPool2d(2)
    return [nn.Conv2d(c_in, c_out, 3, 1, 1, bias=bias), pool]


class Generator(nn.Module):
    """z ``(N, nz)`` -> images ``(N, C, R, R)``: in [-1, 1] for tanh, (0, 1) for sigmoid, unbounded for linear."""

    def __init__(self, m: ModelConfig, resolution: int, channels: int, width: int):
        super().__init__()
        steps = _n_scale_steps(resolution)
        bn_hidden, bn_output = _g_batchnorm(m)
        act = ACTIVATIONS[m.g_activation]

        fc: list[nn.Module] = []
        features = m.nz
        for _ in range(m.fc_hidden):  # guideline 3 broken: hidden FC layers before the reshape
            fc += [nn.Linear(features, m.fc_width, bias=_bias(m, bn_hidden))]
            fc += [nn.BatchNorm1d(m.fc_width)] if bn_hidden else []
            fc += [act(m.leaky_slope)]
            features = m.fc_width
        self.fc = nn.Sequential(*fc)
        # "Project and reshape": one matrix multiply to width x 4 x 4.
        self.project = nn.Linear(features, width * 16, bias=_bias(m, bn_hidden))
        self.width = width

        layers: list[nn.Module] = [nn.BatchNorm2d(width)] if bn_hidden else []
        layers.append(act(m.leaky_slope))  # state: (width) x 4 x 4
        c = width
        for i in range(steps):
            last = i == steps - 1
            c_out = channels if last else c // 2
            layers += _upsample(m.g_upsample, c, c_out, _bias(m, bn_output if last else bn_hidden))
            if last:
                layers += [nn.BatchNorm2d(c_out)] if bn_output else []
                layers.append(OUTPUTS[m.g_output]())
            else:
                layers += [nn.BatchNorm2d(c_out)] if bn_hidden else []
                layers.append(act(m.leaky_slope))
            c = c_out  # state: c x (4 * 2^(i+1)) x (4 * 2^(i+1))
        self.main = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        h = self.project(self.fc(z)).view(-1, self.width, 4, 4)
        return self.main(h)


class Discriminator(nn.Module):
    """images ``(N, C, R, R)`` -> logits ``(N,)``. No sigmoid: the losses work on logits."""

    def __init__(self, m: ModelConfig, resolution: int, channels: int, width: int):
        super().__init__()
        steps = _n_scale_steps(resolution)
        bn_hidden, bn_input = _d_batchnorm(m)
        act = ACTIVATIONS[m.d_activation]

        layers: list[nn.Module] = []
        c_in = channels
        c = width // 2 ** (steps - 1)
        for i in range(steps):
            use_bn = bn_input if i == 0 else bn_hidden
            layers += _downsample(m.d_downsample, c_in, c, _bias(m, use_bn))
            layers += [nn.BatchNorm2d(c)] if use_bn else []
            layers.append(act(m.leaky_slope))
            c_in, c = c, c * 2  # state: c_in x (R / 2^(i+1)) x (R / 2^(i+1))
        self.main = nn.Sequential(*layers)  # state: width x 4 x 4

        if m.fc_hidden == 0:
            self.head: nn.Module = nn.Conv2d(width, 1, 4, 1, 0, bias=_bias(m, False))  # state: 1 x 1 x 1
        else:  # guideline 3 broken: hidden FC layers after the conv stack
            # Hidden FC layers get batchnorm exactly when D's hidden convs do, as G's hidden FC layers do.
            head: list[nn.Module] = [nn.Flatten()]
            features = width * 16
            for _ in range(m.fc_hidden):
                head += [nn.Linear(features, m.fc_width, bias=_bias(m, bn_hidden))]
                head += [nn.BatchNorm1d(m.fc_width)] if bn_hidden else []
                head += [act(m.leaky_slope)]
                features = m.fc_width  # state: fc_width
            head.append(nn.Linear(features, 1, bias=_bias(m, False)))
            self.head = nn.Sequential(*head)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.main(x)).view(-1)


def init_weights(module: nn.Module) -> None:
    """DCGAN init: conv/linear weights N(0, 0.02), batchnorm gamma N(1, 0.02), all biases 0."""
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def dcgan_generator(config: GanlabConfig) -> nn.Module:
    channels = config.data.channels or 3
    return Generator(config.model, config.data.resolution, channels, config.width)


def dcgan_discriminator(config: GanlabConfig) -> nn.Module:
    channels = config.data.channels or 3
    return Discriminator(config.model, config.data.resolution, channels, config.width)
