"""Options shared by several commands."""

from __future__ import annotations

from typing import Annotated

import typer

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a config key, e.g. --set model.batchnorm=none (value parsed as YAML).",
                 show_default=False),
]
