"""The import layering points down only (docs/architecture.md, "Layers").

Every module's imports are read from its syntax tree, the lazy ones inside functions and the ones under
``TYPE_CHECKING`` included: a lazy import is still a dependency, only a cheaper one. A module may import
its own unit and any unit of a lower layer; units that share a layer are independent of each other.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ganlab"

# Lowest first. A unit is a subpackage or a top-level module of ganlab; "ganlab" is the package's own
# __init__ (its version). docs/architecture.md lists the same layers and says why each sits where it does.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("ganlab",),
    ("ganlab.errors",),
    ("ganlab.io", "ganlab.lock"),
    ("ganlab.schema",),
    ("ganlab.config",),
    ("ganlab.stats",),
    ("ganlab.data", "ganlab.models", "ganlab.losses"),
    ("ganlab.sampling",),
    ("ganlab.metrics",),
    ("ganlab.diagnostics",),
    ("ganlab.train", "ganlab.monitor"),
    ("ganlab.report",),
    ("ganlab.sweep",),
    ("ganlab.calibration", "ganlab.collect", "ganlab.validation"),
    ("ganlab.check",),
    ("ganlab.testing",),
    ("ganlab.cli",),
    ("ganlab.__main__",),
)
LAYER = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}
# The package's __init__ re-exports the public API for users' own loops on first use (PEP 562 __getattr__):
# a lazy import no module below reaches through (docs/architecture.md says why).
PUBLIC_API = {"ganlab": ("ganlab.monitor",)}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    """The unit a module belongs to: the longest listed prefix (``ganlab.sweep.backends.ray`` -> ``ganlab.sweep``)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in LAYER:
            return ".".join(parts[:n])
    raise AssertionError(f"{module} is in no layer; add its unit to LAYERS and docs/architecture.md")


def imports(path: Path) -> list[tuple[int, str]]:
    """``(line, absolute module)`` of every ganlab import in the file, wherever it sits."""
    return imports_in(path.read_text(), module_name(path), path.name == "__init__.py")


def imports_in(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from its package
                base = module.split(".")[: len(module.split(".")) - node.level + is_package]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            if target == "ganlab":  # `from ganlab import x`: x may be a unit itself
                found += [(node.lineno, f"ganlab.{a.name}") for a in node.names if f"ganlab.{a.name}" in LAYER]
    return [(line, name) for line, name in found if name == "ganlab" or name.startswith("ganlab.")]


def upward_imports(path: Path) -> list[str]:
    source = unit_of(module_name(path))
    bad = []
    for line, target in imports(path):
        unit = unit_of(target)
        if unit != source and LAYER[unit] >= LAYER[source] and unit not in PUBLIC_API.get(source, ()):
            bad.append(f"line {line}: {source} (layer {LAYER[source]}) imports {target} (layer {LAYER[unit]})")
    return bad


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_unit_of_the_tree_has_a_layer() -> None:
    units = {unit_of(module_name(p)) for p in MODULES}
    assert units == set(LAYER), f"listed but absent: {set(LAYER) - units}"


def test_the_check_sees_lazy_relative_and_type_checking_imports() -> None:
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ganlab.train import Trainer\n"
              "def f():\n    import ganlab.sweep.runner\nfrom .. import cli\nfrom ganlab import errors\n")
    names = sorted(name for _, name in imports_in(source, "ganlab.schema.probe"))
    assert names == ["ganlab", "ganlab", "ganlab.cli", "ganlab.errors", "ganlab.sweep.runner", "ganlab.train"]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    bad = upward_imports(path)
    assert not bad, f"{path.relative_to(ROOT)}: " + "; ".join(bad)


def documented_layers() -> list[tuple[int, str]]:
    """``(layer, unit)`` of each row of docs/architecture.md's layer table, in order."""
    lines = (ROOT / "docs" / "architecture.md").read_text().splitlines()
    start = lines.index("## Layers")
    rows = []
    for line in lines[start:]:
        match = re.fullmatch(r"\| (\d+) \| `ganlab/([\w/.]*?)/?` \| .+ \|", line)
        if match:
            path = match.group(2).removesuffix(".py").removesuffix("__init__").rstrip("/")
            rows.append((int(match.group(1)), ".".join(["ganlab", *filter(None, path.split("/"))])))
        elif rows and not line.startswith("|"):
            break
    return rows


def test_the_documented_layers_are_the_tree_and_the_checked_order() -> None:
    rows = documented_layers()
    assert [unit for _, unit in rows] == [unit for units in LAYERS for unit in units]
    assert all(LAYER[unit] == layer for layer, unit in rows), "the doc's layer numbers differ from LAYERS"
    for _, unit in rows:  # each documented place exists
        path = ROOT / unit.replace(".", "/")
        assert path.is_dir() or path.with_suffix(".py").is_file() or unit == "ganlab", unit
