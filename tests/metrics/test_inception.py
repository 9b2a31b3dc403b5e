"""Inception FID only from local weights: skipped (None) without them, never downloaded."""

from __future__ import annotations

import pytest
import torch

from ganlab.errors import DataError
from ganlab.metrics.inception import INCEPTION_ENV, inception_fid


class FakeInception(torch.nn.Module):
    """Stands in for inception-2015-12-05.pt: same call signature (uint8 RGB in, features out),
    but 12 features instead of 2048 to keep the test fast."""

    def forward(self, x: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        assert x.dtype == torch.uint8 and x.shape[1] == 3
        pooled = torch.nn.functional.adaptive_avg_pool2d(x.float() / 255.0, 2).flatten(1)  # (N, 12)
        return pooled if return_features else pooled.softmax(dim=1)


def test_skipped_without_weights(monkeypatch):
    monkeypatch.delenv(INCEPTION_ENV, raising=False)
    assert inception_fid(torch.zeros(4, 1, 16, 16), torch.zeros(4, 1, 16, 16)) is None


def test_missing_weights_file_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv(INCEPTION_ENV, str(tmp_path / "nope.pt"))
    with pytest.raises(DataError, match="no such file"):
        inception_fid(torch.zeros(4, 1, 16, 16), torch.zeros(4, 1, 16, 16))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_local_torchscript_weights_are_used(monkeypatch, tmp_path):
    path = tmp_path / "inception.pt"
    torch.jit.script(FakeInception()).save(str(path))
    monkeypatch.setenv(INCEPTION_ENV, str(path))
    g = torch.Generator().manual_seed(0)
    a = torch.rand(64, 1, 16, 16, generator=g) * 2 - 1
    b = torch.rand(64, 1, 16, 16, generator=g) * 2 - 1
    assert inception_fid(a, a) == pytest.approx(0.0, abs=1e-6)
    assert inception_fid(a, b * 0.5) > 0.0
