"""Testing helpers for users' CI: ``assert_stable`` and the pytest plugin (``ganlab.testing.pytest_plugin``)."""

from ganlab.testing.profiles import PROFILES, Profile, active_profile
from ganlab.testing.stability import assert_stable

__all__ = ["PROFILES", "Profile", "active_profile", "assert_stable"]
