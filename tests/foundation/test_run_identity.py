"""Run identity: two configs with the same run id log the same numbers (the id holds every input that
changes them). Pairs of tiny configs differ in one key; where the ids agree, both are trained and compared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ganlab.train import run_id, train
from tests.foundation.helpers import tiny_config

# Evaluation on, so the logged eval_* columns and final_metrics are part of what must agree.
TINY = {"train.steps": 4, "train.checkpoint_every": 4, "diagnostics.enabled": True, "diagnostics.eval_every": 2,
        "diagnostics.eval_samples": 16, "diagnostics.final_samples": 16}
# One key at a time, each with values other than tiny_config's; output.* is left out of the id by design.
ONE_KEY: dict[str, st.SearchStrategy[Any]] = {
    "output.samples": st.integers(1, 64),
    "output.dir": st.sampled_from(["elsewhere", "other/place"]),
    "seed": st.integers(1, 3),
    "train.steps": st.integers(2, 6),
    "train.batch_size": st.sampled_from([4, 16]),
    "model.batchnorm": st.sampled_from(["none", "generator", "all_layers"]),
    "model.bias_without_batchnorm": st.just(False),
    "train.z_distribution": st.sampled_from(["uniform", "constant"]),
    "diagnostics.eval_samples": st.sampled_from([24, 32]),
    "diagnostics.final_samples": st.sampled_from([24, 32]),
}


def comparable(run_dir: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    log = pd.read_parquet(run_dir / "metrics.parquet").drop(columns="time_s")
    return log, json.loads((run_dir / "run.json").read_text())["final_metrics"]


def same_numbers(a: Path, b: Path) -> None:
    (log_a, final_a), (log_b, final_b) = comparable(a), comparable(b)
    pd.testing.assert_frame_equal(log_a, log_b, check_exact=True)
    assert json.dumps(final_a, sort_keys=True) == json.dumps(final_b, sort_keys=True)


def test_the_sample_grid_size_changes_no_logged_number(tmp_path):
    # The evaluation's z used to continue the grid's stream: 4 and 16 grid images shifted every eval_* value.
    a = train(tiny_config(tmp_path / "a", **TINY, **{"output.samples": 4}))
    b = train(tiny_config(tmp_path / "b", **TINY, **{"output.samples": 16}))
    assert a.run_id == b.run_id
    same_numbers(a.run_dir, b.run_dir)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(sorted(ONE_KEY)), data=st.data())
def test_identical_run_ids_imply_identical_logs(tmp_path_factory, key, data):
    value = data.draw(ONE_KEY[key], label=key)
    root = tmp_path_factory.mktemp("pair")
    base = tiny_config(root / "a", **TINY)
    changed = tiny_config(root / "b", **{**TINY, key: value})
    if key == "output.dir":  # the value is where the run goes: keep it inside this test's folder
        changed = tiny_config(root / value, **TINY)
    if run_id(base) != run_id(changed):
        event("ids differ")
        return
    event(f"same id: {key}")
    same_numbers(train(base).run_dir, train(changed).run_dir)
