"""The local run's supervisor restarts a crashed UI or TorchServe and logs it."""

import os
import signal
import subprocess
import sys
import time

import requests

import torchserve_ctl
import ui_ctl
from support.servers import ROOT, free_port, free_torchserve_ports


def wait_for(check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


def healthy(url):
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_supervisor_restarts_crashed_services(demo_store, tmp_path):
    ports, ui_port = free_torchserve_ports(), free_port()
    env = {**os.environ, "UI_PORT": str(ui_port),
           **{f"TORCHSERVE_{name.upper()}_PORT": str(port) for name, port in vars(ports).items()}}
    run_dir = tmp_path / "run"
    torchserve = torchserve_ctl.start(run_dir / "torchserve", demo_store, ports)
    ui = ui_ctl.start(run_dir / "ui", ports, ui_port)
    supervisor = [sys.executable, str(ROOT / "scripts" / "supervisor.py")]
    try:
        torchserve_ctl.wait_ready(ports.urls()["management"], 120, torchserve)
        subprocess.run([*supervisor, "start", "--run-dir", str(run_dir), "--model-store", str(demo_store),
                        "--interval", "1"], env=env, check=True, timeout=30)
        ui_health = f"http://127.0.0.1:{ui_port}/healthz"
        assert wait_for(lambda: healthy(ui_health), 30)

        os.killpg(ui.pid, signal.SIGKILL)  # the UI crashes
        ui.wait(timeout=10)
        assert wait_for(lambda: not healthy(ui_health), 5)
        assert wait_for(lambda: healthy(ui_health), 60), "the UI was not restarted"

        os.killpg(torchserve.pid, signal.SIGKILL)  # TorchServe crashes
        torchserve.wait(timeout=10)
        assert wait_for(lambda: torchserve_ctl.is_ready(ports.urls()["management"]), 120), "TorchServe not restarted"
        log = run_dir / "supervisor.log"
        assert wait_for(lambda: "TorchServe READY again" in log.read_text(), 30)
        assert "TorchServe is not running" in log.read_text() and "the UI answers again" in log.read_text()
    finally:
        subprocess.run([*supervisor, "stop", "--run-dir", str(run_dir)], env=env, timeout=60)
        torchserve_ctl.stop(run_dir / "torchserve")
        ui_ctl.stop(run_dir / "ui")
        for process in (torchserve, ui):
            if process.poll() is None:
                torchserve_ctl.stop_group(process.pid)
