"""Start real servers for tests on free 127.0.0.1 ports, and always stop them."""

import contextlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from toxmon import torchserve_process
from toxmon import ui_process
from toxmon.ports import free_port  # noqa: F401  (re-exported for the tests)

ROOT = Path(__file__).resolve().parents[2]
# The demo's rollout candidate, beside the demo (1.0) in the tests' model store.
CANDIDATE_VERSION = "2.0"
# The console script, as a user runs it (installed into the venv with the project).
TOXMON = str(Path(sys.executable).parent / "toxmon")


@dataclass
class TorchServe:
    process: subprocess.Popen
    run_dir: Path
    ports: torchserve_process.Ports
    ready_seconds: float

    @property
    def inference_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.inference}"

    @property
    def predictions_url(self) -> str:
        return f"{self.inference_url}/predictions/{torchserve_process.MODEL_NAME}"

    @property
    def management_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.management}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.metrics}/metrics"

    def stop(self) -> None:
        torchserve_process.stop(self.process)


def free_torchserve_ports() -> torchserve_process.Ports:
    return torchserve_process.Ports(*(free_port() for _ in range(5)))


@contextlib.contextmanager
def running_torchserve(model_store: Path, run_dir: Path, settings: dict | None = None,
                       timeout: float = 240, ports: torchserve_process.Ports | None = None,
                       candidate: bool = False):
    """A TorchServe serving toxic-bert from `model_store`, stopped on exit even on failure;
    candidate: the rollout's candidate beside it (a worker more to load: only where a test
    compares or routes to it)."""
    ports = ports or free_torchserve_ports()
    archive = None if candidate else f"{torchserve_process.MODEL_NAME}.mar"
    process = torchserve_process.start(run_dir, model_store, ports, settings, archive=archive)
    server = None
    try:
        seconds = torchserve_process.wait_ready(ports.urls()["management"], timeout, process,
                                                run_dir.resolve() / "logs" / "console.log")
        server = TorchServe(process, run_dir, ports, seconds)
        yield server
    finally:
        torchserve_process.stop(process)


def make(*args: str, timeout: float = 900) -> None:
    """Run a Makefile target the way a user would; fail loudly with its output."""
    result = subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, f"make {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@dataclass
class UiServer:
    process: subprocess.Popen
    url: str
    run_dir: Path


@contextlib.contextmanager
def running_ui(ts_ports: torchserve_process.Ports, run_dir: Path, extra_env: dict | None = None):
    """The UI under gunicorn on a free port, talking to TorchServe at `ts_ports`."""
    port = free_port()
    process = ui_process.start(run_dir, ts_ports, port, extra_env)
    try:
        url = f"http://127.0.0.1:{port}"
        ui_process.wait_healthy(url, 30, process)
        yield UiServer(process, url, run_dir)
    finally:
        torchserve_process.stop(process)
