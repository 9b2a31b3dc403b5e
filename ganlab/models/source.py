"""The identity of a user's model code: a hash of the source a ``model.generator``/``discriminator`` imports.

For a module of the user's own code (any file outside the standard library and the installed
site-packages), the hash covers every ``.py`` file of its top-level package (all of them, not only the
imported ones: an import made at run time cannot be seen), then, following the static ``import``
statements of those files, every other local module or package they import, recursively. Code
installed in site-packages is identified by its distribution's name and version instead; code that
cannot be found at all cannot be hashed, and needs ``model.code_version`` (docs/config.md, "The run id").
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import importlib.util
import site
import sys
import sysconfig
from functools import cache
from pathlib import Path

from ganlab.errors import ConfigError


@cache
def _installed_roots() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    roots.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    roots.add(site.getusersitepackages())
    return tuple(Path(r).resolve() for r in roots if r)


def is_local(path: Path) -> bool:
    """True for the user's own files: outside the standard library and every site-packages folder."""
    path = path.resolve()
    return not any(path.is_relative_to(root) for root in _installed_roots())


def _spec_files(name: str) -> list[Path] | None:
    """The files of top-level module ``name`` (every ``.py`` of a package), or None when it is not local
    source (a builtin, a frozen module, an installed one, or no module at all). Each file's name in the
    hash is relative to the folder that holds ``name``, so a moved checkout keeps its run ids."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin in (None, "built-in", "frozen"):
        if spec is not None and spec.submodule_search_locations:  # a namespace package
            dirs = [Path(d) for d in spec.submodule_search_locations]
            return sorted(f for d in dirs if is_local(d) for f in d.rglob("*.py") if "__pycache__" not in f.parts)
        return None
    origin = Path(spec.origin)
    if not is_local(origin):
        return None
    if spec.submodule_search_locations:
        return sorted(f for d in spec.submodule_search_locations for f in Path(d).rglob("*.py")
                      if "__pycache__" not in f.parts)
    return [origin]


def _imported_tops(path: Path) -> set[str]:
    """Top-level names of the absolute imports in a file (relative ones stay inside its own package)."""
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, OSError):
        return set()
    tops: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            tops.add(node.module.split(".")[0])
    return tops


@cache
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _installed_version(top: str) -> str | None:
    dists = importlib.metadata.packages_distributions().get(top)
    if not dists:
        return None
    return ",".join(f"{d}=={importlib.metadata.version(d)}" for d in sorted(set(dists)))


def source_files(module: str) -> list[tuple[str, Path]]:
    """The local files behind ``module`` as ``(name relative to its top-level folder, path)``: its
    top-level package and the local code it imports, recursively."""
    top = module.split(".")[0]
    seen: set[str] = {top, "ganlab"}  # ganlab's own code is identified by its version
    queue, files = [top], []
    while queue:
        name = queue.pop()
        found = _spec_files(name)
        root = _root_of(name, found[0]) if found else None
        for f in found or []:
            files.append((f.relative_to(root).as_posix() if root and f.is_relative_to(root) else f.name, f))
            for name in sorted(_imported_tops(f) - seen - set(sys.builtin_module_names) - sys.stdlib_module_names):
                seen.add(name)
                queue.append(name)
    return sorted(set(files))


def _root_of(name: str, first: Path) -> Path:
    """The folder that holds top-level ``name`` (a package's parent, or a module file's folder)."""
    for parent in (first, *first.parents):
        if parent.name == name or parent.stem == name:
            return parent.parent
    return first.parent


def code_digest(module: str, key: str) -> str:
    """A 16-hex-digit hash of the code behind ``module`` (its local source files, or its installed
    distribution's version). A ConfigError naming ``key`` when it can be neither found nor hashed."""
    files = source_files(module)
    if files:
        h = hashlib.sha256()
        for name, f in files:
            stat = f.stat()
            h.update(f"{name}\0{_file_digest(str(f.resolve()), stat.st_mtime_ns, stat.st_size)}\0".encode())
        return h.hexdigest()[:16]
    version = _installed_version(module.split(".")[0])
    if version is not None:
        return version
    raise ConfigError(f"{key}: cannot find the source of '{module}' to put it in the run id; make it importable "
                      "(from the current folder or the config file's folder), or declare model.code_version")
