"""Backend registry, worker counts, thread split and GPU assignment (no GPU needed), the lock file."""

from __future__ import annotations

import os
import pickle

import pytest

from ganlab.errors import ConfigError, GanlabError
from ganlab.sweep.backends import BACKENDS, get_backend
from ganlab.sweep.backends.local import visible_gpu_ids, worker_plan
from ganlab.sweep.lock import SweepLocked, sweep_lock
from ganlab.sweep.options import SweepOptions, default_workers, gpu_for_worker, threads_per_worker
from ganlab.sweep.task import RunTask, failure_record


def test_registry_names_and_unknown_backend():
    assert set(BACKENDS) >= {"local", "ray"}
    with pytest.raises(ConfigError, match="unknown backend 'slurm'; valid: local, ray"):
        get_backend("slurm")


def test_cpu_workers_default_to_cores_and_split_threads():
    assert default_workers(40, n_gpus=0, cores=2) == 2
    assert default_workers(1, n_gpus=0, cores=16) == 1
    assert threads_per_worker(2, cores=2) == 1 and threads_per_worker(3, cores=16) == 5
    assert threads_per_worker(8, cores=2) == 1
    plan = worker_plan(10, SweepOptions(sweep_dir="/x"), n_gpus=0, cores=8)
    assert plan == [(None, 1)] * 8
    plan = worker_plan(10, SweepOptions(sweep_dir="/x", workers=3), n_gpus=0, cores=8)
    assert plan == [(None, 2)] * 3
    assert worker_plan(2, SweepOptions(sweep_dir="/x", workers=5), n_gpus=0, cores=8) == [(None, 4)] * 2


def test_gpu_workers_are_round_robin_with_runs_per_gpu(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert default_workers(100, runs_per_gpu=3, n_gpus=2, cores=16) == 6
    assert [gpu_for_worker(s, 2) for s in range(6)] == [0, 1, 0, 1, 0, 1]
    assert gpu_for_worker(3, 0) is None
    plan = worker_plan(100, SweepOptions(sweep_dir="/x", runs_per_gpu=2), n_gpus=4, cores=16)
    assert [g for g, _ in plan] == ["0", "1", "2", "3", "0", "1", "2", "3"]
    assert {t for _, t in plan} == {2}
    # An existing CUDA_VISIBLE_DEVICES is respected: worker GPUs are picked from it.
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5,7")
    assert visible_gpu_ids(2) == ["5", "7"]
    plan = worker_plan(3, SweepOptions(sweep_dir="/x", runs_per_gpu=2), n_gpus=2, cores=4)
    assert [g for g, _ in plan] == ["5", "7", "5"]


def test_tasks_pickle_and_failure_records_have_every_key(tmp_path):
    task = RunTask("v", 0, "abc", {"model.nz": 8}, {"seed": 0}, str(tmp_path / "runs" / "abc"))
    assert pickle.loads(pickle.dumps(task)) == task
    assert task.log_file == str(tmp_path / "logs" / "abc.log")
    record = failure_record(task, "worker process died with SIGKILL")
    assert record["status"] == "error" and record["log_path"] == task.log_file
    assert {"variant", "seed", "run_id", "status", "error", "log_path", "run_dir", "wall_time_s", "info"} <= set(record)


def test_lock_names_its_holder_and_is_released(tmp_path):
    with sweep_lock(tmp_path) as path:
        assert f"pid {os.getpid()}" in path.read_text()
        with pytest.raises(SweepLocked, match=rf"in use by another ganlab sweep \(pid {os.getpid()} on host "):
            with sweep_lock(tmp_path):
                pass
        assert issubclass(SweepLocked, GanlabError)
    with sweep_lock(tmp_path):  # released on exit
        pass
