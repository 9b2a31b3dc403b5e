"""A logged sample grid cut back into its tiles (numpy only).

The layout assumed is ``torchvision.utils.make_grid``'s, which TensorBoard's ``add_images`` also follows
with no padding: square ``R x R`` tiles, filled row by row, ``padding`` pixels of one pad value between the
tiles and around them, so a grid of ``rows x cols`` tiles is ``rows * (R + p) + p`` by ``cols * (R + p) + p``
pixels. ``R`` is the real data's resolution (it cannot be read from a grid of identical tiles: a collapsed
G's grid fits many tile sizes). ``p`` is 2 (make_grid's default) or 0 (``add_images``), unless given:
a padding over 0 must show as stripes of one value. When both fit (128 pixels: 8 tiles of 16 at padding
0, or 7 at padding 2), the one with 8 columns wins, the default of both (make_grid's ``nrow``,
``add_images``' columns). A grid that fits no layout, or two with 8 columns or none, is refused in one
line. In the last row, trailing tiles of the pad value alone are make_grid's empty slots and are
dropped, unless every tile of the grid is that same image (a generator collapsed onto the pad value);
without padding the pad value is 0 (``add_images``' empty slots, make_grid's default ``pad_value``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganlab.errors import DataError

PADDINGS = (2, 0)  # torchvision.utils.make_grid's default, TensorBoard's add_images
PADDING_NAMES = {2: "torchvision's make_grid default", 0: "TensorBoard's add_images"}
DEFAULT_COLS = 8  # make_grid's nrow and add_images' columns, unless the caller chose otherwise


@dataclass(frozen=True)
class Layout:
    tile: int
    padding: int
    rows: int
    cols: int


def _count(size: int, tile: int, padding: int) -> int:
    """Tiles along a side of ``size`` pixels, or 0 when the side does not fit the layout."""
    body = size - padding
    return body // (tile + padding) if body > 0 and body % (tile + padding) == 0 else 0


def _pad_mask(size: int, tile: int, padding: int) -> np.ndarray:
    """``(size,)`` True on the pixels of the padding stripes along one side."""
    return np.arange(size) % (tile + padding) < padding


def _stripes_of_one_value(grid: np.ndarray, tile: int, padding: int) -> bool:
    if padding == 0:
        return True
    rows, cols = _pad_mask(grid.shape[0], tile, padding), _pad_mask(grid.shape[1], tile, padding)
    pads = np.concatenate([grid[rows].reshape(-1, grid.shape[2]), grid[:, cols].reshape(-1, grid.shape[2])])
    return bool((pads == pads[0]).all())


def layout(grid: np.ndarray, tile: int, padding: int | None = None, source: str = "grid") -> Layout:
    """The layout of ``grid`` ``(H, W, C)`` with ``tile``-pixel tiles (see the module docstring)."""
    height, width = grid.shape[:2]
    fits = []
    for pad in (padding,) if padding is not None else PADDINGS:
        rows, cols = _count(height, tile, pad), _count(width, tile, pad)
        if rows and cols and _stripes_of_one_value(grid, tile, pad):
            fits.append(Layout(tile, pad, rows, cols))
    if len(fits) > 1:  # e.g. 128 px = 8 tiles of 16 at padding 0 = 7 tiles at padding 2
        fits = [f for f in fits if f.cols == DEFAULT_COLS] or fits
    if len(fits) == 1:
        return fits[0]
    tried = (f"padding {padding}" if padding is not None
             else " or ".join(f"padding {p} ({PADDING_NAMES[p]})" for p in PADDINGS))
    if not fits:
        raise DataError(f"{source}: a {width}x{height} image does not split into {tile}x{tile} tiles with {tried}; "
                        "set the resolution to the tile size, and the grid padding if it is neither")
    raise DataError(f"{source}: a {width}x{height} image splits into {tile}x{tile} tiles with either padding "
                    f"({', '.join(f'{f.rows}x{f.cols} tiles at padding {f.padding}' for f in fits)}); "
                    "set the grid padding")


def split_grid(grid: np.ndarray, tile: int, padding: int | None = None, source: str = "grid") -> np.ndarray:
    """The tiles of ``grid`` ``(H, W, C)`` (any dtype), row by row: ``(N, C, tile, tile)`` in its values."""
    if grid.ndim != 3:
        raise DataError(f"{source}: expected an image (H, W, C), got shape {grid.shape}")
    at = layout(grid, tile, padding, source)
    step = at.tile + at.padding
    tiles = np.stack([grid[at.padding + r * step: at.padding + r * step + tile,
                           at.padding + c * step: at.padding + c * step + tile]
                      for r in range(at.rows) for c in range(at.cols)])  # (rows * cols, R, R, C)
    pad_value = (grid[0, 0] if at.padding else np.zeros(grid.shape[2], grid.dtype))
    empty = (tiles == pad_value).all(axis=(1, 2, 3))
    if not empty.all():  # make_grid's empty slots: trailing pad-only tiles of the last row
        last_row = empty[len(empty) - at.cols + 1:]  # the last row keeps at least its first tile
        drop = len(last_row) - (np.flatnonzero(~last_row).max() + 1 if (~last_row).any() else 0)
        tiles = tiles[: len(tiles) - drop]
    return np.ascontiguousarray(tiles.transpose(0, 3, 1, 2))
