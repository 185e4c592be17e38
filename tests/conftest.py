"""Session-wide fixtures: the demo model, its archive and a real TorchServe.

The demo model and archive are built once per test run with the same
Makefile targets a user runs (`make model`, `make archive`), into build/test
so a user's own model and archive are never touched. `make test` runs the layers
in two pytest sessions at once (scripts/test-lanes.sh): the first to need the demo
builds it under a lock, the other waits and finds it current.
"""

import contextlib
import fcntl
from pathlib import Path

import pytest

from support.servers import CANDIDATE_VERSION, ROOT, make, running_torchserve, running_ui

TEST_BUILD = ROOT / "build" / "test"
# The unit layer runs first (`make test` names the layers in order). If any of it failed, the
# slow layers are not started: they would fail for the same reason, tens of minutes later.
UNIT_LAYER = "unit/"
UNIT_FAILURES = []


def pytest_runtest_logreport(report):
    if report.failed and report.nodeid.startswith(UNIT_LAYER):
        UNIT_FAILURES.append(report.nodeid)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if UNIT_FAILURES and not item.nodeid.startswith(UNIT_LAYER):
        item.session.shouldstop = f"{len(UNIT_FAILURES)} unit test(s) failed: the other layers were not run"
        return True  # this item is not run either
    return None
DEMO_MODEL_DIR = TEST_BUILD / "models" / "demo"
CANDIDATE_MODEL_DIR = TEST_BUILD / "models" / "demo-candidate"
DEMO_STORE = TEST_BUILD / "model-store"


@contextlib.contextmanager
def demo_build_lock():
    TEST_BUILD.mkdir(parents=True, exist_ok=True)
    with open(TEST_BUILD / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


@pytest.fixture(scope="session")
def demo_model_dir() -> Path:
    with demo_build_lock():
        make("model", "MODEL_SOURCE=demo", f"MODEL_DIR={DEMO_MODEL_DIR}")
    return DEMO_MODEL_DIR


@pytest.fixture(scope="session")
def demo_store(demo_model_dir) -> Path:
    """The demo archive (version 1.0) and the demo's rollout candidate (2.0, one worker):
    every test TorchServe serves both, the candidate idle unless a test routes to it."""
    with demo_build_lock():
        make("archive", "MODEL_SOURCE=demo", f"MODEL_DIR={demo_model_dir}", f"ARCHIVE_DIR={DEMO_STORE}")
        make("candidate", f"CANDIDATE_MODEL_DIR={CANDIDATE_MODEL_DIR}", f"ARCHIVE_DIR={DEMO_STORE}",
             f"CANDIDATE_VERSION={CANDIDATE_VERSION}")
    assert (DEMO_STORE / "toxic-bert.mar").is_file() and (DEMO_STORE / "toxic-bert-candidate.mar").is_file()
    return DEMO_STORE


@pytest.fixture(scope="session")
def primary_store(demo_store) -> Path:
    """The demo archive alone, for a `toxmon run` that needs no candidate (it serves every
    archive of its store): one worker fewer to load at each start."""
    import os
    import shutil
    store = TEST_BUILD / "model-store-primary"
    with demo_build_lock():
        store.mkdir(parents=True, exist_ok=True)
        target = store / "toxic-bert.mar"
        target.unlink(missing_ok=True)
        try:
            os.link(demo_store / "toxic-bert.mar", target)
        except OSError:
            shutil.copyfile(demo_store / "toxic-bert.mar", target)
    return store


@pytest.fixture(scope="session")
def torchserve(demo_store, tmp_path_factory):
    """One real TorchServe with the demo archive and its candidate (the monitoring tests watch
    shadow traffic), shared by the tests that need no server of their own."""
    with running_torchserve(demo_store, tmp_path_factory.mktemp("torchserve"), candidate=True) as server:
        yield server


@pytest.fixture(scope="session")
def ui_server(torchserve, tmp_path_factory):
    """The UI under gunicorn in front of the shared TorchServe."""
    with running_ui(torchserve.ports, tmp_path_factory.mktemp("ui")) as server:
        yield server
