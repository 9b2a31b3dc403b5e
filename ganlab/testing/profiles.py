"""Named stability-test profiles: how much training ``assert_stable`` does by default.

``dev`` is the fewest steps (a quick local check), ``ci`` the default whenever ``CI`` is set,
``full`` trains the config as written. The pytest plugin selects one with ``--ganlab-profile``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ENV_VAR = "GANLAB_PROFILE"


@dataclass(frozen=True)
class Profile:
    name: str
    seeds: int
    steps: int | None  # None: the config's own train.steps


PROFILES: dict[str, Profile] = {
    "dev": Profile("dev", seeds=1, steps=100),
    "ci": Profile("ci", seeds=2, steps=300),
    "full": Profile("full", seeds=5, steps=None),
}


# What a profile was measured not to catch (docs/check.md, "What a profile can catch"): printed with it.
PROFILE_LIMITS: dict[str, str] = {
    "dev": "too short to catch a G without batchnorm on the built-in data (16x16 digits, evaluated every 25 "
           "steps: 1 of 3 seeds caught at 100 steps)",
    "ci": "may miss a G without batchnorm on the built-in data (at 300 steps: 16x16 digits 0 of 3 seeds caught, "
          "stacked-digits 3 of 3 as d_dominance; no batchnorm anywhere: 3 of 3 on both)",
}


def default_profile_name() -> str:
    return "ci" if os.environ.get("CI") else "dev"


def active_profile() -> Profile:
    """The profile chosen by ``--ganlab-profile`` (via ``GANLAB_PROFILE``), else ci under CI, else dev."""
    name = os.environ.get(ENV_VAR) or default_profile_name()
    if name not in PROFILES:
        raise ValueError(f"{ENV_VAR}={name!r}: unknown profile; valid: {', '.join(PROFILES)}")
    return PROFILES[name]
