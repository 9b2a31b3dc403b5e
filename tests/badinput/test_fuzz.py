"""Fuzz run, sweep and check files: every input gives exit 0, or exit 2 with one bounded line.

Inputs are valid files with random mutations (keys set to hostile values, keys deleted, unknown keys
added), random text and random bytes. Run configs go through ``ganlab train --dry-run`` and sweep files
through ``ganlab sweep --dry-run``, in-process, so an uncaught exception fails the test with its
traceback. Check files go through ``load_check`` (``ganlab check`` has no dry run; it trains), where
only a ``GanlabError`` may escape. Each example must finish within ``DEADLINE``.

The sweep dry run's time estimate times real training steps and evaluations; here those timings are
stubbed (``tests/sweep/test_estimate.py`` checks the real ones), so an example parses, plans, counts
FLOPs and prints, and trains nothing. Marked ``fuzz``: the default run skips this file, ``.ci/run`` runs it
as its own step (``pytest -m fuzz``).
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganlab.errors import MAX_LINE, GanlabError
from tests.badinput.helpers import CHECK, RUN_CONFIG, SWEEP, assert_one_line_error, cli, estimate_timings_stubbed

pytestmark = pytest.mark.fuzz

DEADLINE = timedelta(seconds=5)
# Modest: the sweep examples plan real runs. Scaled down from the active profile (dev 25, ci 50);
# GANLAB_FUZZ_EXAMPLES=500 runs a longer fuzz by hand.
EXAMPLES = int(os.environ.get("GANLAB_FUZZ_EXAMPLES", 0)) or max(5, settings.default.max_examples // 2)
FUZZ = settings(deadline=DEADLINE, max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])

HOSTILE_TEXT = st.sampled_from(["", "none", "relu", "digits", "folder", "array", "hinge", "cuda:9", "a\nb",
                                "\x1b[31m", "\u202e", "a\x00b", "x" * 500, "1e7", "-1", "~", "baseline", "../up", "*"])
SCALARS = (st.none() | st.booleans() | st.integers(-3, 20) | st.integers() | st.floats() | HOSTILE_TEXT
           | st.text(max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6) | HOSTILE_TEXT, inner, max_size=2), max_leaves=6)


def _paths(tree: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if not isinstance(tree, dict):
        return []
    found = []
    for key, value in tree.items():
        found.append((*prefix, key))
        found += _paths(value, (*prefix, key))
    return found


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` (a valid YAML file) with one to three random mutations."""
    data = copy.deepcopy(yaml.safe_load(text))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths)) if paths else ("x",)
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        if not isinstance(parent, dict):
            continue
        action = draw(st.sampled_from(["set", "delete", "add"]))
        if action == "set":
            parent[path[-1]] = draw(VALUES)
        elif action == "delete":
            parent.pop(path[-1], None)
        else:
            parent[draw(st.text(max_size=8) | HOSTILE_TEXT)] = draw(VALUES)
    return yaml.safe_dump(data, allow_unicode=True)


def _raw(text: str) -> st.SearchStrategy[bytes]:
    """Random bytes, random text, or the valid file with bytes flipped or cut."""
    data = text.encode()
    return st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(str.encode),
        st.tuples(st.integers(0, len(data)), st.binary(min_size=1, max_size=8)).map(
            lambda cut: data[: cut[0]] + cut[1] + data[cut[0] + len(cut[1]):]),
        st.integers(0, len(data)).map(lambda n: data[:n]),
    )


@contextlib.contextmanager
def _file(content: str | bytes) -> Iterator[Path]:
    """The content as ``file.yaml`` in a fresh folder, removed afterwards (hypothesis runs thousands)."""
    with tempfile.TemporaryDirectory(prefix="ganlab-fuzz-") as folder:
        path = Path(folder) / "file.yaml"
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        yield path


def _check_cli(*argv: object) -> None:
    result = cli(*argv)
    if result[0] != 0:
        assert_one_line_error(result)


@FUZZ
@given(st.one_of(mutated(RUN_CONFIG), _raw(RUN_CONFIG)))
def test_fuzz_run_config(content: str | bytes) -> None:
    with _file(content) as path:
        _check_cli("train", path, "--dry-run")


