"""Issue 21 item 7: a checkpoint of the right keys but wrong contents is the one-line unreadable-checkpoint
error, for resume and for ``score``, before anything of it is used or anything in the run is overwritten."""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from typing import Any

import pytest
import torch

from ganlab.config import dump_config
from ganlab.schema import read_run, write_run
from tests.badinput.helpers import assert_one_line_error, cli
from tests.foundation.helpers import tiny_config

Edit = Callable[[dict[str, Any]], None]


def _set(key: str, value: object) -> Edit:
    return lambda state: state.__setitem__(key, value)


def _wrong_shapes(key: str) -> Edit:
    def edit(state: dict[str, Any]) -> None:
        name = next(k for k, v in state[key].items() if v.dim() > 1)
        state[key][name] = torch.zeros(3, 3)
    return edit


def _opt_state_shapes(state: dict[str, Any]) -> None:
    slot = next(iter(state["opt_g"]["state"].values()))
    slot["exp_avg"] = torch.zeros(2)


def _rng(name: str, value: object) -> Edit:
    return lambda state: state["rng"].__setitem__(name, value)


def _rows(value: object) -> Edit:
    return lambda state: state.__setitem__("rows", value)


# Each reproduced a traceback, a run trained from a nonsense state, or a silent "completed" before the fix.
GENERATOR_CASES: dict[str, Edit] = {
    "generator is a tensor": _set("generator", torch.zeros(3)),
    "generator of wrong shapes": _wrong_shapes("generator"),
    "generator missing a key": lambda s: s["generator"].popitem(),
    "generator of wrong dtype": lambda s: s["generator"].update({k: v.double() for k, v in s["generator"].items()}),
}
TRAINER_CASES: dict[str, Edit] = {
    "discriminator of wrong shapes": _wrong_shapes("discriminator"),
    "opt_g a string": _set("opt_g", "garbage"),
    "opt_g empty": _set("opt_g", {}),
    "opt_g of D's parameters": lambda s: s.__setitem__("opt_g", s["opt_d"]),
    "opt_g state of wrong shapes": _opt_state_shapes,
    "opt_d lr changed": lambda s: s["opt_d"]["param_groups"][0].__setitem__("lr", 0.5),
    "opt_g betas empty tensors": lambda s: s["opt_g"]["param_groups"][0].__setitem__("betas", torch.zeros(0)),
    "opt_g lr a tensor of two": lambda s: s["opt_g"]["param_groups"][0].__setitem__("lr", torch.zeros(2)),
    "opt_g state of one parameter dropped": lambda s: s["opt_g"]["state"].popitem(),
    "opt_d state emptied": lambda s: s["opt_d"]["state"].clear(),
    "opt_g state of another step count": lambda s: next(iter(s["opt_g"]["state"].values()))["step"].add_(1),
    "rng a string": _set("rng", "abc"),
    "rng torch too short": _rng("torch", torch.zeros(7, dtype=torch.uint8)),
    "rng data a float tensor": _rng("data", torch.zeros(5056)),
    "rows a string": _rows("abc"),
    "rows of strings": _rows([{"step": "x"}]),
    "rows not increasing": _rows([{"step": 4}, {"step": 4}]),
    "rows past the step": _rows([{"step": 99}]),
    "rows an unknown column": _rows([{"step": 1, "bogus": 1.0}]),
    "step NaN": _set("step", math.nan),
    "step a string": _set("step", "4"),
    "step a bool": _set("step", True),
    "step 10**12": _set("step", 10**12),
    "step -5": _set("step", -5),
    "time_s NaN": _set("time_s", math.nan),
    "time_s negative": _set("time_s", -1.0),
}


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Any, dict[str, Any]]:
    """A tiny run trained to step 12, its config file and its checkpoint's state."""
    root = tmp_path_factory.mktemp("ckpt")
    config = root / "run.yaml"
    config.write_text(dump_config(tiny_config(root / "out")))
    assert cli("train", config)[0] == 0
    run_dir = next((root / "out").iterdir())
    record = read_run(run_dir)
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    return config, run_dir, record, state


def _plant(interrupted: tuple[Any, Any, Any, dict[str, Any]], edit: Edit | None) -> Any:
    """Mark the run interrupted and write the edited checkpoint (``None``: a folder named checkpoint.pt)."""
    import copy

    _, run_dir, record, state = interrupted
    write_run(run_dir, record.model_copy(update={"status": "running"}))
    path = run_dir / "checkpoint.pt"
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    if edit is None:
        (path / "inside").mkdir(parents=True)
        return path
    changed = copy.deepcopy(state)
    edit(changed)
    torch.save(changed, path)
    return path


def _assert_refused(result: tuple[int, str, str], path: Any) -> None:
    assert_one_line_error(result, str(path), "unreadable checkpoint", "--fresh")


@pytest.mark.parametrize("case", [*GENERATOR_CASES, *TRAINER_CASES, "checkpoint.pt a folder"])
def test_resume_refuses_a_checkpoint_of_wrong_contents(interrupted, case):
    config, run_dir, _, _ = interrupted
    edit = GENERATOR_CASES.get(case) or TRAINER_CASES.get(case)
    path = _plant(interrupted, edit)
    before = path.read_bytes() if path.is_file() else None
    _assert_refused(cli("train", config), path)
    assert read_run(run_dir).status == "running"  # nothing trained, nothing overwritten
    assert (path.read_bytes() if path.is_file() else None) == before


@pytest.mark.parametrize("case", [*GENERATOR_CASES, "checkpoint.pt a folder"])
def test_score_refuses_a_checkpoint_whose_generator_is_wrong(interrupted, case):
    _, run_dir, _, _ = interrupted
    path = _plant(interrupted, GENERATOR_CASES.get(case))
    _assert_refused(cli("score", run_dir, "--n", 20), path)


def test_the_untouched_checkpoint_still_resumes_and_fresh_starts_over(interrupted):
    config, run_dir, record, _ = interrupted
    _plant(interrupted, lambda state: None)
    assert cli("train", config)[0] == 0
    assert read_run(run_dir).status == "completed" and read_run(run_dir).steps_done == record.steps_done
    _plant(interrupted, _set("step", -5))
    assert cli("train", config, "--fresh")[0] == 0
    assert read_run(run_dir).steps_done == record.steps_done
