"""The digit mode classifier for ``digits`` and ``stacked-digits``: an ensemble of small CNNs, trained once, cached.

Three members differ in seed, architecture (width, kernel, hidden size) and augmentation (the resize
paths of ``augment``); all are trained under strong nuisances (gray background, weak stroke, blur,
noise, shifts), so that they read a generator's off-manifold digits alike. A digit is read only where
a majority of the members agree; elsewhere it is ambiguous. The feature space of
Fréchet/KID/PRDC/diversity on digits is a fourth network's penultimate layer (``FEATURES``), trained
under milder nuisances: a network taught to ignore gray, washed-out strokes cannot see a generator
whose samples became gray and washed-out (docs/metrics.md, "Other ensembles tried"). All are
trained on the TRAIN split of ``digit_splits()`` only (evaluation draws real samples from the
held-out split); the members' confusion matrix is then measured on the held-out digits under random
nuisances and stored with the weights.

Training is deterministic (fixed seeds, one thread). The weights are cached in the user's cache
directory under a key that hashes the training data, this file's and ``augment``'s source,
``MEMBERS`` and ``FEATURES``, so any change retrains instead of loading stale weights.
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab.data.digits import N_CLASSES, digit_splits, resize_digits
from ganlab.data.files import resize_square
from ganlab.metrics import augment
from ganlab.metrics.augment import INPUT_RESOLUTION
from ganlab.metrics.cache import cache_dir, load_cached, load_or_train
from ganlab.metrics.threads import limit_threads

FEATURE_DIM = 64  # the feature network's penultimate layer: the space of Fréchet/KID/PRDC/diversity on digits
AMBIGUOUS = -1  # a digit the members do not agree on
BATCH_SIZE = 64
MAX_LR = 3e-3  # one-cycle schedule over all steps
# Held-out digits for the confusion: each rendered through these paths, each under 4 nuisance draws.
CONFUSION_RENDERS = ((16, "bilinear"), (32, "bicubic"), (64, "bilinear"), (32, "nearest"))
CONFUSION_DRAWS = 4
# Pseudo-count per off-diagonal cell: no observed misread of i as j is not proof that it never happens.
CONFUSION_PRIOR = 0.5 / (N_CLASSES - 1)


@dataclass(frozen=True)
class MemberSpec:
    """One ensemble member: its seed, architecture and augmentation."""

    seed: int
    width: int  # channels of the first convolution (the second has twice as many)
    kernel: int
    hidden: int  # penultimate features
    renders: tuple[tuple[int, str], ...]  # (resolution, interpolate mode) each training digit is rendered through
    steps: int
    max_shift: int  # pixels at 16x16
    background: float  # nuisance maxima, see ``augment.nuisances``
    noise: float
    blur: float


# The mode readers: of seven ensembles tried, these (the strongest nuisances, 2000 steps) misread
# few held-out digits and agree best on generated samples (docs/metrics.md, "Other ensembles tried").
MEMBERS = (
    MemberSpec(0, 32, 3, FEATURE_DIM, ((16, "bilinear"), (32, "bilinear"), (64, "bilinear"), (32, "bicubic")),
               2000, 2, 0.45, 0.25, 1.4),
    MemberSpec(1, 24, 5, 96, ((16, "nearest"), (32, "bicubic"), (64, "bicubic")), 2000, 2, 0.45, 0.25, 1.4),
    MemberSpec(2, 16, 3, 128, ((24, "bilinear"), (48, "nearest"), (16, "bicubic")), 2000, 2, 0.45, 0.25, 1.4),
)
# The feature network: milder nuisances, so that a gray background or a weak stroke still moves the
# features (the first ensemble's member 0, whose space the corpus's quality labels were read in).
FEATURES = MemberSpec(0, 32, 3, FEATURE_DIM, ((16, "bilinear"), (32, "bilinear"), (64, "bilinear"), (32, "bicubic")),
                      1000, 2, 0.3, 0.15, 1.0)


class DigitNet(nn.Module):
    """One-channel digits ``(N, 1, 16, 16)`` in [-1, 1] -> logits ``(N, 10)`` and features ``(N, hidden)``."""

    feature_scale: Tensor

    def __init__(self, width: int = 32, kernel: int = 3, hidden: int = FEATURE_DIM) -> None:
        super().__init__()
        # Strided convolutions, not pooling: ~10x faster on CPU at this size, same accuracy.
        self.conv = nn.Sequential(
            nn.Conv2d(1, width, kernel, 2, kernel // 2), nn.ReLU(inplace=True),  # state: width x 8 x 8
            nn.Conv2d(width, 2 * width, kernel, 2, kernel // 2), nn.ReLU(inplace=True),  # state: 2 width x 4 x 4
            nn.Flatten(),
            nn.Linear(2 * width * 16, hidden), nn.ReLU(inplace=True),  # state: hidden (the features)
        )
        self.head = nn.Linear(hidden, N_CLASSES)
        # Set after training to the RMS feature value on the training digits, so the returned
        # features are O(1) per dimension (KID's kernel (x.y/D + 1)^3 assumes that scale).
        self.register_buffer("feature_scale", torch.ones(()))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Logits ``(N, 10)`` and features ``(N, hidden)`` >= 0 (ReLU), divided by ``feature_scale``."""
        hidden = self.conv(x)
        return self.head(hidden), hidden / self.feature_scale


