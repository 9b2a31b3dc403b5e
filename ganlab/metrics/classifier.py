"""The digit mode classifier for ``digits`` and ``stacked-digits``: a small CNN, trained once, cached.

It is trained on the TRAIN split of ``digit_splits()`` only (the GAN's evaluation draws from the
held-out split) and reaches 99.4% accuracy on the held-out digits. Training is deterministic
(fixed seed, single thread) and takes 5-15 s on a CPU. The weights are cached in the user's
cache directory under a key that hashes the training data, this file's source and the
hyper-parameters, so any change to one of them retrains instead of loading stale weights.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab.data.digits import digit_splits, resize_digits
from ganlab.data.files import resize_square
from ganlab.metrics.threads import limit_threads

# Every input is resized to this: the digits are 8x8 upsampled, so 16x16 loses nothing.
INPUT_RESOLUTION = 16
FEATURE_DIM = 64  # penultimate layer: the feature space of Fréchet/KID/PRDC/diversity on digits
HPARAMS: dict[str, Any] = {
    "seed": 0,
    "epochs": 15,
    "batch_size": 64,
    "max_lr": 3e-3,  # one-cycle schedule over all steps
    "max_shift": 2,  # random translation in pixels at 16x16 (= 1 pixel of the 8x8 source)
    # The training digits are rendered through each of these resolutions and back to 16x16, so the
    # classifier sees every resize path a GAN sample can take (8 -> R -> 16).
    "render_resolutions": (16, 32, 64),
}


class DigitNet(nn.Module):
    """One-channel digits ``(N, 1, 16, 16)`` in [-1, 1] -> logits ``(N, 10)`` and features ``(N, 64)``."""

    feature_scale: Tensor

    def __init__(self) -> None:
        super().__init__()
        # Strided convolutions, not pooling: ~10x faster on CPU at this size, same accuracy.
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, 2, 1), nn.ReLU(inplace=True),  # state: 32 x 8 x 8
            nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(inplace=True),  # state: 64 x 4 x 4
            nn.Flatten(),
            nn.Linear(64 * 16, FEATURE_DIM), nn.ReLU(inplace=True),  # state: 64 (the features)
        )
        self.head = nn.Linear(FEATURE_DIM, 10)
        # Set after training to the RMS feature value on the training digits, so the returned
        # features are O(1) per dimension (KID's kernel (x.y/D + 1)^3 assumes that scale).
        self.register_buffer("feature_scale", torch.ones(()))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Logits ``(N, 10)`` and features ``(N, 64)`` >= 0 (ReLU), divided by ``feature_scale``."""
        hidden = self.conv(x)
        return self.head(hidden), hidden / self.feature_scale


def to_input(images: Tensor) -> Tensor:
    """``(N, 1, R, R)`` in [-1, 1], any R -> ``(N, 1, 16, 16)`` (bilinear, antialiased when shrinking)."""
    return resize_square(images.float(), INPUT_RESOLUTION)


def cache_dir() -> Path:
    """``$GANLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/ganlab``, else ``~/.cache/ganlab``."""
    if os.environ.get("GANLAB_CACHE_DIR"):
        return Path(os.environ["GANLAB_CACHE_DIR"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "ganlab"
    return Path.home() / ".cache" / "ganlab"


def cache_key() -> str:
    """Hash of the training data, this module's source and ``HPARAMS`` (16 hex digits)."""
    x, y = digit_splits()["train"]
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(x).tobytes())
    h.update(np.ascontiguousarray(y).tobytes())
    h.update(Path(__file__).read_bytes())
    h.update(repr(sorted(HPARAMS.items())).encode())
    return h.hexdigest()[:16]


def _training_set() -> tuple[Tensor, Tensor]:
    x, y = digit_splits()["train"]
    images = torch.cat([to_input(resize_digits(x, r)) for r in HPARAMS["render_resolutions"]])
    labels = torch.from_numpy(y).repeat(len(HPARAMS["render_resolutions"]))
    return images, labels


def _fit(net: DigitNet, images: Tensor, labels: Tensor, epochs: int) -> None:
    bs, shift = HPARAMS["batch_size"], HPARAMS["max_shift"]
    steps_per_epoch = len(images) // bs
    g = torch.Generator().manual_seed(HPARAMS["seed"])
    opt = torch.optim.Adam(net.parameters(), lr=HPARAMS["max_lr"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, HPARAMS["max_lr"], total_steps=epochs * steps_per_epoch)
    padded = F.pad(images, (shift,) * 4, value=-1.0)  # background is -1
    net.train()
    for _ in range(epochs):
        perm = torch.randperm(len(images), generator=g)
        for i in range(steps_per_epoch):
            idx = perm[i * bs : (i + 1) * bs]
            # One random shift per batch: cheap, and over ~1000 steps every shift is seen often.
            dy, dx = torch.randint(0, 2 * shift + 1, (2,), generator=g).tolist()
            batch = padded[idx, :, dy : dy + INPUT_RESOLUTION, dx : dx + INPUT_RESOLUTION]
            loss = F.cross_entropy(net(batch)[0], labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    net.eval()


def train_classifier(epochs: int | None = None) -> DigitNet:
    """Train a fresh ``DigitNet`` (deterministic; a few seconds on one CPU core).

    ``epochs`` overrides ``HPARAMS["epochs"]`` (tests use it for a quick determinism check).
    """
    images, labels = _training_set()
    # One thread: bit-identical weights whatever the machine's core count, and a net this small
    # trains no faster on more threads (they mostly contend). fork_rng: the caller's global RNG
    # is left as it was; enable_grad: callers may be inside no_grad.
    with limit_threads(1), torch.random.fork_rng(devices=[]), torch.enable_grad():
        torch.manual_seed(HPARAMS["seed"])
        net = DigitNet()
        _fit(net, images, labels, epochs or HPARAMS["epochs"])
        with torch.no_grad():
            net.feature_scale.fill_(net.conv(images).pow(2).mean().sqrt())
    return net


@torch.no_grad()
def held_out_accuracy(net: DigitNet) -> float:
    """Accuracy in [0, 1] on the held-out single digits (rendered at 32x32, then resized)."""
    x, y = digit_splits()["held_out"]
    logits, _ = net.eval()(to_input(resize_digits(x, 32)))
    return float((logits.argmax(1).numpy() == y).mean())


def _save_atomic(payload: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        os.replace(tmp, path)  # readers see the old file or the whole new one, never a partial one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_LOADED: dict[str, DigitNet] = {}


def digit_classifier() -> DigitNet:
    """The trained classifier in eval mode: from this process's memory, else the disk cache, else trained.

    The first call in a fresh cache trains (seconds) and writes ``digit-classifier-<key>.pt``.
    """
    key = cache_key()
    if key in _LOADED:
        return _LOADED[key]
    path = cache_dir() / f"digit-classifier-{key}.pt"
    net = DigitNet()
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(payload["state_dict"])
    except Exception:
        # Missing, truncated or otherwise unreadable cache: torch.load can fail in many ways on a
        # damaged file, and every one of them means the same thing here. Retrain and overwrite it.
        net = train_classifier()
        _save_atomic({"state_dict": net.state_dict(), "key": key,
                      "held_out_accuracy": held_out_accuracy(net)}, path)
    _LOADED[key] = net.eval()
    return _LOADED[key]
