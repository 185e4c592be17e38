"""Start real servers for tests on free 127.0.0.1 ports, and always stop them."""

import contextlib
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import torchserve_ctl

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class TorchServe:
    process: subprocess.Popen
    run_dir: Path
    ports: torchserve_ctl.Ports
    ready_seconds: float

    @property
    def inference_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.inference}"

    @property
    def predictions_url(self) -> str:
        return f"{self.inference_url}/predictions/{torchserve_ctl.MODEL_NAME}"

    @property
    def management_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.management}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.metrics}/metrics"

    def stop(self) -> None:
        torchserve_ctl.stop_group(self.process.pid)
        self.process.wait(timeout=30)


@contextlib.contextmanager
def running_torchserve(model_store: Path, run_dir: Path, overrides: dict | None = None,
                       timeout: float = 240):
    """A TorchServe serving toxic-bert from `model_store`, stopped on exit even on failure."""
    ports = torchserve_ctl.Ports(*(free_port() for _ in range(5)))
    process = torchserve_ctl.start(run_dir, model_store, ports, overrides)
    server = None
    try:
        seconds = torchserve_ctl.wait_ready(ports.urls()["management"], timeout, process, run_dir)
        server = TorchServe(process, run_dir, ports, seconds)
        yield server
    finally:
        torchserve_ctl.stop_group(process.pid)
        process.wait(timeout=30)


def make(*args: str, timeout: float = 900) -> None:
    """Run a Makefile target the way a user would; fail loudly with its output."""
    result = subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, f"make {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
