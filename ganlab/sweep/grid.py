"""Grid expansion: the cartesian product of a sweep's ``grid:`` axes, each cell a variant named by its values."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from typing import Any

from ganlab.config.load import Lines, RepeatedKeyError, flatten
from ganlab.config.messages import quote
from ganlab.errors import ConfigError


def grid_cells(grid: Mapping[str, list[Any]], source: str = "<sweep>", lines: Lines | None = None,
               ) -> dict[str, dict[str, Any]]:
    """Cartesian product of the grid axes, in file order; each cell is named ``key=value,key=value``.

    Raises ``ConfigError`` (naming ``where``) for a value given twice on one axis (two cells would be
    one, silently), two axes naming one key, or a cell name that is not printable text: a grid value
    with a newline or an escape sequence would reach the terminal, file names and reports raw.
    """
    if not grid:
        return {}
    lines = lines or {}
    where = f"{source}:{lines[('grid',)]}" if lines.get(("grid",)) else source
    try:
        flatten({key: None for key in grid})
    except RepeatedKeyError as err:
        raise ConfigError(f"{where}: grid: {err}") from None
    for key, values in grid.items():
        line = lines.get(("grid", key)) or lines.get(("grid",))
        at = f"{source}:{line}" if line else source
        seen: set[str] = set()
        for value in values:
            text = format_value(value)
            if text in seen:
                raise ConfigError(f"{at}: grid axis {quote(key)} gives the value {quote(value)} twice; "
                                  "each value makes one cell, so keep one of them")
            seen.add(text)
            if not text.isprintable():
                raise ConfigError(f"{at}: grid axis {quote(key)}: value {quote(value)} names grid cells, which "
                                  "must be printable text (no newlines, escapes or control characters)")
        if not key.strip() or not key.isprintable():
            raise ConfigError(f"{at}: grid key {quote(key)} must be printable text (no newlines or control "
                              "characters)")
    keys = list(grid)
    cells: dict[str, dict[str, Any]] = {}
    for combination in itertools.product(*(grid[k] for k in keys)):
        cell = dict(zip(keys, combination, strict=True))
        cells[cell_name(cell)] = cell
    return cells


def cell_name(overrides: Mapping[str, Any]) -> str:
    """``{"model.batchnorm": "none", "train.lr_d": 0.001}`` -> ``model.batchnorm=none,train.lr_d=0.001``."""
    return ",".join(f"{key}={format_value(value)}" for key, value in overrides.items())


def format_value(value: Any) -> str:
    """A value as written in YAML: strings bare, everything else as JSON (true, null, 0.001, [1, 2])."""
    return value if isinstance(value, str) else json.dumps(value)
