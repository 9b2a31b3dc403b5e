"""``ganlab.Monitor``'s columns against an independent float64 numpy computation, its stop on NaN, and its
one-line errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import ganlab
from ganlab.errors import ConfigError, DataError, GanlabError
from ganlab.schema import EventKind, read_run

REAL = torch.rand(64, 1, 16, 16) * 2 - 1


def numpy_sigmoid_mean(x: torch.Tensor) -> float:
    v = x.double().numpy()
    return float(np.mean(1.0 / (1.0 + np.exp(-v))))


def numpy_grad_norm(module: nn.Module) -> float:
    return float(np.sqrt(sum(np.sum(p.grad.double().numpy() ** 2) for p in module.parameters() if p.grad is not None)))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(-30, 30), min_size=1, max_size=16), st.lists(st.floats(-30, 30), min_size=1, max_size=16),
       st.floats(0, 10), st.floats(0, 10))
def test_columns_match_numpy(tmp_path_factory, real, fake, loss_d, loss_g) -> None:
    run_dir = tmp_path_factory.mktemp("m")
    D, G = nn.Linear(3, 1), nn.Linear(2, 4)
    (D(torch.randn(5, 3)).pow(2).sum() + G(torch.randn(3, 2)).sum()).backward()
    with ganlab.Monitor(run_dir, REAL, {"eval_every": 0}) as monitor:
        monitor.step(torch.tensor(loss_d), loss_g, torch.tensor(real), torch.tensor(fake), D=D, G=G)
    (row,) = monitor.rows
    assert row["loss_d"] == pytest.approx(loss_d, rel=1e-6, abs=1e-6) and row["loss_g"] == loss_g
    assert row["d_real"] == pytest.approx(numpy_sigmoid_mean(torch.tensor(real)), rel=1e-5, abs=1e-6)
    assert row["d_fake"] == pytest.approx(numpy_sigmoid_mean(torch.tensor(fake)), rel=1e-5, abs=1e-6)
    assert row["grad_norm_d"] == pytest.approx(numpy_grad_norm(D), rel=1e-5)
    assert row["grad_norm_g"] == pytest.approx(numpy_grad_norm(G), rel=1e-5)
    assert "lr_d" not in row and "time_s" in row


def test_probabilities_are_averaged_as_given(tmp_path: Path) -> None:
    with ganlab.Monitor(tmp_path / "run", REAL, {"eval_every": 0}, outputs="probabilities") as monitor:
        monitor.step(1.0, 1.0, torch.tensor([0.9, 0.7]), 0.25, grad_norm_d=2.0, grad_norm_g=3.0, lr_d=1e-4)
    (row,) = monitor.rows
    assert (row["d_real"], row["d_fake"], row["grad_norm_d"], row["lr_d"]) == (pytest.approx(0.8), 0.25, 2.0, 1e-4)


def test_a_nan_loss_stops_at_once_and_is_the_non_finite_event(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    with ganlab.Monitor(run_dir, REAL, {"eval_every": 0}) as monitor:
        for step in range(1, 10):
            stop = monitor.step(math.nan if step == 4 else 1.0, 1.0, 0.0, 0.0, grad_norm_d=1.0, grad_norm_g=1.0)
            if stop:
                break
    assert step == 4 and monitor.stop_reason == "non_finite at step 4: loss_d"
    (event,) = monitor.events
    assert (event.kind, event.step, event.evidence["column"]) == (EventKind.NON_FINITE, 4, "loss_d")
    record = read_run(run_dir)
    assert record is not None and record.status == "failed" and record.non_finite_tensor == "loss_d"


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="outputs='sigmoid'"):
        ganlab.Monitor(tmp_path / "a", REAL, outputs="sigmoid")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="patiance"):
        ganlab.Monitor(tmp_path / "b", REAL, {"patiance": 3})
    with pytest.raises(DataError, match=r"expected images \(N, C, R, R\)"):
        ganlab.Monitor(tmp_path / "c", torch.zeros(20, 16, 16))
    with pytest.raises(DataError, match="map the images to"):
        ganlab.Monitor(tmp_path / "d", REAL * 3)
    with pytest.raises(DataError, match="not a dataset name"):
        ganlab.Monitor(tmp_path / "e", "cifar-99")
    with pytest.raises(ConfigError, match="no grad_norm_d, which detector d_dominance needs; pass D="):
        ganlab.Monitor(tmp_path / "g", REAL, {"eval_every": 0}).step(1.0, 1.0, 0.0, 0.0)
    only = ganlab.Monitor(tmp_path / "h", REAL, {"eval_every": 0, "detectors": ["non_finite", "oscillation"]})
    only.step(1.0, 1.0, 0.0, 0.0)  # no gradient norms needed
    only.close()
    first = ganlab.Monitor(tmp_path / "f", REAL, {"eval_every": 0})
    with pytest.raises(GanlabError, match="in use by another writer"):
        ganlab.Monitor(tmp_path / "f", REAL, {"eval_every": 0})
    first.close()
    with pytest.raises(GanlabError, match="closed"):
        first.step(1.0, 1.0, 0.0, 0.0)
