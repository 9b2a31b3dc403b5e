"""The sweep file: validation errors name file:line, variant and key; expansion counts and names."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ganlab.errors import ConfigError
from ganlab.sweep.grid import cell_name, grid_cells
from ganlab.sweep.plan import dispatch_order, plan_runs
from ganlab.sweep.spec import BASELINE, load_sweep_spec, sweep_from_dict
from tests.sweep.helpers import demo_sweep_text, tiny_sweep, write_sweep

SWEEP = demo_sweep_text(seeds=2)


def load_text(tmp_path, text, overrides=None):
    return load_sweep_spec(write_sweep(tmp_path / "sweep.yaml", text), overrides)


def test_a_valid_sweep_expands_to_baseline_variants_and_seeds(tmp_path):
    sweep = load_text(tmp_path, SWEEP)
    assert list(sweep.variants) == [BASELINE, "no-bn", "relu-d"]
    assert sweep.variants["no-bn"] == {"model.batchnorm": "none"}
    assert sweep.seeds == (0, 1) and sweep.n_runs == 6
    assert sweep.configs["no-bn"].model.batchnorm == "none"
    assert sweep.configs[BASELINE].model.batchnorm == "both"


def test_unknown_key_in_a_variant_names_the_variant_key_and_line(tmp_path):
    text = SWEEP.replace("model.d_activation: relu", "model.d_activaton: relu")
    with pytest.raises(ConfigError) as err:
        load_text(tmp_path, text)
    message = str(err.value)
    assert "sweep.yaml:11" in message and "variant 'relu-d'" in message
    assert "model.d_activaton" in message and "did you mean 'model.d_activation'" in message
    assert "\n" not in message


def test_wrong_typed_value_in_a_variant_names_the_variant_key_and_line(tmp_path):
    text = SWEEP.replace("model.batchnorm: none", "model.batchnorm: sometimes")
    with pytest.raises(ConfigError, match=r"sweep\.yaml:9: variant 'no-bn' sets model\.batchnorm.*'sometimes'"):
        load_text(tmp_path, text)
    nested = SWEEP.replace("model.batchnorm: none", "model:\n      nz: many")
    with pytest.raises(ConfigError, match=r"sweep\.yaml:10: variant 'no-bn' sets model\.nz"):
        load_text(tmp_path, nested)


def test_two_variants_with_the_same_config_are_an_error_naming_both(tmp_path):
    text = SWEEP.replace("model.d_activation: relu", "model.batchnorm: none")
    with pytest.raises(ConfigError, match="variants 'no-bn' and 'relu-d' resolve to the same config"):
        load_text(tmp_path, text)
    # Setting a key to the base's own value is the baseline again.
    same_as_base = SWEEP.replace("model.d_activation: relu", "model.d_activation: leaky_relu")
    with pytest.raises(ConfigError, match="variants 'baseline' and 'relu-d'"):
        load_text(tmp_path, same_as_base)
    # model.width: 16 is the base's width; a variant spelling out the default width is the same run.
    default_width = SWEEP.replace("width: 16", "width: null").replace("model.d_activation: relu",
                                                                      "model.width: 256")
    with pytest.raises(ConfigError, match="variants 'baseline' and 'relu-d'"):
        load_text(tmp_path, default_width)


def test_variants_that_differ_only_before_resolution_are_caught_by_run_id(tmp_path):
    text = SWEEP.replace("model.d_activation: relu", "data.channels: 3")  # stacked-digits has 3 anyway
    sweep = load_text(tmp_path, text)
    with pytest.raises(ConfigError, match="variants 'baseline' and 'relu-d'"):
        plan_runs(sweep, tmp_path / "out")


@pytest.mark.parametrize(("text", "pattern"), [
    (SWEEP.replace("relu-d:", "baseline:"), r"sweep\.yaml:10: variant name 'baseline' is reserved"),
    (SWEEP.replace("name: demo", "name: ../escape"), r"sweep\.yaml:1: name = '\.\./escape'.*folder name"),
    (SWEEP.replace("seeds: 2", "seedz: 2"), r"sweep\.yaml:6: unknown sweep key 'seedz'; did you mean 'seeds'"),
    (SWEEP.replace("seeds: 2", "seeds: 0"), r"sweep\.yaml:6: seeds = 0"),
    (SWEEP.replace("seeds: 2", "seeds: [1, 1]"), r"sweep\.yaml:6: seeds.*distinct"),
    (SWEEP.replace("seeds: 2", "seeds: 2\ngrid:\n  train.lr_d: []"), r"sweep\.yaml:7: grid.*no values"),
    (SWEEP.replace("batch_size: 16", "batch_size: 1"), r"sweep\.yaml:5: train\.batch_size = 1"),
    (SWEEP.replace("model.batchnorm: none", "seed: 4"), r"sweep\.yaml:9: variant 'no-bn' sets seed: seeds come"),
    (SWEEP.replace("model.batchnorm: none", "output.dir: elsewhere"), r"variant 'no-bn' sets output\.dir"),
    (SWEEP.replace("    model.batchnorm: none\n", "    {}\n"), r"sweep\.yaml:8: variant 'no-bn' overrides nothing"),
    (SWEEP.replace("name: demo\n", ""), r"sweep\.yaml: the sweep file needs 'name'"),
])
def test_sweep_file_errors_are_one_line_with_file_and_line(tmp_path, text, pattern):
    with pytest.raises(ConfigError, match=pattern) as err:
        load_text(tmp_path, text)
    assert "\n" not in str(err.value)


def test_grid_cells_are_variants_named_after_their_values(tmp_path):
    text = SWEEP + "grid:\n  model.batchnorm: [none, all_layers]\n  train.lr_d: [0.001, 0.0002]\n"
    sweep = load_text(tmp_path, text.replace("model.batchnorm: none", "model.nz: 8"))
    cells = [n for n in sweep.variants if "=" in n]
    assert cells == ["model.batchnorm=none,train.lr_d=0.001", "model.batchnorm=none,train.lr_d=0.0002",
                     "model.batchnorm=all_layers,train.lr_d=0.001", "model.batchnorm=all_layers,train.lr_d=0.0002"]
    assert sweep.n_runs == (1 + 2 + 4) * 2
    assert sweep.variants[cells[0]] == {"model.batchnorm": "none", "train.lr_d": 0.001}


def test_a_bad_grid_value_names_the_cell_and_the_grid_line(tmp_path):
    text = SWEEP + "grid:\n  model.g_output: [tanh, cosine]\n"
    with pytest.raises(ConfigError, match=r"sweep\.yaml:13: grid cell 'model\.g_output=cosine' sets model\.g_output"):
        load_text(tmp_path, text)


def test_set_overrides_the_base_before_the_variants(tmp_path):
    sweep = load_text(tmp_path, SWEEP, {"train.steps": 3, "model.nz": 12})
    assert sweep.configs[BASELINE].train.steps == 3 and sweep.configs["no-bn"].train.steps == 3
    assert sweep.configs["no-bn"].model.nz == 12 and sweep.set_overrides == {"train.steps": 3, "model.nz": 12}
    with pytest.raises(ConfigError, match="variants 'baseline' and 'relu-d'"):  # now relu-d is the baseline
        load_text(tmp_path, SWEEP, {"model.d_activation": "relu", "model.nz": 16})
    with pytest.raises(ConfigError, match=r"--set train\.step.*did you mean 'train\.steps'"):
        load_text(tmp_path, SWEEP, {"train.step": 3})
    with pytest.raises(ConfigError, match="--set seed"):
        load_text(tmp_path, SWEEP, {"seed": 3})


def test_base_may_be_a_run_config_file_beside_the_sweep(tmp_path):
    (tmp_path / "base.yaml").write_text("model:\n  nz: 16\n  widht: 16\n")
    with pytest.raises(ConfigError, match=r"base\.yaml:3: unknown key 'model\.widht'"):
        load_text(tmp_path, "name: x\nbase: base.yaml\n")
    (tmp_path / "base.yaml").write_text("model:\n  nz: 16\n")
    assert load_text(tmp_path, "name: x\nbase: base.yaml\nseeds: [3, 7]\n").configs[BASELINE].model.nz == 16


def test_plan_gives_run_ids_of_the_resolved_seeded_configs(tmp_path):
    from ganlab.config import GanlabConfig
    from ganlab.train import resolve_config, run_id

    sweep = load_text(tmp_path, SWEEP)
    tasks = plan_runs(sweep, tmp_path / "out")
    assert [(t.variant, t.seed) for t in tasks] == [(v, s) for v in sweep.variants for s in (0, 1)]
    assert len({t.run_id for t in tasks}) == 6
    for task in tasks:
        config = GanlabConfig.model_validate(task.config)
        assert config.seed == task.seed and run_id(resolve_config(config)) == task.run_id
        assert task.run_dir == str((tmp_path / "out" / "runs" / task.run_id).absolute())
    assert [(t.variant, t.seed) for t in dispatch_order(tasks)][:3] == [(BASELINE, 0), ("no-bn", 0), ("relu-d", 0)]


_values = st.one_of(st.integers(-5, 5), st.sampled_from(["none", "both", "all_layers"]), st.booleans(),
                    st.sampled_from([0.001, 0.5, 2e-4]))


@given(st.dictionaries(st.from_regex(r"[a-z]{1,6}\.[a-z_]{1,8}", fullmatch=True),
                       st.lists(_values, min_size=1, max_size=3, unique=True), max_size=3))
def test_grid_cells_are_the_cartesian_product_and_names_parse_back(grid):
    cells = grid_cells(grid)
    expected = 1
    for values in grid.values():
        expected *= len(values)
    assert len(cells) == (expected if grid else 0)
    for name, cell in cells.items():
        assert name == cell_name(cell)
        parsed = dict(part.split("=", 1) for part in name.split(","))
        assert {k: yaml.safe_load(v) for k, v in parsed.items()} == cell


@given(n_variants=st.integers(0, 4), axes=st.lists(st.integers(1, 3), max_size=2), seeds=st.integers(1, 4))
def test_run_count_is_one_plus_variants_plus_cells_times_seeds(n_variants, axes, seeds):
    keys = ["train.lr_d", "train.beta1"]
    variants = {f"v{i}": {"model.nz": 20 + i} for i in range(n_variants)}
    grid = {keys[a]: [0.1 + 0.01 * j for j in range(n)] for a, n in enumerate(axes)}
    sweep = sweep_from_dict(tiny_sweep(variants=variants, grid=grid, seeds=seeds))
    cells = 1
    for n in axes:
        cells *= n
    assert sweep.n_runs == (1 + n_variants + (cells if axes else 0)) * seeds
    assert list(sweep.variants)[0] == BASELINE
