"""Losses on logits agree with their textbook form on probabilities and stay finite for extreme logits."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from ganlab.losses import LOSSES

logits = st.lists(st.floats(-15, 15), min_size=1, max_size=16).map(lambda v: torch.tensor(v, dtype=torch.float64))


@given(real=logits, fake=logits)
def test_bce_losses_match_the_probability_formulas(real, fake):
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    d_ref = -(torch.log(d_real).mean() + torch.log1p(-d_fake).mean())
    for name in ("minimax", "nonsaturating"):
        assert LOSSES[name].d(real, fake).item() == pytest.approx(d_ref.item(), rel=1e-6, abs=1e-9)
    assert LOSSES["minimax"].g(fake).item() == pytest.approx(torch.log1p(-d_fake).mean().item(), rel=1e-6, abs=1e-9)
    assert LOSSES["nonsaturating"].g(fake).item() == pytest.approx(-torch.log(d_fake).mean().item(), rel=1e-6,
                                                                    abs=1e-9)


def test_losses_are_finite_where_probabilities_saturate():
    extreme = torch.tensor([-200.0, 200.0])
    for loss in LOSSES.values():
        assert torch.isfinite(loss.d(extreme, extreme)) and torch.isfinite(loss.g(extreme))


def test_minimax_gradient_vanishes_where_nonsaturating_does_not():
    # The reason the paper trains with the non-saturating loss: early on D(G(z)) ~ 0.
    fake = torch.tensor([-8.0], requires_grad=True)
    LOSSES["minimax"].g(fake).backward()
    minimax_grad = fake.grad.abs().item()
    fake.grad = None
    LOSSES["nonsaturating"].g(fake).backward()
    assert minimax_grad < 1e-3 < fake.grad.abs().item()
