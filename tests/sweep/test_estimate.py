"""The dry run's time estimate: FLOPs counted against a float64 formula, packing against brute force."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.config import GanlabConfig, apply_overrides
from ganlab.sweep import estimate
from ganlab.sweep.estimate import estimate_lines, makespan, step_flops
from ganlab.sweep.plan import plan_runs
from ganlab.sweep.spec import load_sweep_spec
from tests.sweep.helpers import tiny_sweep, write_sweep


def conv_flops(batch: int, c_in: int, c_out: int, k: int, out_hw: int) -> float:
    return 2.0 * batch * c_in * c_out * k * k * out_hw * out_hw


def test_step_flops_match_the_convolution_formula_for_a_16x16_dcgan():
    # 16x16, width 32: G = Linear(nz -> 32*16), ConvT(32 -> 16) to 8x8, ConvT(16 -> 3) to 16x16;
    # D = Conv(3 -> 16) to 8x8, Conv(16 -> 32) to 4x4, Conv(32 -> 1) with a 4x4 kernel to 1x1.
    # A transposed conv costs what its adjoint conv costs. Backward = weight grads (one forward's worth)
    # plus input grads (another), except where the input needs none: z, and images fed to D's first layer.
    bs, nz = 8, 10
    config = apply_overrides(GanlabConfig(), {"data.resolution": 16, "data.channels": 3, "model.width": 32,
                                              "model.nz": nz, "train.batch_size": bs})
    g_first = 2.0 * bs * nz * 32 * 16
    g_fwd = g_first + conv_flops(bs, 16, 32, 4, 4) + conv_flops(bs, 3, 16, 4, 8)
    d_first = conv_flops(bs, 3, 16, 4, 8)
    d_fwd = d_first + conv_flops(bs, 16, 32, 4, 4) + conv_flops(bs, 32, 1, 4, 1)
    # D's update: G forward, D on real and on detached fake, each backward without D's input grads.
    d_update = g_fwd + 2 * d_fwd + 2 * (2 * d_fwd - d_first)
    # G's update on the same fake: D forward, D input grads only (its weights are frozen), G backward.
    g_update = d_fwd + d_fwd + (2 * g_fwd - g_first)
    assert step_flops(config) == pytest.approx(d_update + g_update, rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.1, 100.0), min_size=1, max_size=7), st.integers(1, 3))
def test_makespan_is_at_most_4_3_of_the_best_packing_and_never_below_it(durations, workers):
    best = min(max(sum(d for d, w in zip(durations, assign, strict=True) if w == slot) for slot in range(workers))
               for assign in itertools.product(range(workers), repeat=len(durations)))
    packed = makespan(durations, workers)
    assert best - 1e-9 <= packed <= best * 4 / 3 + 1e-9  # Graham's bound for longest-first packing
    assert packed >= max(durations) and packed >= sum(durations) / workers - 1e-9


def test_estimate_lines_add_up_the_measured_parts(tmp_path, monkeypatch):
    sweep = load_sweep_spec(write_sweep(tmp_path / "s.yaml", tiny_sweep(seeds=2)))
    tasks = plan_runs(sweep, tmp_path / "out")
    monkeypatch.setattr(estimate, "measure_step_seconds", lambda config, dataset, threads: 0.01)
    monkeypatch.setattr(estimate, "measure_eval_seconds", lambda dataset, n, full: 2.0 if full else 0.5)
    monkeypatch.setattr(estimate, "worker_start_seconds", lambda: 1.0)
    config = GanlabConfig.model_validate(tasks[0].config)
    steps, diag = config.train.steps, config.diagnostics
    evals = steps // diag.eval_every if diag.enabled and diag.eval_every else 0
    per_run = 1.0 + steps * 0.01 + evals * 0.5 + (2.0 if diag.enabled else 0.0)
    lines = estimate_lines(tasks, 2, 1, on_cpu=True)
    wall = estimate._human(makespan([per_run] * len(tasks), 2))
    assert f"about {wall} of wall time for {len(tasks)} runs" in lines[1]
    assert "PFLOP" in lines[0] and "assumed" in lines[0]
    assert len(estimate_lines(tasks, 2, 1, on_cpu=False)) == 1  # off the CPU only the counted compute
