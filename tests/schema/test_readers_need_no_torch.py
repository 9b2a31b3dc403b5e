"""Readers need only the disk: ``ganlab --help``, ``diagnose``, ``report`` and the CI gate's baseline load no torch.

Each command runs in a fresh interpreter (``sys.modules`` of this one already holds torch) on a sweep
written by the synthetic fixture, which writes through the same ``ganlab.schema`` code as real runs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ganlab.schema import MANIFEST, RunRecord, SweepManifest, read_run
from ganlab.testing.synthetic import make_sweep

PROBE = """
import sys
from ganlab.cli.main import main
code = main(sys.argv[1:])
print(f"EXIT {code} TORCH {'torch' in sys.modules} TRAINER {'ganlab.train' in sys.modules}", file=sys.stderr)
"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return make_sweep(tmp_path_factory.mktemp("schema") / "sw", seeds=2, steps=120, checkpoint_every=40)


def probe(*args: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    return done.stderr.strip().splitlines()[-1]


def test_help_diagnose_and_report_do_not_import_torch(sweep, tmp_path):
    run_dir = next((sweep / "runs").iterdir())
    assert probe("--help") == "EXIT 0 TORCH False TRAINER False"
    assert probe("diagnose", str(run_dir)) == "EXIT 0 TORCH False TRAINER False"
    assert probe("diagnose", str(run_dir / "metrics.parquet"), "--json") == "EXIT 0 TORCH False TRAINER False"
    assert probe("report", str(sweep), "-o", str(tmp_path / "r.html")) == "EXIT 0 TORCH False TRAINER False"
    assert (tmp_path / "r.html").is_file()


def test_schema_report_loader_and_baseline_reader_import_no_torch():
    code = ("import sys, ganlab.schema, ganlab.report.load, ganlab.check.baseline, ganlab.diagnostics;"
            "print(sorted(m for m in ('torch', 'ganlab.train', 'ganlab.metrics', 'ganlab.data') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_the_synthetic_fixture_writes_valid_records(sweep):
    manifest = SweepManifest.model_validate(json.loads((sweep / MANIFEST).read_text()))
    assert manifest.device == "cpu" and manifest.n_runs == len(list((sweep / "runs").iterdir())) == 6
    records = [read_run(d) for d in (sweep / "runs").iterdir()]
    assert all(isinstance(r, RunRecord) for r in records)
