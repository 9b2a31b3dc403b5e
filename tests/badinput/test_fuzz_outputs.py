"""Fuzz output paths and checkpoint contents: exit 0, or exit 2 with one bounded line; never a traceback.

Output paths: a random path over a scratch folder laid with obstacles (a file, a folder, a broken link, a
read-only folder, long and odd names), or one of a few system paths, goes to ``check_output_dir`` and
``check_output_file`` and through ``ganlab train --dry-run --out`` and ``ganlab check --junit-xml/--markdown``
(whose missing baseline stops it before any training). A path the helper accepts must then really take a
write (nothing silently accepted that fails later); every accepted path lies inside the scratch folder.

Checkpoint contents: a real checkpoint of a tiny finished run with one to three random mutations (a leaf
replaced by a hostile value, an entry deleted or added) is resumed with ``ganlab train`` and read by
``run_samples`` (what ``ganlab score`` does). A mutation of a kind that cannot be valid (a tensor replaced by
a non-tensor or another shape, the step made a non-integer or out of range, a state-dict key removed) must
be refused with the unreadable-checkpoint line. Marked ``fuzz``; GANLAB_FUZZ_EXAMPLES sets the campaign size.
"""

from __future__ import annotations

import copy
import math
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganlab.errors import MAX_LINE, OutputError
from ganlab.io import atomic_write_text, check_output_dir, check_output_file
from tests.badinput.helpers import CHECK, RUN_CONFIG, assert_one_line_error, cli

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("GANLAB_FUZZ_EXAMPLES", 0)) or max(5, settings.default.max_examples // 2)
FUZZ = settings(deadline=timedelta(seconds=10), max_examples=EXAMPLES, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# ----------------------------------------------------------------------------------------------- output paths

SEGMENTS = st.sampled_from(["file.txt", "dir", "broken", "readonly", "new", ".", "x" * 256, "a\x00b",
                            "sp ace", "\x1b[2J", "ü", "r.html", "m.md", "j.xml", ""])
SYSTEM = st.sampled_from(["/proc/x.md", "/proc", "/dev/null", "/sys/x", "/etc/passwd/x", "/proc/self/x/y"])


@contextmanager
def _scratch() -> Iterator[Path]:
    """A folder holding a file, a folder, a broken link and a read-only folder (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="ganlab-fuzz-out-") as folder:
        root = Path(folder)
        (root / "file.txt").write_text("x")
        (root / "dir").mkdir()
        (root / "broken").symlink_to(root / "nowhere")
        (root / "readonly").mkdir()
        (root / "readonly").chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            yield root
        finally:
            (root / "readonly").chmod(stat.S_IRWXU)


def _inside(path: Path, root: Path) -> bool:
    try:
        real, top = os.path.realpath(path), os.path.realpath(root)
        return real == top or real.startswith(top + os.sep)
    except ValueError:  # a NUL byte
        return False


@FUZZ
@given(st.lists(SEGMENTS, min_size=1, max_size=4), SYSTEM, st.booleans())
def test_fuzz_output_paths(segments: list[str], system: str, use_system: bool) -> None:
    with _scratch() as root:
        path = Path(system) if use_system else root.joinpath(*segments)
        for check, write in ((check_output_dir, _write_into), (check_output_file, _write_file)):
            try:
                check(path, "--out")
            except OutputError as err:
                line = str(err)
                assert "\n" not in line and line.isprintable() and len(line) <= MAX_LINE, line
                continue
            assert _inside(path, root), f"{check.__name__} accepted {path!r} outside the scratch folder"
            write(path)  # accepted: it must really take a write (an error here is a silently accepted path)
            _reset(root)
        if "\x00" in str(path):
            return  # no shell can pass a NUL byte in an argument
        config = root / "run.yaml"
        config.write_text(RUN_CONFIG)
        result = cli("train", config, "--dry-run", "--out", path)
        if result[0] != 0:
            assert_one_line_error(result)
        check_file = root / "c.yaml"
        check_file.write_text(CHECK)
        for option in ("--junit-xml", "--markdown", "--out"):
            extra = () if option == "--out" else ("--out", root / "runs")
            result = cli("check", check_file, option, path, *extra, "--baseline", root / "no-baseline.json")
            line = assert_one_line_error(result)  # never trains: a bad path, else the missing baseline
            assert "no-baseline.json" in line or "cannot write there" in line, line


def _write_into(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path / "probe.txt", "ok")


def _write_file(path: Path) -> None:
    atomic_write_text(path, "ok")


def _reset(root: Path) -> None:
    """Undo what an accepted write made, so the next check sees the obstacles as laid."""
    keep = {"file.txt", "dir", "broken", "readonly", "run.yaml", "c.yaml"}
    for child in root.iterdir():
        if child.name not in keep:
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    for child in (root / "dir").iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    (root / "file.txt").write_text("x")


# ------------------------------------------------------------------------------------------ checkpoint contents

TINY = RUN_CONFIG.replace("steps: 5", "steps: 6, checkpoint_every: 3") + "diagnostics: {enabled: false}\n"
HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from([10**12, -5, 2**63, -(2**63) - 1, 0, 3, 6]),
    st.floats(), st.text(max_size=8), st.binary(max_size=8),
    st.lists(st.integers(-2, 7), max_size=3),
    st.dictionaries(st.sampled_from(["step", "loss_d", "x", "state", "param_groups", "torch"]),
                    st.integers(0, 7) | st.floats(), max_size=2),
    st.tuples(st.lists(st.integers(0, 3), max_size=3), st.sampled_from([torch.float32, torch.uint8, torch.int64,
                                                                        torch.float64, torch.bool])).map(
        lambda shape_dtype: torch.zeros(shape_dtype[0], dtype=shape_dtype[1])),
)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A tiny run trained to the end (6 steps, checkpoints at 3 and 6): its folder and checkpoint state."""
    root = tmp_path_factory.mktemp("fuzz-ckpt")
    config = root / "run.yaml"
    config.write_text(TINY + f"output: {{dir: '{root / 'out'}'}}\n")
    code, _, err = cli("train", config)
    assert code == 0, err
    run_dir = next((root / "out").iterdir())
    return run_dir, torch.load(run_dir / "checkpoint.pt", weights_only=True)


def _leaves(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every entry of the nested dicts and lists (a tensor counts as a leaf)."""
    if isinstance(tree, dict):
        items = list(tree.items())
    elif isinstance(tree, list):
        items = list(enumerate(tree[:3]))  # the first rows are enough
    else:
        return []
    found = []
    for key, value in items:
        found.append((*prefix, key))
        found += _leaves(value, (*prefix, key))
    return found


def _must_refuse(path: tuple[Any, ...], old: Any, new: Any, action: str) -> bool:
    """Whether this mutation can never be a valid checkpoint of the run."""
    if path == ("step",):
        return action == "delete" or not (isinstance(new, int) and not isinstance(new, bool) and 0 <= new <= 6)
    if len(path) == 1:
        return action == "delete" or (action == "set" and type(new) is not type(old))
    if path[0] in ("generator", "discriminator") and len(path) == 2:
        if action == "delete":
            return True
        if action == "set":
            return not (isinstance(new, torch.Tensor) and new.shape == old.shape and new.dtype == old.dtype)
    return False


@st.composite
def mutations(draw: st.DrawFn, state: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The state with one to three mutations, and whether one of them must be refused. Only a mutation of
    an entry the checkpoint had can make it invalid: setting or deleting a key an earlier mutation added
    leaves the checkpoint as written (an extra key is ignored)."""
    original = set(_leaves(state))
    state = copy.deepcopy(state)
    refuse = False
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_leaves(state)))
        parent: Any = state
        try:
            for part in path[:-1]:
                parent = parent[part]
            old = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced what this path went through
        action = draw(st.sampled_from(["set", "delete", "add"]))
        new = draw(HOSTILE)
        if action == "set":
            parent[path[-1]] = new
        elif action == "delete":
            parent.pop(path[-1]) if isinstance(parent, dict) else parent.pop(path[-1])
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=6) | st.integers(-1, 99))] = new
        else:
            continue
        refuse = refuse or (path in original and _must_refuse(path, old, new, action))
    return state, refuse


