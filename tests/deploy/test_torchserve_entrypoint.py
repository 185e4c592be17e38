"""The TorchServe image's start command and config, run here the way the image runs them.

The image runs deploy/torchserve/torchserve-entrypoint.sh with config/config.properties;
here the same script runs with the same config, only its addresses and paths
moved (TS_* variables) to free loopback ports and a temporary model store holding the demo archive.
The image's readiness probe (torchserve-ready) runs with the same environment, as it does there.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from toxmon import torchserve_process
from support.servers import CANDIDATE_VERSION, ROOT, free_torchserve_ports


@pytest.mark.parametrize("with_candidate", [False, True], ids=["primary", "primary-and-candidate"])
def test_image_entrypoint_serves_the_demo_archive(demo_store, tmp_path, with_candidate):
    store = tmp_path / "model-store"
    store.mkdir()
    shutil.copy(demo_store / "toxic-bert.mar", store / "toxic-bert.mar")
    if with_candidate:  # as docker-compose.candidate.yml mounts it
        shutil.copy(demo_store / "toxic-bert-candidate.mar", store / "toxic-bert-candidate.mar")
    ports = free_torchserve_ports()
    (tmp_path / "tmp").mkdir()
    # The image's own config file; only addresses and paths move, through TorchServe's TS_* variables.
    env = {**os.environ, **torchserve_process.local_settings(store, ports),
           "TS_CONFIG_FILE": str(ROOT / "config" / "config.properties"),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "TMPDIR": str(tmp_path / "tmp"), "TEMP": str(tmp_path / "tmp"), "LOG_LOCATION": str(tmp_path / "logs"),
           "METRICS_LOCATION": str(tmp_path / "logs"), "HF_HUB_OFFLINE": "1"}
    del env["TS_LOAD_MODELS"]  # what to load is the entrypoint's to decide, from the file and the store
    probe = [sys.executable, str(ROOT / "ui" / "toxicity_ui" / "torchserve_ready.py")]
    before = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=30)
    assert before.returncode == 1 and "cannot be read" in before.stderr, before
    log = open(tmp_path / "console.log", "wb")
    process = subprocess.Popen([str(ROOT / "deploy" / "torchserve" / "torchserve-entrypoint.sh")], cwd=tmp_path,
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        torchserve_process.wait_ready(ports.urls()["management"], 180, process)
        ready = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=30)
        assert ready.returncode == 0, ready.stderr
        model = torchserve_process.model_status(ports.urls()["management"])
        # Workers and batching from the archive's model-config.yaml.
        from toxmon.model.handler_files import shipped_model_config
        shipped = shipped_model_config()
        assert (model["batchSize"], model["maxBatchDelay"], len(model["workers"])) == (
            shipped["batchSize"], shipped["maxBatchDelay"], shipped["maxWorkers"])
        reply = requests.post(f"{ports.urls()['inference']}/predictions/toxic-bert",
                              json={"text": "You worthless idiot."}, timeout=30)
        assert reply.status_code == 200 and reply.json()["is_toxic"] is True
        metrics = requests.get(f"{ports.urls()['metrics']}/metrics", timeout=10).text
        assert "ts_inference_requests_total" in metrics  # metrics_mode=prometheus in the container config
        versions = requests.get(f"{ports.urls()['management']}/models/toxic-bert/all", timeout=10).json()
        assert sorted(item["modelVersion"] for item in versions) == \
            (["1.0", CANDIDATE_VERSION] if with_candidate else ["1.0"])
        assert reply.json()["model"]["version"] == "1.0"  # the primary is the default version
        if with_candidate:
            candidate = requests.post(f"{ports.urls()['inference']}/predictions/toxic-bert/{CANDIDATE_VERSION}",
                                      json={"text": "You worthless idiot."}, timeout=120)
            assert candidate.status_code == 200 and candidate.json()["model"]["version"] == CANDIDATE_VERSION
    finally:
        torchserve_process.stop(process)
