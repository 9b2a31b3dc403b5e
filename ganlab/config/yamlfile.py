"""The one YAML reader for every user file: run configs, sweep and check files, a run's ``config.yaml``.

Strict where ``yaml.safe_load`` is lenient, and bounded so hostile input fails fast with one line:

- the file must be UTF-8 text of at most ``MAX_BYTES``;
- a duplicate key in one mapping is an error (``safe_load`` keeps the last one silently);
- nesting deeper than ``MAX_DEPTH`` is an error (3000 ``[`` would otherwise be a ``RecursionError``);
- aliases may not expand the document past ``MAX_NODES`` values (a "billion laughs" alias bomb), and
  an alias may not refer to itself.

Every problem is a ``ConfigError`` naming the file and, where known, the line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.reader import ReaderError

from ganlab.config.messages import quote
from ganlab.errors import ConfigError

Lines = dict[tuple[str, ...], int]

MAX_BYTES = 1 << 20  # 1 MiB: a sweep of 10,000 hand-written variants fits; nothing legitimate is larger
MAX_DEPTH = 64  # configs nest three levels deep; 64 leaves room for any real data value
MAX_NODES = 200_000  # scalars, lists and mappings after alias expansion


_SURROGATE = re.compile(r"[\ud800-\udfff]")


class _StrictLoader(yaml.SafeLoader):
    """``SafeLoader`` that bounds nesting while composing and rejects duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ConfigError(f"line {mark.line + 1}: nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_scalar_node(self, anchor: Any) -> yaml.ScalarNode:
        node: yaml.ScalarNode = super().compose_scalar_node(anchor)
        # An escape like "\ud800" gives a lone surrogate, which no UTF-8 text can hold: pydantic and every
        # file write would raise UnicodeEncodeError far from here.
        if _SURROGATE.search(node.value):
            raise ConfigError(f"line {node.start_mark.line + 1}: a string holds a lone surrogate (an escape "
                              "like \\ud800 in quotes); write the character itself")
        return node

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        node: yaml.MappingNode = super().compose_mapping_node(anchor)
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # a complex key fails later with its own error
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                raise ConfigError(f"line {line}: duplicate key {quote(key_node.value)} "
                                  f"(first given on line {seen[key_node.value]}); keep one of them")
            seen[key_node.value] = line
        return node


def _expanded_size(root: yaml.Node) -> int:
    """Values in the document with every alias expanded; raises ``ConfigError`` past ``MAX_NODES``."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ConfigError(f"line {node.start_mark.line + 1}: an alias refers to the value that contains it")
        active.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                raise ConfigError(f"line {node.start_mark.line + 1}: expands to more than {MAX_NODES:,} values "
                                  "(YAML aliases?); write the values out or make the file smaller")
        active.discard(key)
        sizes[key] = total
        return total

    return size(root)


def _key_lines(root: yaml.Node | None) -> Lines:
    """Each dotted key path in the document -> its 1-based line."""
    lines: Lines = {}

    def walk(node: yaml.Node, prefix: tuple[str, ...], depth: int) -> None:
        if isinstance(node, yaml.MappingNode) and depth < MAX_DEPTH:
            for key_node, value_node in node.value:
                path = (*prefix, str(key_node.value))
                lines.setdefault(path, key_node.start_mark.line + 1)
                walk(value_node, path, depth + 1)

    if root is not None:
        walk(root, (), 0)
    return lines


def parse_yaml(text: str, source: str) -> tuple[Any, Lines]:
    """Parse one YAML document strictly; returns the data and its key lines. Errors name ``source``."""
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)  # the reader refuses control characters here, before any parsing
        root = loader.get_single_node()
        if root is None:
            return None, {}
        _expanded_size(root)
        data = loader.construct_document(root)
    except ConfigError as err:
        raise ConfigError(f"{source}:{str(err).removeprefix('line ')}") from None
    except (ComposerError, ConstructorError, yaml.YAMLError) as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        if isinstance(err, ReaderError):  # a control character: say which, and where
            where = f"{source}:{text[: err.position].count(chr(10)) + 1}"
            problem = f"character {err.character:#06x} is not allowed in YAML"
        else:
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    except (ValueError, OverflowError, TypeError, RecursionError) as err:
        # safe_load builds dates and numbers itself: `2026-13-45` is a ValueError, not a YAMLError.
        raise ConfigError(f"{source}: invalid YAML value: {quote(str(err))}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, _key_lines(root)


def read_text(path: str | Path, what: str = "config file") -> str:
    """A user file's text: exists, at most ``MAX_BYTES``, UTF-8. Anything else is a one-line ConfigError."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, expected a {what} (YAML)") from None
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the path
        raise ConfigError(f"{path}: cannot read the {what} ({getattr(err, 'strerror', None) or err})") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{path}: the {what} is larger than {MAX_BYTES // 1024} KiB; is it the right file?")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start}); "
                          f"save the {what} as UTF-8") from None


def read_yaml(path: str | Path, what: str = "config file") -> tuple[dict[str, Any], Lines]:
    """Read a YAML file holding a mapping, and its key lines; every problem is a one-line ConfigError."""
    text = read_text(path, what)
    data, lines = parse_yaml(text, str(path))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values, got a YAML {type(data).__name__}")
    return data, lines