@FUZZ
@given(st.one_of(mutated(SWEEP), _raw(SWEEP)))
def test_fuzz_sweep_file(content: str | bytes) -> None:
    with _file(content) as path, estimate_timings_stubbed():
        _check_cli("sweep", path, "--dry-run", "--out", path.parent / "out")


# A grid of real keys with values that are mostly valid (so cells expand, get names and reach the printed
# plan), some hostile (control characters in a path, huge or non-finite numbers, wrong types), and now and
# then a hostile key or a value that is not a list.
PATHS = st.sampled_from(["/no/such/dir", "data", "../up", "a b", "\x1b]0;T\x07\x1b[2J", "\u202eevil", "x" * 300])
# key -> (valid values, hostile values)
GRID_AXES: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {
    "model.batchnorm": (st.sampled_from(["both", "generator", "discriminator", "none", "all_layers"]),
                        st.sampled_from(["", "None", "both\n"])),
    "model.d_activation": (st.sampled_from(["relu", "leaky_relu"]), st.sampled_from(["elu", "\x1b[31m"])),
    "model.nz": (st.integers(1, 16), st.sampled_from([0, -1, 2**70, True, 8.5, "8"])),
    "model.width": (st.sampled_from([8, 16, 32]), st.sampled_from([0, 7, 2**40, 1e400])),
    "train.lr_d": (st.floats(1e-6, 1.0), st.sampled_from([0.0, -1.0, math.inf, math.nan, True, "1e-3"])),
    "train.steps": (st.integers(1, 8), st.sampled_from([0, True, 10**30, 2.5])),
    "train.batch_size": (st.sampled_from([4, 8, 16]), st.sampled_from([0, 1, -4])),
    "data.dataset": (st.sampled_from(["gaussian-grid", "digits"]), st.sampled_from(["folder", "array", "nope"])),
    "data.path": (PATHS, PATHS),
    "seed": (st.integers(0, 3), st.integers(0, 3)),
    "output.dir": (PATHS, PATHS),
}


@st.composite
def grid_axis(draw: st.DrawFn) -> tuple[Any, Any]:
    if draw(st.integers(0, 19)) == 0:
        return draw(st.text(max_size=10) | HOSTILE_TEXT), draw(VALUES)
    key = draw(st.sampled_from(sorted(GRID_AXES)))
    valid, hostile = GRID_AXES[key]
    value = st.integers(0, 19).flatmap(lambda k: valid if k > 1 else hostile if k else VALUES)
    values = draw(st.lists(value, min_size=1, max_size=3))
    return key, values if draw(st.integers(0, 29)) else values[0]


@st.composite
def gridded(draw: st.DrawFn) -> str:
    """The sweep file with a ``grid:`` of random keys (mostly real ones) and random values."""
    data = yaml.safe_load(SWEEP)
    data["grid"] = dict(draw(st.lists(grid_axis(), min_size=1, max_size=3)))
    if draw(st.booleans()):
        data.pop("variants")
    return yaml.safe_dump(data, allow_unicode=True)


@FUZZ
@given(gridded())
def test_fuzz_sweep_grid(content: str) -> None:
    """A grid value is validated like any config value, and a grid that passes prints only printable text:
    cell names are built from raw values (``data.path: ["\\e]0;T\\a"]`` once retitled the terminal)."""
    with _file(content) as path, estimate_timings_stubbed():
        code, out, err = cli("sweep", path, "--dry-run", "--out", path.parent / "out")
        if code != 0:
            assert_one_line_error((code, out, err))
            return
        assert all(line.isprintable() for line in out.splitlines()), out


@FUZZ
@given(st.one_of(mutated(CHECK), _raw(CHECK)))
def test_fuzz_check_file(content: str | bytes) -> None:
    from ganlab.check.spec import load_check

    with _file(content) as path:
        try:
            load_check(path)
        except GanlabError as err:
            line = str(err)
            assert "\n" not in line and line.isprintable() and len(line) <= MAX_LINE, line
