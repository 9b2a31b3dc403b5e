"""Strict number types for every config: no ``true`` for a count, no ``.inf`` for a rate.

Pydantic's lax mode reads ``steps: true`` as 1 and ``lr_g: .inf`` as a float; both are typos that would
train something nobody asked for. ``Int`` takes only integers. ``Number`` takes integers, floats and
numeric strings (YAML 1.1 reads ``2e-4``, without a dot, as a string), never a bool, and only finite values.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import AllowInfNan, BeforeValidator, Strict

T = TypeVar("T")


def not_bool(value: Any) -> Any:
    """``value`` unchanged, or a ValueError for a bool (a Python bool is an int: ``True == 1``)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, not {str(value).lower()}")
    return value


Int = Annotated[int, Strict()]
Number = Annotated[float, BeforeValidator(not_bool), AllowInfNan(False)]
# For Literal[...] of numbers (a resolution, a channel count): pydantic matches True to a literal 1.
NotBool = BeforeValidator(not_bool)
# The longest run a config may ask for (train.steps); every window and count in steps or log rows is
# bounded by it, so no detector ever meets a number past int64 (docs/config.md).
MAX_STEPS = 10_000_000
