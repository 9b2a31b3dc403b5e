"""Shared test set-up: hypothesis profiles, an isolated ganlab cache directory, the classifier trained early."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

# torch code is slow and its first call pays for lazy initialisation: no per-example deadline.
settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

pytest_plugins = ["pytester"]

WARM_CLASSIFIER = ("from ganlab.metrics.classifier import digit_classifier; digit_classifier()")


@pytest.fixture(scope="session", autouse=True)
def ganlab_cache_dir(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[str]:
    """One cache (the mode classifier) per test session, never the user's ~/.cache.

    The digit ensemble (about a minute of one core) starts training in a background process at once, so
    the tests that run first overlap with it; a test that needs it meanwhile waits for that process
    (``digit_classifier`` holds the cache entry's lock while training) and loads what it wrote.
    ``GANLAB_TEST_CACHE_DIR=DIR`` keeps the cache across sessions (the file name carries the code's hash).
    Under pytest-xdist the workers share one cache, and one of them warms it.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if os.environ.get("GANLAB_TEST_CACHE_DIR"):
        path = os.environ["GANLAB_TEST_CACHE_DIR"]
    elif worker:  # one cache for all workers of this run (their temp folders share a parent)
        shared = tmp_path_factory.getbasetemp().parent / "ganlab-cache"
        shared.mkdir(exist_ok=True)
        path = str(shared)
    else:
        path = str(tmp_path_factory.mktemp("ganlab-cache"))
    os.environ["GANLAB_CACHE_DIR"] = path
    warm = None
    # A session of fuzz campaigns alone (CI's second step) evaluates nothing: warming would take a core from them.
    fuzz_only = all(item.get_closest_marker("fuzz") for item in request.session.items)
    if worker in (None, "gw0") and not fuzz_only:  # other workers wait on the cache entry's lock, load what it wrote
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        warm = subprocess.Popen([sys.executable, "-c", WARM_CLASSIFIER], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    yield path
    if warm is not None:
        if warm.poll() is None:  # a short session that never needed it
            warm.kill()
        warm.wait()


# Folders whose tests need no digit ensemble run first, beside the background process that trains it, so
# the first test that needs it finds it trained instead of idling a core while it waits. A stable sort:
# each module's tests keep their order and stay together (module fixtures are built once). pytest-xdist
# hands files out in this order only with --no-loadscope-reorder (addopts); by default it sends the
# files with the most tests first, which put two ensemble-bound files on both workers at the start, each
# idling 20-26 s on the classifier's lock.
ENSEMBLE_FREE_FIRST = ("architecture", "schema", "stats", "report", "diagnostics", "badinput", "foundation")


# Then the longest files (a minute or more of training each), so that on two pytest-xdist workers they run
# beside the many short files rather than alone at the end.
LONGEST_FIRST = ("stability/test_stability.py", "check/test_check_cli.py", "calibration/test_calibration.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def order(item: pytest.Item) -> tuple[bool, bool]:
        parts = item.path.parts
        folder = parts[parts.index("tests") + 1] if "tests" in parts[:-1] else ""
        return folder not in ENSEMBLE_FREE_FIRST, "/".join(parts[-2:]) not in LONGEST_FIRST

    items.sort(key=order)