class DigitEnsemble(nn.Module):
    """The ``MEMBERS``, their confusion ``(10, 11)`` on held-out digits (last column: ambiguous), and the
    ``FEATURES`` network."""

    confusion: Tensor

    def __init__(self) -> None:
        super().__init__()
        self.members = nn.ModuleList(DigitNet(s.width, s.kernel, s.hidden) for s in MEMBERS)
        self.features = DigitNet(FEATURES.width, FEATURES.kernel, FEATURES.hidden)
        self.register_buffer("confusion", torch.zeros(N_CLASSES, N_CLASSES + 1, dtype=torch.float64))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(N, 1, 16, 16)`` -> each member's digit ``(M, N)`` int64 and the feature network's features ``(N, 64)``."""
        digits = torch.stack([net(x)[0].argmax(dim=1) for net in self.members])
        return digits, self.features(x)[1]


def agreed(digits: Tensor) -> Tensor:
    """Members' digits ``(M, N)`` -> ``(N,)``: the digit a strict majority of members read, else ``AMBIGUOUS``.

    A majority, not unanimity: on a mediocre generator's off-manifold digits unanimity left 76% of the
    samples unread, so ``modes`` measured blur rather than coverage (docs/metrics.md).
    """
    votes = F.one_hot(digits.long(), N_CLASSES).sum(dim=0)  # (N, 10)
    top, digit = votes.max(dim=1)
    return torch.where(2 * top > digits.shape[0], digit.to(digits.dtype), torch.full_like(digits[0], AMBIGUOUS))


def to_input(images: Tensor) -> Tensor:
    """``(N, 1, R, R)`` in [-1, 1], any R -> ``(N, 1, 16, 16)`` (bilinear, antialiased when shrinking)."""
    return resize_square(images.float(), INPUT_RESOLUTION)


def cache_key() -> str:
    """Hash of the training data, this module's and ``augment``'s source, ``MEMBERS`` and ``FEATURES`` (16 hex
    digits)."""
    x, y = digit_splits()["train"]
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(x).tobytes())
    h.update(np.ascontiguousarray(y).tobytes())
    h.update(Path(__file__).read_bytes())
    h.update(Path(augment.__file__).read_bytes())
    h.update(repr([astuple(s) for s in (*MEMBERS, FEATURES)]).encode())
    return h.hexdigest()[:16]


def _fit(net: DigitNet, spec: MemberSpec, steps: int) -> None:
    x, y = digit_splits()["train"]
    source = torch.from_numpy(x).unsqueeze(1)
    images = torch.cat([augment.render(source, r, mode) for r, mode in spec.renders])
    labels = torch.from_numpy(y).repeat(len(spec.renders))
    g = torch.Generator().manual_seed(spec.seed)
    opt = torch.optim.Adam(net.parameters(), lr=MAX_LR)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, MAX_LR, total_steps=steps)
    net.train()
    for _ in range(steps):
        idx = torch.randint(0, len(images), (BATCH_SIZE,), generator=g)
        batch = augment.shift(images[idx], g, spec.max_shift)
        batch = augment.nuisances(batch, g, background=spec.background, noise=spec.noise, blur=spec.blur)
        loss = F.cross_entropy(net(batch)[0], labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    net.eval()
    with torch.no_grad():
        net.feature_scale.fill_(net.conv(images).pow(2).mean().sqrt())


@torch.no_grad()
def estimate_confusion(ensemble: DigitEnsemble) -> Tensor:
    """``(10, 11)`` float64: P(agreed read j | true digit i) on held-out digits under random nuisances.

    Column 10 is P(ambiguous). Each held-out digit is rendered through ``CONFUSION_RENDERS`` and
    ``CONFUSION_DRAWS`` nuisance draws; ``CONFUSION_PRIOR`` is added to each off-diagonal read cell.
    """
    x, y = digit_splits()["held_out"]
    source = torch.from_numpy(x).unsqueeze(1)
    g = torch.Generator().manual_seed(12345)
    counts = np.zeros((N_CLASSES, N_CLASSES + 1))
    for r, mode in CONFUSION_RENDERS:
        for _ in range(CONFUSION_DRAWS):
            images = augment.nuisances(augment.shift(augment.render(source, r, mode), g, 1), g,
                                       background=0.2, noise=0.1, blur=0.8)
            read = agreed(ensemble(images)[0]).numpy()
            np.add.at(counts, (y, np.where(read == AMBIGUOUS, N_CLASSES, read)), 1)
    counts[:, :N_CLASSES] += CONFUSION_PRIOR * (1 - np.eye(N_CLASSES))
    return torch.from_numpy(counts / counts.sum(axis=1, keepdims=True))


def train_classifier(steps: int | None = None) -> DigitEnsemble:
    """Train a fresh ``DigitEnsemble`` and measure its confusion (deterministic; seconds per network).

    ``steps`` overrides each network's ``steps`` (tests use it for a quick determinism check).
    """
    # One thread: bit-identical weights whatever the machine's core count, and nets this small
    # train no faster on more threads (they mostly contend). fork_rng: the caller's global RNG
    # is left as it was; enable_grad: callers may be inside no_grad.
    with limit_threads(1), torch.random.fork_rng(devices=[]), torch.enable_grad():
        ensemble = DigitEnsemble()
        for spec, net in zip((*MEMBERS, FEATURES), (*ensemble.members, ensemble.features), strict=True):
            torch.manual_seed(spec.seed)
            fresh = DigitNet(spec.width, spec.kernel, spec.hidden)
            net.load_state_dict(fresh.state_dict())  # each network's init comes from its own seed
            assert isinstance(net, DigitNet)
            _fit(net, spec, steps or spec.steps)
        ensemble.eval()
        ensemble.confusion.copy_(estimate_confusion(ensemble))
    return ensemble


@torch.no_grad()
def held_out_accuracy(ensemble: DigitEnsemble) -> dict[str, float]:
    """Accuracies in [0, 1] on the clean held-out digits rendered at 32x32: ``agreed`` (ambiguous
    counts as wrong), ``ambiguous`` (the share), and ``member_<i>`` for each member alone."""
    x, y = digit_splits()["held_out"]
    digits, _ = ensemble.eval()(to_input(resize_digits(x, 32)))
    out = {"agreed": float((agreed(digits).numpy() == y).mean()),
           "ambiguous": float((agreed(digits).numpy() == AMBIGUOUS).mean())}
    out.update({f"member_{i}": float((d.numpy() == y).mean()) for i, d in enumerate(digits)})
    return out


_LOADED: dict[str, DigitEnsemble] = {}


def cache_path(key: str | None = None) -> Path:
    """Where the trained ensemble of ``key`` (default: this code's ``cache_key()``) is cached."""
    return cache_dir() / f"digit-classifier-{key or cache_key()}.pt"


def digit_classifier() -> DigitEnsemble:
    """The trained ensemble in eval mode: from this process's memory, else the disk cache, else trained.

    The first call in a fresh cache trains (about a minute) and writes ``digit-classifier-<key>.pt``.
    Training holds ``<that file>.lock``: a second process that needs the same ensemble meanwhile (another
    sweep worker) waits for it and loads the result instead of training it again.
    """
    key = cache_key()
    if key in _LOADED:
        return _LOADED[key]
    net = load_or_train(cache_path(key), lambda path: load_cached(path, DigitEnsemble()), train_classifier,
                        lambda net: {"key": key, "held_out_accuracy": held_out_accuracy(net)})
    _LOADED[key] = net.eval()
    return _LOADED[key]
