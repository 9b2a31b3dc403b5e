"""User model factories that break on purpose, for the sweep's crash-isolation tests."""

from __future__ import annotations

import os
import signal


def make(config):
    raise RuntimeError("boom: this generator factory always fails")


def die(config):
    os.kill(os.getpid(), signal.SIGKILL)  # the worker process vanishes, as under the OOM killer
