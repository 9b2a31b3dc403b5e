"""User-facing errors: each carries one line that says what is wrong and how to fix it.

The CLI prints ``str(err)`` and exits with ``err.exit_code``; no traceback is shown.
"""


class GanlabError(Exception):
    """Base class for errors caused by user input (configs, data, paths)."""

    exit_code = 2


class ConfigError(GanlabError):
    """A config or sweep file is invalid: unknown key, wrong type, value out of range."""


class DataError(GanlabError):
    """A dataset cannot be built: missing path, unreadable image, wrong array shape or dtype."""
