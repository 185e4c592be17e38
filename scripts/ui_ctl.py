"""Start, wait for and stop the UI under gunicorn; used by `make run` and the tests."""

import argparse
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from torchserve_ctl import ROOT, Ports, stop_pid_file

UI_DIR = ROOT / "ui"


def ui_environment(run_dir: Path, ts_ports: Ports, port: int, extra: dict | None = None) -> dict:
    """Environment for the UI: TorchServe's URLs, a persistent secret key, metrics dir."""
    key_file = run_dir / "secret_key"
    if not key_file.is_file():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    urls = ts_ports.urls()
    return {**os.environ,
            "UI_HOST": "127.0.0.1", "UI_PORT": str(port),
            "TORCHSERVE_INFERENCE_URL": urls["inference"],
            "TORCHSERVE_MANAGEMENT_URL": urls["management"],
            "SECRET_KEY": key_file.read_text().strip(),
            "PROMETHEUS_MULTIPROC_DIR": str(run_dir / "metrics"),
            **(extra or {})}


def start(run_dir: Path, ts_ports: Ports, port: int, extra_env: dict | None = None) -> subprocess.Popen:
    run_dir = run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    env = ui_environment(run_dir, ts_ports, port, extra_env)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = open(run_dir / "ui.log", "ab")
    process = subprocess.Popen([str(gunicorn), "--config", str(UI_DIR / "gunicorn.conf.py"),
                                "--chdir", str(UI_DIR), "toxicity_ui:create_app()"],
                               cwd=run_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    (run_dir / "ui.pid").write_text(str(process.pid))
    return process


def wait_healthy(url: str, timeout: float, process: subprocess.Popen | None = None) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the UI exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the UI did not answer /healthz within {timeout:.0f} s")


def stop(run_dir: Path) -> bool:
    return stop_pid_file(run_dir / "ui.pid")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--run-dir", type=Path, default=ROOT / "build" / "run" / "ui")
    args = parser.parse_args(argv)
    if args.command == "stop":
        print("UI stopped" if stop(args.run_dir) else "UI was not running")
        return 0
    stop(args.run_dir)
    port = int(os.environ.get("UI_PORT", 5000))
    process = start(args.run_dir, Ports.from_env(), port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, 30, process)
    except (RuntimeError, TimeoutError) as error:
        stop(args.run_dir)
        print(f"error: {error}; see {args.run_dir / 'ui.log'}", file=sys.stderr)
        return 1
    print(f"UI ready: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
