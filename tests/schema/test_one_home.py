"""One home per contract: outside ``ganlab/schema`` no module spells an event kind, a run or sweep folder's
file name, or an evaluation column; each imports the name from ``ganlab.schema``.

The check reads every module's syntax tree, so prose (docstrings, messages that mention ``run.json``) is
free and only code is held: a string literal equal to a name, a path joined with a folder's name
(``run_dir / "samples"``) and a sample grid's name built by hand (``f"step_{step:06d}.png"``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ganlab.schema import (
    CHECKPOINT,
    CONFIG_YAML,
    ERROR_LOG,
    EVAL_COLUMNS,
    EVENT_KINDS,
    EVENTS_JSON,
    LOCK_FILE,
    LOGS_DIR,
    MANIFEST,
    METRICS_FILE,
    RESULTS,
    RUN_JSON,
    RUNS_DIR,
    SAMPLES_DIR,
)

PACKAGE = Path(__file__).resolve().parents[2] / "ganlab"
NAMES = {
    **{k.value: "event kind" for k in EVENT_KINDS},
    **dict.fromkeys((CONFIG_YAML, METRICS_FILE, CHECKPOINT, RUN_JSON, EVENTS_JSON, ERROR_LOG, LOCK_FILE), "run file"),
    **dict.fromkeys((MANIFEST, RESULTS), "sweep file"),
    **dict.fromkeys(EVAL_COLUMNS, "eval column"),
}
FOLDERS = {SAMPLES_DIR, RUNS_DIR, LOGS_DIR}
FILE_AT_END = re.compile(r"/(" + "|".join(map(re.escape, (CONFIG_YAML, METRICS_FILE, CHECKPOINT, RUN_JSON,
                                                          EVENTS_JSON, ERROR_LOG, MANIFEST, RESULTS))) + r")$")


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return []


def spelled_names(source: str) -> list[tuple[int, str]]:
    """``(line, what)`` for each place ``source`` spells a schema name instead of importing it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in NAMES:
                found.append((node.lineno, f"{NAMES[node.value]} {node.value!r}"))
            elif FILE_AT_END.search(node.value):
                found.append((node.lineno, f"file name in {node.value!r}"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and side.value in FOLDERS:
                    found.append((node.lineno, f"folder {side.value!r} joined by hand"))
        elif isinstance(node, ast.JoinedStr):
            parts = "".join(_strings(node))
            if "step_" in parts and ".png" in parts:
                found.append((node.lineno, "sample grid name built by hand (use schema.sample_path)"))
    return found


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "schema" not in p.relative_to(PACKAGE).parts[:1])


def test_the_check_finds_each_way_of_spelling_a_name() -> None:
    source = ('x = "mode_collapse"\ny = run_dir / "samples" / f"step_{s:06d}.png"\nz = f"{d}/run.json"\n'
              'w = ["eval_modes"]\nok = "see run.json and mode_collapse in the docs"\n')
    assert [line for line, _ in spelled_names(source)] == [1, 2, 2, 3, 4]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_outside_schema_spells_a_schema_name(path: Path) -> None:
    found = spelled_names(path.read_text())
    assert not found, f"{path.relative_to(PACKAGE.parent)}: " + "; ".join(f"line {n}: {w}" for n, w in found)
