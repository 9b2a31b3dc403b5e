"""A checkpoint checked in full against the trainer it is about to restore, before any of it is used.

``torch.load(weights_only=True)`` only promises tensors and plain containers; a file of the right keys can
still hold a tensor where G's state dict belongs, an optimizer state of the wrong shapes (Adam would fail
mid-training, not at load) or one that covers only some parameters or other step counts (Adam would restart
their moments from zero, silently training another run), an RNG state of the wrong size, rows that are a
string, or a step of -5 or 10**12 (the loop would train 1,505 steps, or none and call the run completed).
Each of these is the one-line "unreadable checkpoint ... --fresh" error naming the file and the entry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganlab.sampling.checkpoint import module_state_problem, unreadable
from ganlab.schema import EVAL_COLUMNS, LOG_COLUMNS
from ganlab.train.trainer import Trainer

# Adam's hyperparameters: a checkpoint of this run holds the config's values (the run id fixes them).
_ADAM_HYPER = ("lr", "betas", "eps", "weight_decay", "amsgrad")
_ROW_KEYS = frozenset((*LOG_COLUMNS, *EVAL_COLUMNS))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(value: object, want: object) -> bool:
    """``value == want`` for plain values of the same type; what cannot say so (a tensor, a tuple of empty
    tensors) is not the same."""
    try:
        return type(value) is type(want) and bool(value == want)
    except (RuntimeError, TypeError, ValueError):
        return False


def _step_problem(step: object, steps: int) -> str | None:
    if not _is_int(step):
        return f"step is {step!r:.40}, not an integer"
    assert isinstance(step, int)
    if not 0 <= step <= steps:
        return f"step {step} is outside 0..train.steps ({steps})"
    return None


def _optimizer_problem(entry: object, optimizer: torch.optim.Optimizer, updates: int) -> str | None:
    """Why ``entry`` is not a state dict of ``optimizer`` (Adam over the same parameters) after ``updates``
    optimizer steps; None when it is. The trainer steps every parameter at every update, so each one that
    requires a gradient has a state whose count is ``updates`` (none at 0)."""
    if not isinstance(entry, Mapping) or set(entry) != {"state", "param_groups"}:
        return "not an optimizer state dict (keys state and param_groups)"
    reference = optimizer.state_dict()
    groups, ref_groups = entry["param_groups"], reference["param_groups"]
    if not isinstance(groups, list) or len(groups) != len(ref_groups):
        return f"param_groups is not a list of {len(ref_groups)}"
    shapes: dict[int, Tensor] = {}
    for group, ref, params in zip(groups, ref_groups, optimizer.param_groups, strict=True):
        if not isinstance(group, Mapping) or group.get("params") != ref["params"]:
            return "param_groups do not name this model's parameters"
        for key in _ADAM_HYPER:
            if key in group and not _same(group[key], ref[key]):
                return f"{key} = {group[key]!r:.40}, not the config's {ref[key]!r}"
        shapes.update(zip(ref["params"], params["params"], strict=True))
    state = entry["state"]
    if not isinstance(state, Mapping):
        return "state is not a dict"
    moments = {"exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if optimizer.defaults.get("amsgrad") else set())
    for index, slots in state.items():
        if index not in shapes or not isinstance(slots, Mapping) or set(slots) != {"step", *moments}:
            return f"state[{index!r:.20}] is not Adam's state of one of its parameters"
        count = slots["step"]
        count = count.item() if isinstance(count, Tensor) and count.numel() == 1 else count
        if not _is_number(count) or not math.isfinite(count) or count < 0:
            return f"state[{index}].step is not a count"
        if count != updates:
            return f"state[{index}].step is {count:g}, not the {updates} updates of the checkpoint's step"
        param = shapes[index]
        for name in moments:
            value = slots[name]
            if not isinstance(value, Tensor) or value.shape != param.shape or not value.is_floating_point():
                return f"state[{index}].{name} is not a float tensor of shape {tuple(param.shape)}"
    trained = [i for i, param in shapes.items() if param.requires_grad]  # a frozen one never has a state
    if updates and any(i not in state for i in trained):
        return (f"state covers {sum(i in state for i in trained)} of {len(trained)} trained parameters (the "
                f"rest would restart from zero)")
    return None


def _rng_problem(entry: object, trainer: Trainer) -> str | None:
    """Why ``entry`` is not the trainer's three RNG states; each is tried on a throwaway generator."""
    expected = {"torch": torch.default_generator, "data": trainer.data_gen, "z": trainer.z_gen}
    if not isinstance(entry, Mapping) or set(entry) != set(expected):
        return f"not a dict of the RNG states {', '.join(expected)}"
    for name, generator in expected.items():
        value, want = entry[name], generator.get_state()
        if not isinstance(value, Tensor) or value.dtype != torch.uint8 or value.shape != want.shape:
            return f"{name} is not a byte tensor of shape {tuple(want.shape)}"
        try:
            torch.Generator(device=generator.device).set_state(value)
        except Exception as err:  # the generator checks its own format (RuntimeError, ValueError)
            return f"{name}: {type(err).__name__}: {str(err).strip()[:80]}"
    return None


def _rows_problem(rows: object, step: int) -> str | None:
    """Why ``rows`` is not a metrics log up to ``step``: dicts of known columns to numbers, steps increasing."""
    if not isinstance(rows, list):
        return f"rows is {type(rows).__name__}, not a list of log rows"
    last = 0
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or not all(isinstance(k, str) and k in _ROW_KEYS for k in row):
            return f"rows[{i}] is not a dict of log columns"
        if not all(_is_number(v) for v in row.values()):
            return f"rows[{i}] holds a value that is not a number"
        row_step = row.get("step")
        if not _is_int(row_step) or not last < row_step <= step:  # type: ignore[operator]
            return f"rows[{i}].step is {row_step!r:.30}, not an integer in {last + 1}..{step}"
        last = row_step  # type: ignore[assignment]
    return None


def check_resumable(state: Mapping[str, Any], trainer: Trainer, path: str | Path) -> None:
    """Raise the one-line unreadable-checkpoint ``DataError`` unless ``state`` (every ``CHECKPOINT_KEYS``
    entry) fits ``trainer``: its models, optimizers, RNGs, ``train.steps``, a log and a clock."""
    step = state["step"]
    updates = step if _is_int(step) and step >= 0 else 0  # a bad step is refused first, below
    problems = {
        "step": lambda: _step_problem(state["step"], trainer.config.train.steps),
        "generator": lambda: module_state_problem(state["generator"], trainer.G),
        "discriminator": lambda: module_state_problem(state["discriminator"], trainer.D),
        "opt_g": lambda: _optimizer_problem(state["opt_g"], trainer.opt_g, updates),
        "opt_d": lambda: _optimizer_problem(state["opt_d"], trainer.opt_d, updates * trainer.config.train.n_critic),
        "rng": lambda: _rng_problem(state["rng"], trainer),
        "rows": lambda: _rows_problem(state["rows"], state["step"]),
        "time_s": lambda: None if _is_number(state["time_s"]) and 0 <= state["time_s"] < math.inf
        else f"time_s is {state['time_s']!r:.30}, not a finite number of seconds",
    }
    for key, problem in problems.items():
        why = problem()
        if why:
            raise unreadable(path, why if why.startswith(key) else f"{key}: {why}")
