"""The diagnostics settings, however a user gives them: ``DiagnosticsConfig``, a mapping, a config file,
``--set diagnostics.KEY=VALUE``. ``ganlab diagnose``, ``ganlab.Monitor`` and the trainer all end with the
same frozen ``DiagnosticsConfig``, so thresholds that stop a run online give the same events offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganlab.config.diagnostics import DiagnosticsConfig
from ganlab.errors import ConfigError

SECTION = "diagnostics"


def _dotted(overrides: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """``{'patience': 0}`` or ``{'diagnostics.patience': 0}`` -> ``{'diagnostics.patience': 0}``; any other
    section is an error (it means nothing to a detector)."""
    out = {}
    for key, value in overrides.items():
        section, dot, rest = str(key).partition(".")
        if dot and section != SECTION:
            raise ConfigError(f"{origin} {key}: only diagnostics.KEY settings apply here "
                              f"(e.g. --set diagnostics.patience=0)")
        out[key if dot else f"{SECTION}.{key}"] = value
    return out


def diagnostics_settings(source: DiagnosticsConfig | Mapping[str, Any] | str | Path | None = None,
                         overrides: Mapping[str, Any] | None = None, origin: str = "--set") -> DiagnosticsConfig:
    """The ``DiagnosticsConfig`` of ``source`` with ``overrides`` applied (both validated, one-line errors).

    ``source``: None (the defaults), a ``DiagnosticsConfig``, a mapping of diagnostics keys (with or
    without a ``diagnostics:`` level), or a YAML file (a ganlab config, or a run's ``config.yaml``) of
    which only the ``diagnostics:`` section is read. ``overrides``: ``{'KEY' or 'diagnostics.KEY': value}``.
    """
    from ganlab.config.load import read_yaml, validate

    data: dict[str, Any] = {}
    where, lines = "<diagnostics settings>", None
    if isinstance(source, DiagnosticsConfig):
        data = {SECTION: source.model_dump(mode="json")}
    elif isinstance(source, Mapping):
        data = {SECTION: dict(source.get(SECTION, source) if SECTION in source else source)}
    elif source is not None:
        path = Path(source)
        raw, lines = read_yaml(path, "config file")
        data = {SECTION: raw[SECTION]} if isinstance(raw, Mapping) and SECTION in raw else {}
        where = str(path)
    return validate(data, where, lines, _dotted(overrides or {}, origin), origin).diagnostics
