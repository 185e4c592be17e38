"""Start, wait for and stop a local TorchServe; used by `make run` and the tests.

Each instance lives in its own run directory: rendered config, logs, TMPDIR.
TorchServe keeps its pid file and extracts archives in the temp directory,
so a private TMPDIR lets several instances (a `make run` and a test run) live
side by side without stepping on each other.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_CONFIG = ROOT / "config" / "config.local.properties"
METRICS_CONFIG = ROOT / "config" / "metrics.yaml"
MODEL_NAME = "toxic-bert"


@dataclass
class Ports:
    inference: int = 8080
    management: int = 8081
    metrics: int = 8082
    grpc_inference: int = 7070   # unused, but 0.12 always binds it
    grpc_management: int = 7071

    @classmethod
    def from_env(cls) -> "Ports":
        return cls(**{name: int(os.environ.get(f"TORCHSERVE_{name.upper()}_PORT", default))
                      for name, default in vars(cls()).items()})

    def urls(self, host: str = "127.0.0.1") -> dict:
        return {name: f"http://{host}:{getattr(self, name)}"
                for name in ("inference", "management", "metrics")}


def render_config(run_dir: Path, model_store: Path, ports: Ports, overrides: dict | None = None,
                  template: Path = LOCAL_CONFIG) -> Path:
    """Write the local config with this instance's ports, store and metrics config."""
    urls = ports.urls()
    values = {
        "inference_address": urls["inference"],
        "management_address": urls["management"],
        "metrics_address": urls["metrics"],
        "grpc_inference_port": ports.grpc_inference,
        "grpc_management_port": ports.grpc_management,
        "model_store": str(model_store),
        "allowed_urls": f"file://{model_store}/.*",
        "metrics_config": str(METRICS_CONFIG),
        **(overrides or {}),
    }
    lines = []
    for line in template.read_text().splitlines():
        key = line.split("=", 1)[0].strip()
        if "=" in line and not line.lstrip().startswith("#") and key in values:
            line = f"{key}={values.pop(key)}"
        lines.append(line)
    lines += [f"{key}={value}" for key, value in values.items()]  # keys the template lacks
    path = run_dir / "config.properties"
    path.write_text("\n".join(lines) + "\n")
    return path


def start(run_dir: Path, model_store: Path, ports: Ports, overrides: dict | None = None,
          archive: str = "toxic-bert.mar", template: Path | None = None) -> subprocess.Popen:
    """Start TorchServe in the foreground of a new process group (killable as a whole)."""
    run_dir = run_dir.resolve()
    for sub in ("logs", "tmp"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    config = render_config(run_dir, model_store.resolve(), ports, overrides, template or LOCAL_CONFIG)
    env = {**os.environ, "TMPDIR": str(run_dir / "tmp"), "TEMP": str(run_dir / "tmp"),
           "LOG_LOCATION": str(run_dir / "logs"), "METRICS_LOCATION": str(run_dir / "logs")}
    torchserve = Path(sys.executable).parent / "torchserve"
    command = [str(torchserve), "--start", "--foreground", "--ncs", "--ts-config", str(config),
               "--model-store", str(model_store.resolve()), "--models", f"{MODEL_NAME}={archive}"]
    log = open(run_dir / "logs" / "console.log", "ab")
    process = subprocess.Popen(command, cwd=run_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    (run_dir / "torchserve.pid").write_text(str(process.pid))
    return process


def model_status(management_url: str, timeout: float = 2.0) -> dict | None:
    """The management API's view of the model, or None when it is not reachable."""
    try:
        with urllib.request.urlopen(f"{management_url}/models/{MODEL_NAME}", timeout=timeout) as reply:
            return json.loads(reply.read())[0]
    except (urllib.error.URLError, OSError, ValueError, IndexError):
        return None


def is_ready(management_url: str) -> bool:
    """/ping says Healthy before the worker loads; READY workers are the real signal."""
    status = model_status(management_url)
    return bool(status) and any(w.get("status") == "READY" for w in status.get("workers", []))


def load_failure(run_dir: Path) -> str | None:
    """The handler's error when the model failed to load (TorchServe retries forever)."""
    log = run_dir / "logs" / "console.log"
    if not log.is_file():
        return None
    text = log.read_text(errors="replace")
    if "Load model failed" not in text:
        return None
    errors = [line.split("MODEL_LOG - ", 1)[1] for line in text.splitlines()
              if "MODEL_LOG - " in line and "Error" in line]
    return errors[-1] if errors else "Load model failed"


def wait_ready(management_url: str, timeout: float, process: subprocess.Popen | None = None,
               run_dir: Path | None = None) -> float:
    """Block until a worker is READY; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"TorchServe exited with code {process.returncode} before READY")
        failure = load_failure(run_dir) if run_dir else None
        if failure:
            raise RuntimeError(f"the model failed to load: {failure}")
        if is_ready(management_url):
            return time.monotonic() - started
        time.sleep(0.5)
    raise TimeoutError(f"model {MODEL_NAME} not READY after {timeout:.0f} s")


def group_alive(pgid: int) -> bool:
    """True while a process of the group still runs (zombies waiting to be reaped do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def stop_group(pid: int, timeout: float = 20.0) -> None:
    """Stop TorchServe's JVM and its Python workers (one process group)."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not group_alive(pid):
            return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop_pid_file(pid_file: Path, timeout: float = 20.0) -> bool:
    """Stop the process group recorded in a pid file; False if nothing was recorded."""
    if not pid_file.is_file():
        return False
    stop_group(int(pid_file.read_text()), timeout)
    pid_file.unlink()
    return True


def stop(run_dir: Path) -> bool:
    return stop_pid_file(run_dir / "torchserve.pid")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--run-dir", type=Path, default=ROOT / "build" / "run" / "torchserve")
    parser.add_argument("--model-store", type=Path, default=ROOT / "model-store")
    parser.add_argument("--archive", default="toxic-bert.mar",
                        help="file or folder name inside the model store")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for READY")
    args = parser.parse_args(argv)
    ports = Ports.from_env()
    urls = ports.urls()

    if args.command == "stop":
        print("TorchServe stopped" if stop(args.run_dir) else "TorchServe was not running")
        return 0
    if args.command == "status":
        ready = is_ready(urls["management"])
        print(json.dumps(model_status(urls["management"]), indent=2) if ready else "not ready")
        return 0 if ready else 1

    if is_ready(urls["management"]):
        print(f"TorchServe already serving {MODEL_NAME} at {urls['inference']}")
        return 0
    stop(args.run_dir)  # a stale instance from an earlier run
    process = start(args.run_dir, args.model_store, ports, archive=args.archive)
    try:
        seconds = wait_ready(urls["management"], args.timeout, process, args.run_dir)
    except (RuntimeError, TimeoutError) as error:
        stop(args.run_dir)
        print(f"error: {error}; see {args.run_dir / 'logs'}", file=sys.stderr)
        return 1
    print(f"TorchServe READY in {seconds:.1f} s: inference {urls['inference']}, "
          f"management {urls['management']}, metrics {urls['metrics']}/metrics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
