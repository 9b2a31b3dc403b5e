"""Testing helpers for users' CI: ``assert_stable`` and the pytest plugin (``ganlab.testing.pytest_plugin``).

``assert_stable`` is imported lazily: the pytest plugin loads this package in every pytest session,
and that should not cost a torch import.
"""

from __future__ import annotations

from typing import Any

from ganlab.testing.profiles import PROFILES, Profile, active_profile

__all__ = ["PROFILES", "Profile", "active_profile", "assert_stable"]


def __getattr__(name: str) -> Any:
    if name == "assert_stable":
        from ganlab.testing.stability import assert_stable

        return assert_stable
    raise AttributeError(f"module 'ganlab.testing' has no attribute {name!r}")
