"""One line per problem: safe quoting of user keys and values, and the one pydantic error formatter.

Run configs, sweep files and check files all report a ``ValidationError`` through
``format_validation_error``: ``file:line: key 'a.b' = <value>: what is wrong (valid: ...); did you mean ...``.
Keys and values come from user files, so they are quoted with escapes (a newline, an ANSI escape or a
right-to-left override shows as ``\\n``, ``\\x1b``, ``\\u202e``) and truncated to ``MAX_VALUE`` characters.
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ganlab.errors import escape, one_line, truncate

MAX_VALUE = 80  # characters of one quoted key or value
# Pydantic's wording, where it does not say what would be valid (strict numbers: ganlab.config.types).
_WORDING = {
    "int_type": "expected a whole number (not true/false, 5.0 or a string)",
    "int_from_float": "expected a whole number (not true/false, 5.0 or a string)",
    "finite_number": "expected a finite number (not .inf, .nan or an overflowing 1e999)",
    "bool_type": "expected true or false",
}

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxtuple, _REPR.maxset = 3, 6, 6, 6, 6
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = MAX_VALUE, MAX_VALUE, 40


def quote(value: Any, limit: int = MAX_VALUE) -> str:
    """A bounded, escaped, one-line representation of a user value: ``'abc'``, ``[1, 2, ...]``."""
    if isinstance(value, str):
        return truncate(repr(value[: limit + 1]), limit)  # repr escapes \n, \x1b, \u202e
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - a hostile object's __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return truncate(escape(text), limit)


def bare(text: str, limit: int = MAX_VALUE) -> str:
    """A key as written, unquoted but escaped and truncated (``model.nz``)."""
    return truncate(escape(str(text)), limit)


def nearest(name: str, valid: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5)
    return close[0] if close else None


def line_of(loc: Sequence[str], lines: Mapping[tuple[str, ...], int]) -> int | None:
    """The line of the deepest prefix of ``loc`` that the file has."""
    loc = tuple(loc)
    return next((lines[loc[:d]] for d in range(len(loc), 0, -1) if loc[:d] in lines), None)


def _clean_loc(loc: Sequence[Any], keep_last: bool = False) -> tuple[str, ...]:
    # Union members add their type to the location (seeds.int, seeds.list[int]): drop them. The last part
    # of an unknown-key error is the user's own key, kept whatever it is called (a key named `none`).
    parts = [str(p) for p in loc]
    tail = parts[-1:] if keep_last else []
    return tuple(p for p in parts[: len(parts) - len(tail)] if not _is_type_tag(p)) + tuple(tail)


def _is_type_tag(part: str) -> bool:
    return part in {"int", "str", "float", "bool", "none"} or part.startswith(
        ("list[", "dict[", "tuple[", "constrained-", "function-", "literal[", "lax-", "strict-"))


def format_validation_error(
    error: Mapping[str, Any],
    source: str,
    lines: Mapping[tuple[str, ...], int],
    valid_keys: Callable[[tuple[str, ...]], list[str]],
    prefix: tuple[str, ...] = (),
    where: str | None = None,
    what: str = "key",
) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as one bounded line.

    ``prefix`` is where the validated mapping sits in the file (``("check",)``), ``valid_keys(path)`` lists
    the keys allowed at ``path``, ``where`` replaces ``file:line`` (for ``--set`` overrides).
    """
    loc = _clean_loc(error.get("loc", ()), keep_last=error.get("type") == "extra_forbidden")
    full = (*prefix, *loc)
    dotted = quote(".".join(full))
    if where is None:
        line = line_of(full, lines)
        where = f"{source}:{line}" if line else source
    if error.get("type") == "extra_forbidden" and loc:
        valid = valid_keys(loc[:-1])
        close = nearest(loc[-1], valid)
        hint = f"; did you mean {quote('.'.join((*prefix, *loc[:-1], close)))}?" if close else ""
        return one_line(f"{where}: unknown {what} {dotted}{hint} (valid keys here: {', '.join(valid)})")
    if error.get("type") == "missing":
        return one_line(f"{where}: {what} {dotted} is required")
    message = _WORDING.get(str(error.get("type")), str(error.get("msg", "invalid value")).removeprefix("Value error, "))
    if len(full) == len(prefix):  # a rule across sections (a model validator): its message names the keys
        return one_line(f"{where}: {message}")
    return one_line(f"{where}: {bare('.'.join(full))} = {quote(error.get('input'))}: {message}")
