"""The TorchServe image a user builds by default: the real model downloaded at build time.
The hub is the local server of tests/support/hub.py (toxic-bert's repository layout),
given to the build as HUB_ENDPOINT; the build shares the host's loopback to reach it.

The hub's address names the snapshot's content, so the engine's build cache is reused only
when an earlier build downloaded the same files with the same code and Dockerfile: a change to
any of them downloads again, and the test then counts the download."""

import subprocess
import time

import pytest
import requests

from support.engine import ENGINE, engine
from support.hub import LocalHub, build_hub_snapshot
from support.servers import ROOT, free_port


# Building the images from nothing takes minutes on two cores (base image, torch, the model).
pytestmark = pytest.mark.timeout(2400)

TAG = "hub-test"


@pytest.fixture(scope="module")
def real_model_image(demo_model_dir, tmp_path_factory):
    snapshot = build_hub_snapshot(demo_model_dir, tmp_path_factory.mktemp("hub") / "toxic-bert")
    with LocalHub(snapshot, keyed_by_content=True) as hub:
        result = subprocess.run(["make", "--no-print-directory", "images", f"CONTAINER_ENGINE={ENGINE}",
                                 "MODEL_SOURCE=unitary/toxic-bert", f"HUB_ENDPOINT={hub.base_url}",
                                 "BUILD_NETWORK=host", f"VERSION={TAG}"],
                                cwd=ROOT, capture_output=True, text=True, timeout=2400)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        downloads = hub.downloads("pytorch_model.bin")
        reused = download_step_reused(result.stdout + result.stderr)
        assert (downloads, reused) in ((1, False), (0, True)), \
            f"{downloads} downloads, cached step {reused}: the build neither downloaded nor reused a build that did"
    image = f"toxicity-monitor/torchserve:{TAG}"
    yield image
    engine("rmi", "--force", image, f"toxicity-monitor/ui:{TAG}")


def download_step_reused(build_output: str) -> bool:
    """Whether the model stage's `toxmon archive` step came from the build cache: podman and
    Docker's classic builder print "Using cache" after the step, BuildKit "CACHED" on it."""
    lines = build_output.splitlines()
    for index, line in enumerate(lines):
        if "toxmon archive --source" in line:
            if "CACHED" in line:
                return True
            if index + 1 < len(lines) and "Using cache" in lines[index + 1]:
                return True
    return False


def test_the_default_image_serves_the_real_model_downloaded_at_build_time(real_model_image):
    port = free_port()
    started = engine("run", "-d", "-p", f"127.0.0.1:{port}:8080", real_model_image)
    assert started.returncode == 0, started.stderr[-2000:]
    container = started.stdout.strip()
    try:
        deadline, reply = time.monotonic() + 180, None
        while time.monotonic() < deadline:
            try:
                reply = requests.post(f"http://127.0.0.1:{port}/predictions/toxic-bert",
                                      json={"text": "You are a stupid worthless idiot."}, timeout=10)
                if reply.status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(2)
        assert reply is not None and reply.status_code == 200, engine("logs", container).stdout[-3000:]
        body = reply.json()
        assert (body["model"]["name"], body["model"]["demo"]) == ("unitary/toxic-bert", False)
        assert body["is_toxic"] and body["model"]["precision"] == "int8"  # checked at build time, chosen by auto
    finally:
        engine("rm", "--force", container)
