"""``ganlab sweep`` (local backend) against the same runs one after another in one process.

Run: python -m pytest tests/benchmarks/bench_sweep.py -m benchmark -s -q -p no:cacheprovider
Both sides are timed as fresh processes (interpreter start-up and imports included), the serial one
with torch's default threads (every core), the sweep with its default workers (one per core, one
thread each). Targets, as wall-time ratios sweep / serial:
  (a) 8 short runs (300 steps, evaluation every 100 steps): <= 0.7
  (b) 4 compute-bound runs (2000 steps, 16x16, width 128, no evaluation): <= 0.9
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.benchmark

REPO = Path(__file__).resolve().parents[2]

SERIAL = """
import sys
from ganlab.config import GanlabConfig
from ganlab.sweep.plan import plan_runs
from ganlab.sweep.spec import load_sweep_spec
from ganlab.train import train

for task in plan_runs(load_sweep_spec(sys.argv[1]), sys.argv[2]):
    train(GanlabConfig.model_validate(task.config), task.run_dir, progress=False)
"""

SHORT = {
    "name": "bench-short",
    "base": {"data": {"dataset": "stacked-digits", "resolution": 16}, "model": {"nz": 64, "width": 32},
             "train": {"steps": 300, "batch_size": 64, "checkpoint_every": 100, "device": "cpu"},
             "diagnostics": {"enabled": True, "eval_every": 100, "eval_samples": 500}},
    "seeds": 2,
    "variants": {"no-batchnorm": {"model.batchnorm": "none"}, "relu-in-d": {"model.d_activation": "relu"},
                 "linear-output": {"model.g_output": "linear"}},
}
COMPUTE = {
    "name": "bench-compute",
    "base": {"data": {"dataset": "stacked-digits", "resolution": 16}, "model": {"nz": 64, "width": 128},
             "train": {"steps": 2000, "batch_size": 64, "checkpoint_every": 1000, "device": "cpu"},
             "diagnostics": {"enabled": False}},
    "seeds": 2,
    "variants": {"no-batchnorm": {"model.batchnorm": "none"}},
}


def _timed(args: list[str]) -> float:
    # Read the environment now: the session fixture has pointed GANLAB_CACHE_DIR at the test cache.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    start = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


@pytest.fixture(scope="module", autouse=True)
def _trained_mode_classifier():
    """Train (or load) the cached digit classifier first, so neither side pays for it."""
    from ganlab.metrics.classifier import digit_classifier

    digit_classifier()


def _ratio(tmp_path: Path, spec: dict, n_runs: int) -> float:
    file = tmp_path / f"{spec['name']}.yaml"
    file.write_text(yaml.safe_dump(spec, sort_keys=False))
    serial = _timed([sys.executable, "-c", SERIAL, str(file), str(tmp_path / "serial")])
    swept = _timed([sys.executable, "-m", "ganlab", "sweep", str(file), "--out", str(tmp_path / "sweep"),
                    "--no-report"])
    assert len(list((tmp_path / "sweep" / spec["name"] / "runs").iterdir())) == n_runs
    ratio = swept / serial
    print(f"\n{spec['name']}: {n_runs} runs, serial {serial:.1f}s, sweep {swept:.1f}s, ratio {ratio:.2f} "
          f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")
    return ratio


def test_short_runs_with_evaluation(tmp_path):
    assert _ratio(tmp_path, SHORT, 8) <= 0.7


def test_compute_bound_runs(tmp_path):
    assert _ratio(tmp_path, COMPUTE, 4) <= 0.9
