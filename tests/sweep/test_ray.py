"""The Ray backend against a local Ray instance and a two-node cluster on this machine.

Skipped when ray is not installed (CI installs it: ``pip install 'ganlab[ray]'``). Every Ray address
is 127.0.0.1; the cluster's processes are found by their process session and stopped in teardown.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

ray = pytest.importorskip("ray", reason="the ray backend needs ray: pip install 'ganlab[ray]'")

from ganlab.config import GanlabConfig  # noqa: E402
from ganlab.errors import GanlabError  # noqa: E402
from ganlab.sweep.backends import ray as ray_backend  # noqa: E402
from ganlab.sweep.options import SweepOptions  # noqa: E402
from ganlab.sweep.plan import plan_runs  # noqa: E402
from ganlab.sweep.runner import run_sweep  # noqa: E402
from ganlab.sweep.spec import Sweep, sweep_from_dict  # noqa: E402

BASE = {
    "data": {"dataset": "stacked-digits", "resolution": 16},
    "model": {"width": 16, "nz": 16},
    "train": {"steps": 30, "batch_size": 16, "checkpoint_every": 10, "device": "cpu"},
    "diagnostics": {"enabled": False},
    "output": {"samples": 4},
}
VARIANTS = {"bn-none": {"model.batchnorm": "none"}}
# Importable on the cluster's nodes only (their PYTHONPATH), like a user's own module installed there.
CRASH_MODULE = '''
import os

import torch


def dies(config):
    os._exit(3)  # the worker process vanishes mid-task, as if OOM-killed


class Raises(torch.nn.Module):
    """Builds (the build-time probe runs it in eval mode), then raises in training."""

    def __init__(self, shape):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.shape = shape

    def forward(self, z):
        if self.training:
            raise RuntimeError("boom from a user generator")
        return torch.tanh(self.w) + torch.zeros(z.shape[0], *self.shape)


def raises(config):
    from ganlab.models import image_shape
    return Raises(image_shape(config))
'''


@pytest.fixture(scope="module", autouse=True)
def no_ray_auth_token() -> Iterator[None]:
    """A local ``ray.init()`` would turn on token auth and write ~/.ray/auth_token; tests leave ~ alone."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_AUTH_MODE", "disabled")
        yield


def tiny_sweep(name: str, seeds: list[int], variants: dict[str, Any] | None = None) -> Sweep:
    return sweep_from_dict({"name": name, "base": BASE, "seeds": seeds,
                            "variants": VARIANTS if variants is None else variants})


