"""The trainer: run directory contents, bit-identical determinism on CPU, exact resume, non-finite stops."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
import yaml

from ganlab.config import load_config
from ganlab.data import build_dataset
from ganlab.schema import LOG_COLUMNS, RunRecord
from ganlab.train import Trainer, read_run, resolve_config, run_id, train
from tests.foundation.helpers import tiny_config


def log_without_time(run_dir):
    return pd.read_parquet(run_dir / "metrics.parquet").drop(columns="time_s")


def test_run_directory_holds_everything(tmp_path):
    result = train(tiny_config(tmp_path))
    run_dir = result.run_dir
    assert run_dir.parent == tmp_path and run_dir.name == result.run_id
    for name in ("config.yaml", "metrics.parquet", "checkpoint.pt", "run.json", "events.json"):
        assert (run_dir / name).is_file(), name
    assert sorted(p.name for p in (run_dir / "samples").iterdir()) == [
        "step_000004.png", "step_000008.png", "step_000012.png"]
    log = pd.read_parquet(run_dir / "metrics.parquet")
    assert tuple(log.columns) == LOG_COLUMNS and log["step"].tolist() == list(range(1, 13))
    assert log[["d_real", "d_fake"]].stack().between(0, 1).all()
    info = read_run(run_dir)
    assert info is not None and info.status == "completed" and info.steps_done == 12 and info.device == "cpu"
    assert info.versions["torch"] == torch.__version__ and set(info.versions) == {"ganlab", "torch", "python"}
    resolved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert resolved["data"]["channels"] == 3 and resolved["model"]["width"] == 16  # every default filled in
    assert load_config(run_dir / "config.yaml").model == tiny_config(tmp_path).model.model_copy(update={"width": 16})


def test_same_seed_gives_a_bit_identical_log_and_other_seeds_differ(tmp_path):
    a = train(tiny_config(tmp_path / "a"))
    b = train(tiny_config(tmp_path / "b"))
    c = train(tiny_config(tmp_path / "c", seed=1))
    pd.testing.assert_frame_equal(log_without_time(a.run_dir), log_without_time(b.run_dir), check_exact=True)
    assert not log_without_time(a.run_dir).equals(log_without_time(c.run_dir))
    assert a.run_id == b.run_id != c.run_id


def test_resume_after_a_crash_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    straight = train(tiny_config(tmp_path / "straight"))
    step = Trainer.step

    def crash_at_10(self):
        if self.step_done == 9:
            raise RuntimeError("simulated crash")
        return step(self)

    monkeypatch.setattr(Trainer, "step", crash_at_10)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(tiny_config(tmp_path / "resumed"))
    run_dir = next((tmp_path / "resumed").iterdir())
    crashed = read_run(run_dir)
    assert crashed is not None and crashed.status == "error" and "simulated crash" in str(crashed.error)
    assert "simulated crash" in (run_dir / "error.log").read_text()
    monkeypatch.setattr(Trainer, "step", step)
    resumed = train(tiny_config(tmp_path / "resumed"))
    assert resumed.status == "completed" and resumed.info["resumed_from"] == 8
    pd.testing.assert_frame_equal(log_without_time(straight.run_dir), log_without_time(resumed.run_dir),
                                  check_exact=True)
    a = torch.load(straight.run_dir / "checkpoint.pt", weights_only=True)
    b = torch.load(resumed.run_dir / "checkpoint.pt", weights_only=True)
    assert all(torch.equal(a["generator"][k], b["generator"][k]) for k in a["generator"])


def test_a_finished_run_is_returned_without_training(tmp_path, monkeypatch):
    first = train(tiny_config(tmp_path))
    monkeypatch.setattr(Trainer, "step", lambda self: pytest.fail("a finished run must not train again"))
    again = train(tiny_config(tmp_path))
    assert again.status == "completed" and again.run_dir == first.run_dir


def test_huge_learning_rate_stops_cleanly_on_the_first_non_finite_tensor(tmp_path):
    cfg = tiny_config(tmp_path, **{"train.lr_d": 1e12, "train.lr_g": 1e12, "train.steps": 40,
                                   "train.checkpoint_every": 1,
                                   "model.batchnorm": "none", "model.g_output": "linear"})
    result = train(cfg)
    info = result.info
    assert result.status == "failed" and info["non_finite_tensor"].startswith(("grad of D.", "loss_d", "output of"))
    assert info["stop_reason"].startswith(f"non_finite at step {result.steps_done}")
    log = pd.read_parquet(result.run_dir / "metrics.parquet")
    last = log.iloc[-1][["loss_d", "loss_g", "grad_norm_d", "grad_norm_g"]].to_numpy(dtype=float)
    assert log["step"].iloc[-1] == result.steps_done and not torch.isfinite(torch.tensor(last)).all()
    # The kept checkpoint is the last finite one.
    state = torch.load(result.run_dir / "checkpoint.pt", weights_only=True)
    assert result.steps_done > 1 and state["step"] == result.steps_done - 1
    assert all(torch.isfinite(t).all() for t in state["generator"].values() if t.is_floating_point())



def test_a_non_finite_batchnorm_buffer_is_found_within_check_every_steps(tmp_path):
    """At lr 1e10 D's BatchNorm running_var overflows at step 2 while every logged loss stays finite (the
    calibration corpus's lr-overflow run). Without a checkpoint due, the parameter check every
    check_every steps is what finds it."""
    cfg = tiny_config(tmp_path, **{"train.lr_d": 1e10, "train.lr_g": 1e10, "train.steps": 60,
                                   "train.checkpoint_every": 1000, "diagnostics.check_every": 10})
    result = train(cfg)
    assert result.status == "failed" and result.info["non_finite_tensor"].startswith("param D.")
    assert result.steps_done == 10  # the first check, not the end of the run
    log = pd.read_parquet(result.run_dir / "metrics.parquet")
    assert torch.isfinite(torch.tensor(log[["loss_d", "loss_g"]].to_numpy(dtype=float))).all()


def test_n_critic_takes_that_many_d_updates(tmp_path):
    cfg = tiny_config(tmp_path, **{"train.n_critic": 3, "train.steps": 2, "train.checkpoint_every": 2})
    state = torch.load(train(cfg).run_dir / "checkpoint.pt", weights_only=True)
    d_steps = {int(s["step"]) for s in state["opt_d"]["state"].values()}
    g_steps = {int(s["step"]) for s in state["opt_g"]["state"].values()}
    assert d_steps == {6} and g_steps == {2}


def test_constant_z_feeds_the_same_latent_every_step(tmp_path):
    cfg = tiny_config(tmp_path, **{"train.z_distribution": "constant", "data.channels": 3})
    trainer = Trainer(cfg, build_dataset(cfg.data), torch.device("cpu"))
    z = trainer.sample_z(5)
    assert torch.equal(z, z[:1].expand(5, -1)) and torch.equal(trainer.sample_z(5), z)


def test_run_json_is_a_valid_record_after_every_checkpoint(tmp_path, monkeypatch):
    import ganlab.train.run as run_module

    seen = []
    write = run_module.write_run

    def spy(run_dir, record):
        write(run_dir, record)
        on_disk = RunRecord.model_validate(json.loads((run_dir / "run.json").read_text()))
        seen.append((on_disk.status, on_disk.steps_done, on_disk.run_id))

    monkeypatch.setattr(run_module, "write_run", spy)
    result = train(tiny_config(tmp_path))  # 12 steps, a checkpoint every 4
    rid = result.run_id
    assert seen == [("running", 0, rid), ("running", 4, rid), ("running", 8, rid), ("running", 12, rid),
                    ("completed", 12, rid)]


class _Bomb:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned > /dev/null",))


def _bad_checkpoints(tmp_path):
    good = (tmp_path / "good.pt").read_bytes()
    bomb = tmp_path / "bomb.pt"
    torch.save({"step": 1, "x": _Bomb()}, bomb)
    return {"truncated": good[: len(good) // 2], "random": bytes(range(256)) * 64, "text": b"not a checkpoint\n",
            "pickle bomb": bomb.read_bytes(), "zero bytes": b"", "plain dict": _saved({"step": 3})}


def _saved(obj):
    import io

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def test_an_unreadable_checkpoint_is_one_line_naming_the_file_and_fresh(tmp_path, capsys):
    from ganlab.cli.main import main
    from ganlab.config import dump_config
    from ganlab.schema import write_run

    (tmp_path / "run.yaml").write_text(dump_config(tiny_config(tmp_path / "out")))
    assert main(["train", str(tmp_path / "run.yaml")]) == 0
    run_dir = next((tmp_path / "out").iterdir())
    finished = read_run(run_dir)
    assert finished is not None
    (tmp_path / "good.pt").write_bytes((run_dir / "checkpoint.pt").read_bytes())
    capsys.readouterr()
    for what, data in _bad_checkpoints(tmp_path).items():
        write_run(run_dir, finished.model_copy(update={"status": "running"}))  # interrupted: it resumes
        (run_dir / "checkpoint.pt").write_bytes(data)
        assert main(["train", str(tmp_path / "run.yaml")]) == 2, what
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("ganlab: error: ") and "Traceback" not in err, (what, err)
        assert str(run_dir / "checkpoint.pt") in err and "--fresh" in err, (what, err)
        assert main(["score", str(run_dir), "--n", "20"]) == 2, what  # score loads it the same way
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(run_dir / "checkpoint.pt") in err, (what, err)
    assert read_run(run_dir).status == "running"  # refused before anything was overwritten
    assert main(["train", str(tmp_path / "run.yaml"), "--fresh"]) == 0  # and --fresh starts over
    assert read_run(run_dir).status == "completed"


def test_a_second_train_on_the_same_run_directory_names_the_lock_holder(tmp_path):
    import subprocess
    import sys

    from ganlab.config import dump_config

    (tmp_path / "run.yaml").write_text(dump_config(tiny_config(tmp_path / "out")))
    run_dir = tmp_path / "out" / run_id(resolve_config(tiny_config(tmp_path / "out")))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom ganlab.lock import held\n"
         f"with held({str(run_dir / '.lock')!r}, RuntimeError):\n    print('locked', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        done = subprocess.run([sys.executable, "-m", "ganlab", "train", str(tmp_path / "run.yaml")],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert f"pid {holder.pid} on host" in done.stderr and str(run_dir) in done.stderr
        assert not (run_dir / "run.json").exists()  # the second one wrote nothing
    finally:
        holder.kill()
        holder.wait()
    assert subprocess.run([sys.executable, "-m", "ganlab", "train", str(tmp_path / "run.yaml")],
                          capture_output=True, timeout=300).returncode == 0  # released when the holder died


def test_a_real_run_writes_exactly_the_schema(tmp_path):
    from ganlab.schema import EVAL_COLUMNS, EVAL_KEYS

    cfg = tiny_config(tmp_path, **{"diagnostics.enabled": True, "diagnostics.eval_every": 6,
                                   "diagnostics.eval_samples": 50, "diagnostics.final_samples": 200})
    result = train(cfg)
    raw = json.loads((result.run_dir / "run.json").read_text())
    assert list(raw) == list(RunRecord.model_fields)  # every field, in the documented order
    assert RunRecord.model_validate(raw) == result.record
    log = pd.read_parquet(result.run_dir / "metrics.parquet")
    assert tuple(log.columns) == LOG_COLUMNS + EVAL_COLUMNS
    assert log.loc[log["step"] % 6 == 0, "eval_modes_total"].notna().all()
    assert log.loc[log["step"] % 6 != 0, "eval_modes_total"].isna().all()
    assert set(raw["final_metrics"]) == set(EVAL_KEYS)


def test_the_evaluations_reader_is_built_before_the_first_step(tmp_path, monkeypatch):
    """No hidden work in the loop: the digit ensemble is loaded (or trained) before training starts, not
    inside the first evaluation; with diagnostics off nothing builds it."""
    from ganlab.metrics import classifier

    built_at_first_step: list[bool] = []
    step = Trainer.step

    def watch(self):
        if self.step_done == 0:
            built_at_first_step.append(bool(classifier._LOADED))
        return step(self)

    monkeypatch.setattr(Trainer, "step", watch)
    monkeypatch.setattr(classifier, "_LOADED", {})
    train(tiny_config(tmp_path / "off", **{"train.steps": 2}))
    monkeypatch.setattr(classifier, "_LOADED", {})
    train(tiny_config(tmp_path / "on", **{"train.steps": 2, "diagnostics.enabled": True, "diagnostics.eval_every": 2,
                                          "diagnostics.eval_samples": 16, "diagnostics.final_samples": 16}))
    assert built_at_first_step == [False, True]
