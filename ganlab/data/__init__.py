"""Datasets: a registry of named builders, each ``DataConfig -> ImageDataset``.

Adding a dataset means adding one entry to ``DATASETS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ganlab.data.base import ImageDataset, TensorImageDataset
from ganlab.data.digits import DigitsDataset, StackedDigitsDataset, digit_splits
from ganlab.data.files import array_dataset, folder_dataset, load_array_images, load_folder_images
from ganlab.data.gaussian_grid import GaussianGridDataset

if TYPE_CHECKING:
    from ganlab.config import DataConfig

DATASETS: dict[str, Callable[[DataConfig], ImageDataset]] = {
    "stacked-digits": lambda c: StackedDigitsDataset(c.resolution, c.held_out_fraction),
    "digits": lambda c: DigitsDataset(c.resolution, c.held_out_fraction),
    "gaussian-grid": lambda c: GaussianGridDataset(c.resolution),
    "folder": lambda c: folder_dataset(c.path, c.resolution, c.channels),
    "array": lambda c: array_dataset(c.path, c.resolution, c.channels),
}


def build_dataset(config: DataConfig) -> ImageDataset:
    """Build the dataset a config names; its channels must match ``config.channels`` when that is set."""
    from ganlab.errors import DataError

    dataset = DATASETS[config.dataset](config)
    if config.channels is not None and dataset.channels != config.channels:
        raise DataError(f"dataset '{config.dataset}' has {dataset.channels} channel(s) "
                        f"but data.channels is {config.channels}; set data.channels: {dataset.channels} "
                       "or leave it out")
    return dataset


__all__ = [
    "DATASETS",
    "DigitsDataset",
    "GaussianGridDataset",
    "ImageDataset",
    "StackedDigitsDataset",
    "TensorImageDataset",
    "build_dataset",
    "digit_splits",
    "load_array_images",
    "load_folder_images",
]