def metrics(run_dir: str | Path) -> pd.DataFrame:
    return pd.read_parquet(Path(run_dir) / "metrics.parquet").drop(columns=["time_s"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny sweep (both variants, seed 0: every run the Ray tests make) on the local backend: the
    results every Ray run must reproduce."""
    out = tmp_path_factory.mktemp("local")
    result = run_sweep(tiny_sweep("tiny", [0]), out, backend="local", workers=2, threads=1, progress=False)
    assert set(result.results["status"]) == {"completed"}
    return result.sweep_dir / "runs"


# ---- a local Ray instance -----------------------------------------------------------------------------


@pytest.fixture(scope="class")
def local_ray() -> Iterator[None]:
    temp = tempfile.mkdtemp(prefix="gl-ray-", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING", _temp_dir=temp)
    try:
        yield
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.usefixtures("local_ray")
class TestLocalRay:
    def test_same_results_as_local_backend(self, tmp_path: Path, reference: Path) -> None:
        result = run_sweep(tiny_sweep("tiny", [0]), tmp_path, backend="ray", threads=1, progress=False)
        table = result.results
        assert len(table) == 2 and set(table["status"]) == {"completed"}, table[["variant", "status", "error"]]
        for run_id in table["run_id"]:
            run_dir = result.sweep_dir / "runs" / run_id
            pd.testing.assert_frame_equal(metrics(run_dir), metrics(reference / run_id))
            info = json.loads((run_dir / "run.json").read_text())
            assert info["status"] == "completed" and info["steps_done"] == 30
            assert sorted(p.name for p in (run_dir / "samples").iterdir()) == [
                "step_000010.png", "step_000020.png", "step_000030.png"]
            assert "== completed" in (result.sweep_dir / "logs" / f"{run_id}.log").read_text()
        assert not [p for p in (result.sweep_dir / "runs").iterdir() if p.name.startswith(".")]  # no staging left

        again = run_sweep(tiny_sweep("tiny", [0]), tmp_path, backend="ray", threads=1, progress=False)
        assert again.n_skipped == 2 and set(again.results["status"]) == {"completed"}

    def test_resumes_from_the_drivers_checkpoint(self, tmp_path: Path, reference: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
        from ganlab.train import train
        from ganlab.train.trainer import Trainer

        sweep = tiny_sweep("resume", [0], variants={})
        (task,) = plan_runs(sweep, tmp_path / "resume")
        step = Trainer.step

        def interrupted(self: Trainer) -> dict[str, float]:
            if self.step_done == 15:
                raise KeyboardInterrupt
            return step(self)

        with monkeypatch.context() as patch:  # the driver's copy stops at step 15 (checkpoint at 10)
            patch.setattr(Trainer, "step", interrupted)
            with pytest.raises(KeyboardInterrupt):
                train(GanlabConfig.model_validate(task.config), task.run_dir, progress=False)
        assert json.loads((Path(task.run_dir) / "run.json").read_text())["status"] == "running"

        result = run_sweep(sweep, tmp_path, backend="ray", threads=1, progress=False)
        assert list(result.results["status"]) == ["completed"]
        info = json.loads((Path(task.run_dir) / "run.json").read_text())
        assert info["resumed_from"] == 10 and info["steps_done"] == 30
        pd.testing.assert_frame_equal(metrics(task.run_dir), metrics(reference / task.run_id))


def test_pack_and_unpack_replace_the_directory(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "samples").mkdir(parents=True)
    (src / "run.json").write_text("{}")
    (src / "samples" / "a.png").write_bytes(b"png")
    target = tmp_path / "runs" / "abc"
    (target / "stale").mkdir(parents=True)
    ray_backend.unpack_into(ray_backend.pack_dir(src), target)
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*")) == ["run.json", "samples", "samples/a.png"]
    assert [p.name for p in target.parent.iterdir()] == ["abc"]


@pytest.mark.parametrize(("device", "cluster_gpus", "expected"), [
    ("auto", 8.0, (2.0, 0.25)), ("auto", 0.0, (2.0, 0.0)), ("cpu", 8.0, (2.0, 0.0)), ("cuda", 8.0, (2.0, 0.25))])
def test_task_resources(device: str, cluster_gpus: float, expected: tuple[float, float]) -> None:
    options = SweepOptions(sweep_dir="/s", backend="ray", threads=2, runs_per_gpu=4)  # 4 runs share a GPU
    assert ray_backend.task_resources(options, {"train": {"device": device}}, cluster_gpus) == expected


def test_missing_ray_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(GanlabError, match=r"^the ray backend needs the optional extra: pip install 'ganlab\[ray\]'$"):
        ray_backend.run([], SweepOptions(sweep_dir="/nonexistent", backend="ray"), print)


def test_an_address_where_nothing_answers_is_a_one_line_error_at_once() -> None:
    (port,) = free_ports(1)  # nothing listens there; ray.init would retry it for ~14 minutes
    started = time.monotonic()
    with pytest.raises(GanlabError, match=rf"^could not connect to the Ray cluster at '127.0.0.1:{port}' "
                                          rf"\(nothing answers at 127.0.0.1:{port}: .+\); pass --ray-address "):
        ray_backend.connect(ray, SweepOptions(sweep_dir="/nonexistent", backend="ray",
                                              ray_address=f"127.0.0.1:{port}"))
    assert time.monotonic() - started < ray_backend.CONNECT_TIMEOUT_S
    assert not ray.is_initialized()


@pytest.mark.parametrize("address", [None, "auto", "local", "not-an-address", "ray://host"])
def test_only_an_explicit_host_and_port_is_probed(address: str | None) -> None:
    assert ray_backend.unreachable_reason(address) is None


# ---- a two-node cluster on this machine ---------------------------------------------------------------


def free_ports(n: int) -> list[int]:
    """n distinct free ports: every socket stays bound until all are picked, so the OS cannot hand one out twice."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


NODE_PORT_FLAGS = ("--node-manager-port", "--object-manager-port", "--dashboard-agent-listen-port",
                   "--dashboard-agent-grpc-port", "--runtime-env-agent-port", "--metrics-export-port")


def node_ports(ports: list[int]) -> list[str]:
    """Every per-node port given, so two nodes (and other Ray users) on one machine never collide."""
    return [arg for flag, port in zip(NODE_PORT_FLAGS, ports, strict=True) for arg in (flag, str(port))]


def session_pids(sids: set[int]) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) in sids:
                    pids.append(int(entry))
            except OSError:
                continue
    return pids


NODE_START_S = 180  # generous: a slow CI machine, not a broken cluster, is what this waits out


def answers(address: str) -> bool:
    return ray_backend.unreachable_reason(address) is None


def alive_nodes(address: str) -> int:
    """How many nodes the cluster reports alive; 0 while the driver cannot connect yet."""
    if not answers(address):  # a head that died would cost ray.init ~14 min of retries
        return 0
    try:
        ray.init(address=address, logging_level="WARNING", log_to_driver=False)
    except ConnectionError:
        return 0
    try:
        return len([n for n in ray.nodes() if n["Alive"]])
    finally:
        ray.shutdown()


def wait_for(ready: Callable[[], bool], seconds: float, what: str,
             procs: list[subprocess.Popen[bytes]], temps: list[str]) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        logs = [Path(t) / "ray-start.log" for t in temps]
        tails = " | ".join(log.read_text(errors="replace")[-400:] for log in logs if log.exists())
        assert all(p.poll() is None for p in procs), f"`ray start` exited before {what}: {tails}"
        assert time.monotonic() < deadline, f"no {what} within {seconds} s: {tails}"
        time.sleep(0.5)


@pytest.fixture(scope="class")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A head and a worker node, one CPU each, each with its own temp dir; stopped even on failure.

    Each ``ray start --block`` runs in a new process session; its Ray processes stay in that session,
    so teardown stops exactly those (SIGTERM to ``ray start``, then SIGKILL to whatever is left).
    """
    if shutil.which("ray") is None:
        pytest.skip("the `ray` command is not on PATH")
    if ray.is_initialized():
        ray.shutdown()
    modules = tmp_path_factory.mktemp("node-modules")
    (modules / "ganlab_ray_crash.py").write_text(CRASH_MODULE)
    temps = [tempfile.mkdtemp(prefix=f"gl-{name}-", dir="/tmp") for name in ("head", "node")]
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled", PYTHONPATH=str(modules))
    # All at once: ports picked one by one can repeat (a released port is often the next one handed
    # out), and a node given the same port twice exits at start.
    port, client_port, *ports = free_ports(2 + 2 * len(NODE_PORT_FLAGS))
    address = f"127.0.0.1:{port}"
    common = ["--num-cpus=1", "--object-store-memory=100000000", "--disable-usage-stats", "--block"]
    commands = [
        ["ray", "start", "--head", f"--port={port}", f"--temp-dir={temps[0]}", "--include-dashboard=false",
         f"--ray-client-server-port={client_port}", *common, *node_ports(ports[:len(NODE_PORT_FLAGS)])],
        ["ray", "start", f"--address={address}", f"--temp-dir={temps[1]}", *common,
         *node_ports(ports[len(NODE_PORT_FLAGS):])],
    ]
    procs: list[subprocess.Popen[bytes]] = []

    def start(command: list[str], temp: str) -> None:
        (Path(temp) / "tmp").mkdir()  # the node's TMPDIR: what a dead worker leaves is removed with it
        with open(Path(temp) / "ray-start.log", "wb") as log:
            procs.append(subprocess.Popen(command, env={**env, "TMPDIR": str(Path(temp) / "tmp")}, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True))

    try:
        # The head first, and only once its GCS answers: on a loaded machine it can take longer to come up
        # than a joining node or ray.init (about 20 s of retries) will wait for it.
        start(commands[0], temps[0])
        wait_for(lambda: answers(address), NODE_START_S, "the head's GCS port", procs, temps)
        start(commands[1], temps[1])
        wait_for(lambda: alive_nodes(address) >= 2, NODE_START_S, "two live Ray nodes", procs, temps)
        yield {"address": address, "temps": temps}
    finally:
        if ray.is_initialized():
            ray.shutdown()
        for proc in reversed(procs):  # the worker node first, while the head's GCS still answers
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    pass
        for pid in session_pids({p.pid for p in procs}):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for temp in temps:
            shutil.rmtree(temp, ignore_errors=True)


class TestCluster:
    def test_workers_import_the_shipped_ganlab(self, cluster: dict[str, Any], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        monkeypatch.chdir(tmp_path)  # Ray puts the driver's cwd on workers' sys.path; this checkout must not be it
        ray.init(address=cluster["address"], runtime_env=ray_backend.runtime_env(), logging_level="WARNING",
                 log_to_driver=False)
        try:
            def where() -> str:
                import ganlab

                return ganlab.__file__

            remote = ray.remote(num_cpus=1, max_retries=0)(where)
            nodes = [n["NodeID"] for n in ray.nodes() if n["Alive"]]
            files = ray.get([remote.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n, soft=False))
                             .remote() for n in nodes])
        finally:
            ray.shutdown()
        local = str(Path(ray_backend.__file__).parents[2])
        assert len(files) == 2 and not any(f.startswith(local) for f in files), files  # a copy, not this checkout

    def test_runs_spread_over_nodes_and_crashes_are_recorded(self, cluster: dict[str, Any], tmp_path: Path,
                                                             reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)  # so the workers import the ganlab the backend ships (py_modules)
        sweep = tiny_sweep("cluster", [0], variants={**VARIANTS,
                                                     # the module exists only on the nodes: nothing here to hash
                                                     "dies": {"model.generator": "ganlab_ray_crash:dies",
                                                              "model.code_version": "crash-1"},
                                                     "raises": {"model.generator": "ganlab_ray_crash:raises",
                                                                "model.code_version": "crash-1"}})
        sweep_dir = tmp_path / "cluster"
        tasks = plan_runs(sweep, sweep_dir)
        by_variant = {t.variant: t for t in tasks}
        records: dict[str, dict[str, Any]] = {}
        options = SweepOptions(sweep_dir=str(sweep_dir), backend="ray", ray_address=cluster["address"], threads=1)
        ray_backend.run(tasks, options, lambda record: records.setdefault(record["variant"], record))
        assert not ray.is_initialized()  # the backend closes the connection it opened

        assert {v: r["status"] for v, r in records.items()} == {
            "baseline": "completed", "bn-none": "completed", "dies": "error", "raises": "error"}
        assert len({records[v]["ray_node_id"] for v in ("baseline", "bn-none")}) == 2  # one run on each node
        assert "WorkerCrashedError" in records["dies"]["error"]
        assert records["raises"]["error"] == "RuntimeError: boom from a user generator"
        for task in tasks:
            record, run_dir = records[task.variant], Path(task.run_dir)
            assert record["run_dir"] == task.run_dir and record["log_path"] == task.log_file
            assert Path(task.log_file).is_file()
            if record["status"] == "completed":  # the artifacts came back to the driver's output dir
                assert {"run.json", "config.yaml", "metrics.parquet", "checkpoint.pt", "samples"} <= {
                    p.name for p in run_dir.iterdir()}
                pd.testing.assert_frame_equal(metrics(run_dir), metrics(reference / task.run_id))
        raised = Path(by_variant["raises"].run_dir)  # train's own error record, with driver paths
        info = json.loads((raised / "run.json").read_text())
        assert info["status"] == "error" and info["error_log"] == str(raised / "error.log")
        assert "boom from a user generator" in (raised / "error.log").read_text()
        assert "== error: ray task failed: WorkerCrashedError" in Path(by_variant["dies"].log_file).read_text()
