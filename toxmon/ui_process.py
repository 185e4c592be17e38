"""The UI under gunicorn: its environment, its start, its health check.

Used by `toxmon run` (through supervisord), the tests and the benchmark.
"""

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .checkout import root
from .torchserve_process import Ports


def ui_dir() -> Path:
    return root() / "ui"


def secret_key(run_dir: Path) -> str:
    """One key per run directory, kept across restarts so form tokens stay valid."""
    key_file = run_dir / "secret_key"
    if not key_file.is_file():
        run_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def ui_settings(run_dir: Path, ts_ports: Ports, port: int, routing_file: Path | None = None) -> dict:
    """The UI's settings for a loopback run in front of TorchServe at `ts_ports`; the
    rollout's routing file (`toxmon rollout`) defaults to rollout/routing.json in `run_dir`, and
    Perspective's suggested scores go to feedback.sqlite there."""
    urls = ts_ports.urls()
    settings = {}
    if os.environ.get("API_KEYS_FILE"):  # `make run API_KEYS_FILE=...`: relative to where it was typed
        settings["API_KEYS_FILE"] = str(Path(os.environ["API_KEYS_FILE"]).resolve())
    return {**settings, "UI_HOST": "127.0.0.1", "UI_PORT": str(port),
            "TORCHSERVE_INFERENCE_URL": urls["inference"],
            "TORCHSERVE_MANAGEMENT_URL": urls["management"],
            "SECRET_KEY": secret_key(run_dir),
            "ROUTING_FILE": str(routing_file or run_dir / "rollout" / "routing.json"),
            "FEEDBACK_FILE": str(run_dir / "feedback.sqlite"),
            "PROMETHEUS_MULTIPROC_DIR": str(run_dir / "metrics")}


def command() -> list[str]:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    return [str(gunicorn), "--config", str(ui_dir() / "gunicorn.conf.py"), "--chdir", str(ui_dir()),
            "toxicity_ui:create_app()"]


def start(run_dir: Path, ts_ports: Ports, port: int, extra_env: dict | None = None) -> subprocess.Popen:
    run_dir = run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **ui_settings(run_dir, ts_ports, port), **(extra_env or {})}
    log = open(run_dir / "ui.log", "ab")
    return subprocess.Popen(command(), cwd=run_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_healthy(url: str, timeout: float, process: subprocess.Popen | None = None) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the UI exited with code {process.returncode}")
        if is_healthy(url):
            return time.monotonic() - started
        time.sleep(0.2)
    raise TimeoutError(f"the UI did not answer /healthz within {timeout:.0f} s")
