"""Cutting a logged sample grid back into its tiles: make_grid's layout (padding 2) and TensorBoard's
add_images (padding 0) give back the tiles they were made of; layouts that fit nothing, or two ways, are
one-line refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.diagnostics.sources.grids import layout, split_grid
from ganlab.diagnostics.sources.sample_grids import choose_tag
from ganlab.errors import DataError


def make_grid(tiles: np.ndarray, nrow: int = 8, padding: int = 2, pad_value: int = 0) -> np.ndarray:
    """torchvision.utils.make_grid's layout, as its docs and source give it, for ``(N, C, R, R)`` -> ``(H, W, C)``:
    ``min(nrow, N)`` columns, ``ceil(N / cols)`` rows, each cell R + padding, one more padding at the end."""
    n, c, r = tiles.shape[0], tiles.shape[1], tiles.shape[2]
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = np.full((c, rows * (r + padding) + padding, cols * (r + padding) + padding), pad_value, tiles.dtype)
    for k in range(n):
        y, x = divmod(k, cols)
        top, left = y * (r + padding) + padding, x * (r + padding) + padding
        grid[:, top:top + r, left:left + r] = tiles[k]
    return grid.transpose(1, 2, 0)


def test_the_reference_grid_is_torchvisions() -> None:
    torch = pytest.importorskip("torch")
    utils = pytest.importorskip("torchvision.utils")
    tiles = np.random.default_rng(0).integers(0, 256, (13, 3, 5, 5), dtype=np.uint8)
    for nrow, padding in ((8, 2), (4, 0), (3, 1)):
        theirs = utils.make_grid(torch.from_numpy(tiles), nrow=nrow, padding=padding).numpy().transpose(1, 2, 0)
        assert np.array_equal(make_grid(tiles, nrow, padding), theirs)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), r=st.integers(3, 12), c=st.sampled_from([1, 3]), nrow=st.integers(1, 10),
       padding=st.integers(0, 3), pad_value=st.integers(0, 255), seed=st.integers(0, 2**16))
def test_split_gives_back_the_tiles_of_a_grid(n, r, c, nrow, padding, pad_value, seed) -> None:
    """Any pad value shows in the padding; without padding, an empty slot is 0 (add_images', make_grid's default)."""
    tiles = np.random.default_rng(seed).integers(0, 256, (n, c, r, r), dtype=np.uint8)
    grid = make_grid(tiles, nrow, padding, pad_value if padding else 0)
    assert np.array_equal(split_grid(grid, r, padding), tiles)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(9, 70), r=st.integers(3, 20), padding=st.sampled_from([0, 2]), seed=st.integers(0, 2**16))
def test_the_default_layouts_are_found_without_being_told(n, r, padding, seed) -> None:
    """make_grid's defaults (8 per row, padding 2) and add_images' (8 per row, no padding) need no options."""
    tiles = np.random.default_rng(seed).integers(1, 256, (n, 3, r, r), dtype=np.uint8)
    grid = make_grid(tiles, 8, padding)
    assert layout(grid, r).padding == padding
    assert np.array_equal(split_grid(grid, r), tiles)


def test_a_collapsed_grid_of_the_pad_value_keeps_every_tile() -> None:
    """A G collapsed onto black gives tiles equal to the padding: all are samples, none an empty slot."""
    tiles = np.zeros((64, 1, 8, 8), np.uint8)
    assert split_grid(make_grid(tiles, 8, 2), 8).shape == (64, 1, 8, 8)
    assert split_grid(make_grid(tiles, 8, 0), 8).shape == (64, 1, 8, 8)


def test_a_grid_that_fits_no_layout_is_one_line() -> None:
    grid = make_grid(np.full((16, 3, 8, 8), 9, np.uint8), 8, 2)
    with pytest.raises(DataError) as err:
        split_grid(grid, 10, source="run/fake")
    message = str(err.value)
    assert "\n" not in message and message.startswith("run/fake: a 82x22 image does not split into 10x10 tiles")
    with pytest.raises(DataError, match="padding 1"):
        split_grid(grid, 8, padding=1)


def test_a_grid_of_two_layouts_neither_the_default_is_refused() -> None:
    """20 px of one value: 5 tiles of 4 with no padding, or 3 with padding 2; neither has 8 columns."""
    grid = np.full((20, 20, 1), 7, np.uint8)
    with pytest.raises(DataError, match="either padding .*set the grid padding"):
        layout(grid, 4)
    assert layout(grid, 4, padding=2).cols == 3


def test_padding_must_show_as_stripes_of_one_value() -> None:
    tiles = np.random.default_rng(1).integers(1, 256, (16, 1, 6, 6), dtype=np.uint8)
    grid = make_grid(tiles, 8, 2)
    grid[0, 5, 0] = 200  # a pad pixel unlike the others
    with pytest.raises(DataError, match="does not split"):
        split_grid(grid, 6, padding=2)


def test_the_tag_of_gs_samples() -> None:
    assert choose_tag(["real_samples", "fake_samples"], None, "x") == "fake_samples"
    assert choose_tag(["generated_images"], None, "x") == "generated_images"
    assert choose_tag(["train/real", "images/G(z)", "weights"], None, "x") == "images/G(z)"
    assert choose_tag(["a", "b"], "b", "x") == "b"
    with pytest.raises(DataError, match="no image tag 'c'"):
        choose_tag(["a", "b"], "c", "x")
    with pytest.raises(DataError, match="--grid-tag"):
        choose_tag(["a", "b"], None, "x")


@settings(max_examples=150, deadline=None)
@given(h=st.integers(1, 60), w=st.integers(1, 60), c=st.sampled_from([1, 3]), tile=st.integers(1, 20),
       padding=st.one_of(st.none(), st.integers(0, 4)), value=st.one_of(st.none(), st.integers(0, 255)),
       seed=st.integers(0, 2**16))
def test_any_image_splits_into_whole_tiles_or_is_one_line(h, w, c, tile, padding, value, seed) -> None:
    """Random sizes, tile sizes and paddings, noise or one value: tiles of the right shape whose pixels are
    the image's, or a one-line DataError; nothing else."""
    rng = np.random.default_rng(seed)
    image = (rng.integers(0, 256, (h, w, c), dtype=np.uint8) if value is None
             else np.full((h, w, c), value, np.uint8))
    try:
        tiles = split_grid(image, tile, padding)
    except DataError as err:
        assert "\n" not in str(err)
        return
    assert tiles.ndim == 4 and tiles.shape[1:] == (c, tile, tile) and len(tiles) >= 1
    assert set(np.unique(tiles)) <= set(np.unique(image))
