"""data.range: D trains on [0, 1] when asked, G's sigmoid is plain, and readers map G back to [-1, 1]."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from ganlab.config import GanlabConfig, apply_overrides
from ganlab.data import build_dataset
from ganlab.data.range import from_data_range, to_data_range
from ganlab.errors import ConfigError
from ganlab.sampling import draw_z, final_generator, final_samples, fixed_stream, generate
from ganlab.train.trainer import Trainer, resolve_config

SIGMOID = {"data.dataset": "digits", "data.resolution": 16, "model.nz": 8, "model.width": 16,
           "train.batch_size": 8, "model.g_output": "sigmoid", "data.range": [0, 1]}


def trainer(**overrides: object) -> Trainer:
    config = apply_overrides(GanlabConfig(), {**SIGMOID, **overrides})
    dataset = build_dataset(config.data)
    return Trainer(resolve_config(config, dataset), dataset, torch.device("cpu"))


@given(st.lists(st.floats(-1, 1, width=32), min_size=1, max_size=64), st.sampled_from([(-1.0, 1.0), (0.0, 1.0)]))
def test_the_range_map_round_trips_and_lands_in_the_range(values, data_range):
    x = torch.tensor(values)
    mapped = to_data_range(x, data_range)
    assert mapped.min() >= data_range[0] and mapped.max() <= data_range[1]
    torch.testing.assert_close(from_data_range(mapped, data_range), x, rtol=0, atol=1e-6)


def test_d_sees_real_batches_in_zero_one_and_a_plain_sigmoid_output():
    tr = trainer(seed=1)
    seen: list[torch.Tensor] = []
    tr.D.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    tr.step()
    real, fake = seen[0], seen[1]
    assert real.min() >= 0.0 and real.max() <= 1.0 and real.min() < 0.05 and real.max() > 0.95
    assert fake.min() > 0.0 and fake.max() < 1.0  # sigmoid, not 2 * sigmoid - 1
    # The same seed on [-1, 1] data gives D the same images, scaled.
    tanh = trainer(seed=1, **{"model.g_output": "tanh", "data.range": [-1, 1]})
    seen_tanh: list[torch.Tensor] = []
    tanh.D.register_forward_pre_hook(lambda module, args: seen_tanh.append(args[0].detach().clone()))
    tanh.step()
    torch.testing.assert_close(seen_tanh[0], real * 2 - 1)


def test_grids_evaluation_and_final_samples_read_g_mapped_back_to_minus_one_one():
    tr = trainer(seed=2)
    raw = generate(tr.G, tr.fixed_z)  # (N, C, R, R) in (0, 1)
    assert raw.min() > 0.0
    torch.testing.assert_close(tr.images(tr.fixed_z), raw * 2 - 1)
    diagnostics = tr.config.diagnostics.model_copy(update={"final_samples": 50})
    config = tr.config.model_copy(update={"diagnostics": diagnostics})
    constant, _ = fixed_stream(config)
    z = draw_z(config, 50, final_generator(config.seed), constant)
    torch.testing.assert_close(final_samples(tr.G, config), generate(tr.G, z) * 2 - 1)


@pytest.mark.parametrize("overrides,needle", [
    ({"model.g_output": "sigmoid"}, "needs data.range: [0, 1]"),
    ({"data.range": [0, 2]}, "data.range must be [-1, 1] or [0, 1], got [0, 2]"),
    ({"data.range": [1]}, "data.range"),
])
def test_a_sigmoid_on_minus_one_one_data_or_another_range_is_one_line_error(overrides, needle):
    with pytest.raises(ConfigError) as error:
        apply_overrides(GanlabConfig(), overrides)
    message = str(error.value)
    assert needle in message and "\n" not in message


def test_tanh_on_zero_one_data_is_allowed():
    config = apply_overrides(GanlabConfig(), {"data.range": [0, 1]})
    assert config.data.range == (0.0, 1.0) and config.model.g_output == "tanh"


def test_a_sweep_variant_may_pair_sigmoid_with_zero_one_data_but_not_leave_it_out(tmp_path):
    from ganlab.sweep.spec import load_sweep_spec
    from tests.sweep.helpers import tiny_sweep, write_sweep

    paired = {"model.g_output": "sigmoid", "data.range": [0, 1]}
    sweep = load_sweep_spec(write_sweep(tmp_path / "ok.yaml", tiny_sweep(variants={"sig": paired})))
    assert sweep.configs["sig"].data.range == (0.0, 1.0)
    bad = write_sweep(tmp_path / "bad.yaml", tiny_sweep(variants={"sig": {"model.g_output": "sigmoid"}}))
    with pytest.raises(ConfigError) as error:
        load_sweep_spec(bad)
    message = str(error.value)
    assert "bad.yaml" in message and "variant 'sig'" in message and "data.range: [0, 1]" in message
    assert "\n" not in message