def test_fuzz_checkpoint_contents(finished_run: tuple[Path, dict[str, Any]]) -> None:
    run_dir, state = finished_run

    @FUZZ
    @given(mutations(state))
    def resume(case: tuple[dict[str, Any], bool]) -> None:
        from ganlab.config import load_config
        from ganlab.errors import DataError
        from ganlab.sampling import run_samples
        from ganlab.schema import read_run, write_run

        mutated, refuse = case
        with tempfile.TemporaryDirectory(prefix="ganlab-fuzz-ckpt-") as folder:
            out = Path(folder) / "out"
            copy_dir = out / run_dir.name
            shutil.copytree(run_dir, copy_dir)
            record = read_run(copy_dir)
            assert record is not None
            write_run(copy_dir, record.model_copy(update={"status": "running"}))
            torch.save(mutated, copy_dir / "checkpoint.pt")
            config = Path(folder) / "run.yaml"
            config.write_text(TINY + f"output: {{dir: '{out}'}}\n")
            result = cli("train", config)
            if result[0] != 0 or refuse:
                assert_one_line_error(result, "unreadable checkpoint" if refuse else "")
            try:
                images = run_samples(load_config(copy_dir / "config.yaml"), copy_dir / "checkpoint.pt", 8, None)
            except DataError as err:
                assert "\n" not in str(err) and str(err).isprintable(), str(err)
            else:
                assert images.shape[0] == 8 and math.isfinite(float(images.float().abs().sum()))

    resume()
