"""A feature space learnt from the user's own real images: a small convolutional autoencoder.

For data with no mode reader (a folder, an array) nothing pretrained fits and nothing may be
downloaded, so an encoder is trained once on the real images themselves, self-supervised: a denoising
autoencoder (``(N, C, 32, 32)`` -> 64 features -> the clean image), deterministic on a CPU (fixed seed,
one thread). Its features are the bottleneck, divided by their RMS on the training images (so KID's
cubic kernel sees O(1) values). Trained weights are cached in ``cache_dir()`` under a key that hashes
the images, this file's source and ``SPEC``: the same data loads in milliseconds, other data trains anew.
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab.data.files import resize_square
from ganlab.metrics.cache import cache_dir, load_cached, load_or_train
from ganlab.metrics.threads import limit_threads

ENCODER_RESOLUTION = 32
BATCH = 1024  # images per forward pass when reading features


@dataclass(frozen=True)
class EncoderSpec:
    seed: int = 0
    width: int = 32  # channels of the first convolution (then 2x, 2x)
    features: int = 64  # bottleneck size: the feature space
    steps: int = 1500
    batch_size: int = 64
    lr: float = 2e-3
    noise: float = 0.1  # std of the Gaussian noise on the input (pixels in [-1, 1]): denoising


SPEC = EncoderSpec()


class Autoencoder(nn.Module):
    """``(N, C, 32, 32)`` in [-1, 1] -> features ``(N, F)`` -> reconstruction ``(N, C, 32, 32)`` in [-1, 1]."""

    feature_scale: Tensor

    def __init__(self, channels: int, width: int = SPEC.width, features: int = SPEC.features) -> None:
        super().__init__()
        w = width
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, w, 4, 2, 1), nn.LeakyReLU(0.2),  # state: w x 16 x 16
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2),  # state: 2w x 8 x 8
            nn.Conv2d(2 * w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2),  # state: 2w x 4 x 4
            nn.Flatten(), nn.Linear(2 * w * 16, features),  # state: F (the features)
        )
        self.decoder = nn.Sequential(
            nn.Linear(features, 2 * w * 16), nn.LeakyReLU(0.2), nn.Unflatten(1, (2 * w, 4, 4)),
            nn.ConvTranspose2d(2 * w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2),  # state: 2w x 8 x 8
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.LeakyReLU(0.2),  # state: w x 16 x 16
            nn.ConvTranspose2d(w, channels, 4, 2, 1), nn.Tanh(),  # state: C x 32 x 32
        )
        self.register_buffer("feature_scale", torch.ones(()))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Reconstruction and features (unscaled) of ``x``."""
        z = self.encoder(x)
        return self.decoder(z), z


def encoder_input(images: Tensor) -> Tensor:
    """``(N, C, R, R)`` in [-1, 1], any R -> ``(N, C, 32, 32)`` float32 (bilinear, antialiased when shrinking)."""
    return resize_square(images.float(), ENCODER_RESOLUTION)


def encoder_key(images: Tensor, spec: EncoderSpec = SPEC) -> str:
    """16 hex digits hashing the training images (at the encoder's input), this file's source and ``spec``."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(encoder_input(images).numpy()).tobytes())
    h.update(Path(__file__).read_bytes())
    h.update(repr(astuple(spec)).encode())
    return h.hexdigest()[:16]


def train_encoder(images: Tensor, spec: EncoderSpec = SPEC) -> Autoencoder:
    """A fresh ``Autoencoder`` fitted to ``images`` ``(N, C, R, R)`` (deterministic: seeds, one thread)."""
    x = encoder_input(images)
    with limit_threads(1), torch.random.fork_rng(devices=[]), torch.enable_grad():
        torch.manual_seed(spec.seed)
        net = Autoencoder(x.shape[1], spec.width, spec.features)
        g = torch.Generator().manual_seed(spec.seed)
        opt = torch.optim.Adam(net.parameters(), lr=spec.lr)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, spec.lr, total_steps=spec.steps)
        net.train()
        for _ in range(spec.steps):
            batch = x[torch.randint(0, len(x), (spec.batch_size,), generator=g)]
            noisy = batch + spec.noise * torch.randn(batch.shape, generator=g)
            loss = F.mse_loss(net(noisy)[0], batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        net.eval()
        with torch.no_grad():
            z = torch.cat([net.encoder(x[s : s + BATCH]) for s in range(0, len(x), BATCH)])
            net.feature_scale.fill_(z.pow(2).mean().sqrt().clamp_min(1e-12))
    return net


_LOADED: dict[str, Autoencoder] = {}


def data_encoder(images: Tensor, spec: EncoderSpec = SPEC) -> Autoencoder:
    """The encoder of ``images`` ``(N, C, R, R)``: from this process's memory, else the disk cache
    (``encoder-<key>.pt``), else trained (a minute or so on a CPU for a few thousand images) and cached.
    Training holds the file's lock, so a second process waits and loads instead of training again."""
    key = encoder_key(images, spec)
    if key not in _LOADED:
        net = load_or_train(cache_dir() / f"encoder-{key}.pt",
                            lambda path: load_cached(path, Autoencoder(images.shape[1])),
                            lambda: train_encoder(images, spec), lambda net: {"key": key})
        _LOADED[key] = net.eval()
    return _LOADED[key]


@torch.no_grad()
def encoder_features(net: Autoencoder, images: Tensor) -> np.ndarray:
    """``(N, C, R, R)`` in [-1, 1] -> ``(N, F)`` float32 features of ``net``, scaled to unit RMS on its data."""
    out = [net.encoder(encoder_input(images[s : s + BATCH])) for s in range(0, len(images), BATCH)]
    return (torch.cat(out) / net.feature_scale).numpy()
