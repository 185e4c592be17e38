"""The servers a benchmark measures, started on free loopback ports and always stopped: the
naive baseline, TorchServe (stock or this project's archive) and the UI in front of it."""

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import torchserve_process, ui_process
from ..model import archive
from ..model.handler_files import shipped_model_config
from ..ports import free_port


def wait_for_prediction(url: str, timeout: float, process: subprocess.Popen) -> None:
    body = json.dumps({"text": "warm up"}).encode()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with code {process.returncode}")
        try:
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not answering after {timeout:.0f} s")


def served_precision(url: str) -> str:
    request = urllib.request.Request(url, data=json.dumps({"text": "which precision?"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)["model"]["precision"]


@contextlib.contextmanager
def naive_server(model_dir: Path, run_dir: Path):
    port = free_port()
    run_dir.mkdir(parents=True, exist_ok=True)
    log = open(run_dir / "naive.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "toxmon.bench.naive_server", str(model_dir), str(port)],
                               cwd=run_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        url = f"http://127.0.0.1:{port}/predict"
        wait_for_prediction(url, 300, process)
        yield url, [process.pid]
    finally:
        torchserve_process.stop(process)


@contextlib.contextmanager
def torchserves(servers: list[tuple[Path, Path, Path | None]]):
    """Several TorchServes (model store, run directory, config), started together so their
    start-ups overlap, then each waited for; yields (url, ports, pid) for each, in order."""
    started = []
    try:
        for model_store, run_dir, config in servers:
            ports = torchserve_process.Ports(*(free_port() for _ in range(5)))
            started.append((ports, run_dir, torchserve_process.start(run_dir, model_store, ports, config=config)))
        for ports, run_dir, process in started:
            torchserve_process.wait_ready(ports.urls()["management"], 300, process,
                                          run_dir.resolve() / "logs" / "console.log")
            wait_for_prediction(predictions_url(ports), 60, process)
        yield [(predictions_url(ports), ports, process.pid) for ports, _, process in started]
    finally:  # stopped together too: each takes seconds to shut down
        with ThreadPoolExecutor(max(1, len(started))) as pool:
            list(pool.map(torchserve_process.stop, [process for _, _, process in started]))


def predictions_url(ports) -> str:
    return f"{ports.urls()['inference']}/predictions/{torchserve_process.MODEL_NAME}"


@contextlib.contextmanager
def torchserve(model_store: Path, run_dir: Path, config: Path | None):
    with torchserves([(model_store, run_dir, config)]) as [server]:
        yield server


@contextlib.contextmanager
def ui_in_front(ts_ports, run_dir: Path):
    port = free_port()
    process = ui_process.start(run_dir, ts_ports, port)
    try:
        base = f"http://127.0.0.1:{port}"
        ui_process.wait_healthy(base, 60, process)
        wait_for_prediction(f"{base}/api/v1/toxicity", 60, process)
        yield f"{base}/api/v1/toxicity", process.pid
    finally:
        torchserve_process.stop(process)


def build_archive(model_dir: Path, store: Path, precision: str, stock: bool = False,
                  config: Path | None = None) -> Path:
    """The archive as `toxmon archive` builds it; `stock` keeps only the handler's settings,
    so TorchServe serves it with its defaults (one worker per core, no batching); `config`
    replaces the shipped model-config.yaml."""
    if archive.needs_precision_files(precision):
        archive.prepare_precision_files(model_dir)
    if stock:
        shipped = shipped_model_config()
        config = store.parent / f"{store.name}-model-config.yaml"
        store.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps({"handler": shipped["handler"]}))  # JSON is YAML
    archive.build_archive(archive.ArchiveRequest(model_dir, store, precision, config_file=config))
    return store
