"""`toxmon run` keeps TorchServe and the UI alive under supervisord: a crashed one comes
back by itself, every log is in one folder, and `toxmon stop` leaves nothing running."""

import os
import signal
import subprocess
import time

import requests

from toxmon import supervise, torchserve_process
from support.servers import TOXMON, free_port, free_torchserve_ports


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


def gone(pid, group=True):
    try:
        (os.killpg if group else os.kill)(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_toxmon_run_restarts_crashed_services_and_stop_ends_everything(primary_store, tmp_path):
    ports, ui_port = free_torchserve_ports(), free_port()
    env = {**os.environ, "UI_PORT": str(ui_port),
           **{f"TORCHSERVE_{name.upper()}_PORT": str(port) for name, port in vars(ports).items()}}
    run_dir = tmp_path / "run"
    management, ui_health = ports.urls()["management"], f"http://127.0.0.1:{ui_port}/healthz"
    try:
        started = subprocess.run([TOXMON, "run", "--run-dir", str(run_dir), "--model-store", str(primary_store)],
                                 env=env, capture_output=True, text=True, timeout=400)
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"http://127.0.0.1:{ui_port}/" in started.stdout
        assert torchserve_process.is_ready(management) and healthy(ui_health)

        ui_pid = supervise.pid(run_dir, "ui")
        os.killpg(ui_pid, signal.SIGKILL)  # the UI crashes
        assert wait_for(lambda: supervise.pid(run_dir, "ui") not in (0, ui_pid), 30), "the UI was not restarted"
        assert wait_for(lambda: healthy(ui_health), 60), "the restarted UI does not answer"

        ts_pid = supervise.pid(run_dir, "torchserve")
        os.killpg(ts_pid, signal.SIGKILL)  # TorchServe crashes, JVM and workers
        assert wait_for(lambda: supervise.pid(run_dir, "torchserve") not in (0, ts_pid), 30)
        assert wait_for(lambda: torchserve_process.is_ready(management), 180), "TorchServe not READY again"

        logs = run_dir / "logs"
        supervisor_log = (logs / "supervisord.log").read_text()
        for program in ("ui", "torchserve"):
            assert f"exited: {program} (terminated by SIGKILL" in supervisor_log
            assert supervisor_log.count(f"spawned: '{program}'") == 2
        assert "Torchserve version" in (logs / "torchserve.log").read_text()
        assert "Booting worker" in (logs / "ui.log").read_text()

        status = subprocess.run([TOXMON, "status", "--run-dir", str(run_dir)], env=env, capture_output=True,
                                text=True, timeout=60)
        assert status.returncode == 0 and "model READY" in status.stdout, status.stdout
        groups = [supervise.pid(run_dir, "ui"), supervise.pid(run_dir, "torchserve")]
        supervisord_pid = int((run_dir / "supervisord.pid").read_text())
    finally:
        stopped = subprocess.run([TOXMON, "stop", "--run-dir", str(run_dir)], env=env, capture_output=True,
                                 text=True, timeout=120)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert all(wait_for(lambda: gone(group), 10) for group in groups), "a program outlived the stop"
    assert wait_for(lambda: gone(supervisord_pid, group=False), 10)
    assert not healthy(ui_health) and torchserve_process.model_status(management) is None
    status = subprocess.run([TOXMON, "status", "--run-dir", str(run_dir)], env=env, capture_output=True, text=True)
    assert status.returncode == 1 and "not running" in status.stdout


def test_toxmon_run_reports_a_missing_archive(tmp_path):
    result = subprocess.run([TOXMON, "run", "--run-dir", str(tmp_path / "run"), "--model-store", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "no toxic-bert.mar" in result.stderr
    assert not supervise.is_running(tmp_path / "run")
