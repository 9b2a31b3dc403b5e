"""Random streams: one per (seed, role), none shared, and common random numbers across variants."""

from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from ganlab.config import GanlabConfig, apply_overrides
from ganlab.data import build_dataset
from ganlab.sampling import STREAMS, stream, stream_seed
from ganlab.train.rundir import run_id
from ganlab.train.trainer import Trainer, resolve_config

BASE = {"data.dataset": "digits", "data.resolution": 16, "model.nz": 8, "model.width": 16, "train.batch_size": 8}


def trainer(**overrides: object) -> Trainer:
    config = apply_overrides(GanlabConfig(), {**BASE, **overrides})
    dataset = build_dataset(config.data)
    return Trainer(resolve_config(config, dataset), dataset, torch.device("cpu"))


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_no_two_seeds_or_roles_share_a_stream():
    seeds = {(s, role): stream_seed(s, role) for s in range(200) for role in STREAMS}
    assert len(set(seeds.values())) == len(seeds)
    # The old scheme's collision: seed 1's data stream was seed 0's z stream (seed + 1).
    first = {key: torch.randn(4, generator=stream(*key)) for key in [(0, "train_z"), (1, "data"), (0, "fixed_z"),
                                                                      (2, "data"), (1, "train_z")]}
    values = list(first.values())
    assert all(not torch.equal(a, b) for i, a in enumerate(values) for b in values[i + 1:])


@given(seed=st.integers(0, 2**63 - 1), role=st.sampled_from(STREAMS))
def test_stream_seeds_are_stable_63_bit_integers(seed, role):
    value = stream_seed(seed, role)
    assert 0 <= value < 2**63 and value == stream_seed(seed, role)


def test_a_g_only_variant_keeps_d_and_the_data_order_of_the_baseline():
    base, variant = trainer(seed=3), trainer(seed=3, **{"model.g_upsample": "nearest"})
    assert same_weights(base.D, variant.D)
    real_base = base.dataset.sample(8, base.data_gen)[0]
    real_variant = variant.dataset.sample(8, variant.data_gen)[0]
    assert torch.equal(real_base, real_variant)
    assert torch.equal(base.sample_z(8), variant.sample_z(8)) and torch.equal(base.eval_z, variant.eval_z)


def test_a_d_only_variant_keeps_g_of_the_baseline():
    base, variant = trainer(seed=5), trainer(seed=5, **{"model.d_activation": "relu"})
    assert same_weights(base.G, variant.G)
    assert same_weights(base.D, variant.D)  # ReLU has no weights: D's initial weights are the same too
    base_lin, linear_out = trainer(seed=5), trainer(seed=5, **{"model.g_output": "linear"})
    assert same_weights(base_lin.D, linear_out.D)


def test_another_seed_changes_every_stream():
    a, b = trainer(seed=0), trainer(seed=1)
    assert not same_weights(a.G, b.G) and not same_weights(a.D, b.D)
    assert not torch.equal(a.dataset.sample(8, a.data_gen)[0], b.dataset.sample(8, b.data_gen)[0])


def test_run_ids_carry_the_streams_version(monkeypatch):
    config = apply_overrides(GanlabConfig(), BASE)
    before = run_id(config)
    monkeypatch.setattr("ganlab.train.rundir.STREAMS_VERSION", 1)
    assert run_id(config) != before
