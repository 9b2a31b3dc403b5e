"""GAN losses, chosen by name. All work on raw logits, never on sigmoid outputs.

Each entry is a ``GanLoss`` with one signature per side:
``d(real_logits (N,), fake_logits (N,)) -> scalar`` and ``g(fake_logits (N,)) -> scalar``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class GanLoss:
    d: Callable[[Tensor, Tensor], Tensor]
    g: Callable[[Tensor], Tensor]


def _bce_d(real: Tensor, fake: Tensor) -> Tensor:
    # -log D(x) - log(1 - D(G(z))) == softplus(-real) + softplus(fake), stable for any logit.
    return F.softplus(-real).mean() + F.softplus(fake).mean()


LOSSES: dict[str, GanLoss] = {
    # The lecture's min-max game: G minimises log(1 - D(G(z))) = -softplus(fake).
    "minimax": GanLoss(d=_bce_d, g=lambda fake: -F.softplus(fake).mean()),
    # Goodfellow et al.'s heuristic, used by the DCGAN paper: G maximises log D(G(z)).
    "nonsaturating": GanLoss(d=_bce_d, g=lambda fake: F.softplus(-fake).mean()),
    "hinge": GanLoss(
        d=lambda real, fake: F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean(),
        g=lambda fake: -fake.mean(),
    ),
    "least_squares": GanLoss(
        d=lambda real, fake: 0.5 * ((real - 1.0) ** 2).mean() + 0.5 * (fake**2).mean(),
        g=lambda fake: 0.5 * ((fake - 1.0) ** 2).mean(),
    ),
}
