"""User-facing errors: each carries one line that says what is wrong and how to fix it.

The CLI prints ``str(err)`` and exits with ``err.exit_code``; no traceback is shown. ``str(err)`` is
always one line of at most ``MAX_LINE`` characters with control characters escaped, whatever the
message was built from, because messages quote user files (keys with newlines, ANSI escapes, huge values).
"""

MAX_LINE = 500


def escape(text: str) -> str:
    """``text`` with every non-printable character (newline, ESC, bidi overrides...) written as an escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in ``...`` when cut."""
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def one_line(message: str, limit: int = MAX_LINE) -> str:
    """The message as one escaped line of at most ``limit`` characters."""
    return truncate(escape(message), limit)


class GanlabError(Exception):
    """Base class for errors caused by user input (configs, data, paths)."""

    exit_code = 2

    def __str__(self) -> str:
        return one_line(super().__str__())


class ConfigError(GanlabError):
    """A config or sweep file is invalid: unknown key, wrong type, value out of range."""


class CrossFieldError(ConfigError):
    """A rule across config sections fails (a sigmoid output on [-1, 1] data), not one key's value."""


class DataError(GanlabError):
    """A dataset cannot be built: missing path, unreadable image, wrong array shape or dtype."""


class OutputError(GanlabError):
    """An output path cannot be written: a file where a folder goes, a folder where a file goes, no permission."""


class ResourceError(GanlabError):
    """The machine cannot hold what the config asks for (memory at start-up); smaller settings will run."""
