"""Nuisances that do not change a digit, for training the mode classifiers and estimating their confusion.

A GAN sample of a digit differs from a real one in ways the mode must not depend on: the
resampling filter that brought it to its resolution, a small shift, a gray background, a weaker
stroke, pixel noise and blur. The classifiers are trained on real digits passed through random
draws of these, and their confusion is measured the same way on held-out digits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.data.files import resize_square

INPUT_RESOLUTION = 16  # every classifier input is resized to this (the digits are 8x8: nothing is lost)


def render(x: Tensor, resolution: int, mode: str) -> Tensor:
    """8x8 digits ``(N, 1, 8, 8)`` in [0, 1] -> ``(N, 1, 16, 16)`` in [-1, 1], via ``resolution`` with ``mode``.

    ``mode`` is a ``torch.nn.functional.interpolate`` mode (``bilinear``, ``bicubic``, ``nearest``):
    the sample's own resize path, after which the classifier's bilinear resize to 16 follows.
    """
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    up = F.interpolate(x, size=(resolution, resolution), mode=mode, **kwargs).clamp(0.0, 1.0)
    return resize_square(up * 2.0 - 1.0, INPUT_RESOLUTION)


def _blur(x: Tensor, sigma: Tensor) -> Tensor:
    """Per-sample Gaussian blur of ``(N, 1, R, R)`` with ``sigma`` ``(N,)`` pixels (5-tap, separable)."""
    taps = torch.arange(-2, 3, dtype=x.dtype)
    k = torch.exp(-0.5 * (taps[None] / sigma.clamp(min=1e-3)[:, None]) ** 2)
    k = k / k.sum(dim=1, keepdim=True)  # (N, 5)
    n = len(x)
    h = F.conv2d(F.pad(x.transpose(0, 1), (2, 2, 0, 0), mode="replicate"), k.view(n, 1, 1, 5), groups=n)
    v = F.conv2d(F.pad(h, (0, 0, 2, 2), mode="replicate"), k.view(n, 1, 5, 1), groups=n)
    return v.transpose(0, 1)


def nuisances(x: Tensor, g: torch.Generator, *, background: float, noise: float, blur: float) -> Tensor:
    """Random nuisances per sample on ``(N, 1, R, R)`` in [-1, 1]; same shape and range.

    Intensity w = (x + 1) / 2 becomes ``b + (gain - b) * w`` with background b ~ U(0, ``background``)
    and stroke gain ~ U(0.6, 1); then a Gaussian blur of sigma ~ U(0, ``blur``) pixels on half
    the samples, and Gaussian noise of sd ~ U(0, ``noise``) (in [-1, 1] units).
    """
    n = len(x)
    u = torch.rand(n, 5, generator=g)
    b = (u[:, 0] * background).view(n, 1, 1, 1)
    gain = (0.6 + 0.4 * u[:, 1]).view(n, 1, 1, 1)
    w = b + (gain - b) * (x + 1.0) / 2.0
    blurred = _blur(w, u[:, 2] * blur + 1e-3)
    w = torch.where((u[:, 3] < 0.5).view(n, 1, 1, 1), blurred, w)
    out = w * 2.0 - 1.0 + torch.randn(x.shape, generator=g) * (u[:, 4] * noise).view(n, 1, 1, 1)
    return out.clamp(-1.0, 1.0)


def shift(x: Tensor, g: torch.Generator, max_shift: int) -> Tensor:
    """One random translation of up to ``max_shift`` pixels for the whole batch (background -1 fills in)."""
    r = x.shape[-1]
    padded = F.pad(x, (max_shift,) * 4, value=-1.0)
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2,), generator=g).tolist()
    return padded[..., dy : dy + r, dx : dx + r]
