"""The local stack (`toxmon run` / `toxmon stop`): TorchServe and the UI, kept running by
supervisord (toxmon/supervise.py), checked with the readiness checks the tests and
the benchmark use too."""

import os
import time
from dataclasses import dataclass
from pathlib import Path

from . import supervise, torchserve_process, ui_process


class StackError(RuntimeError):
    pass


@dataclass
class Stack:
    run_dir: Path
    model_store: Path
    ports: torchserve_process.Ports
    ui_port: int

    @classmethod
    def from_env(cls, run_dir: Path, model_store: Path) -> "Stack":
        """Ports from TORCHSERVE_{INFERENCE,MANAGEMENT,METRICS}_PORT and UI_PORT."""
        return cls(run_dir.resolve(), model_store.resolve(), torchserve_process.Ports.from_env(),
                   int(os.environ.get("UI_PORT", 5000)))

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    @property
    def routing_file(self) -> Path:
        """Where `toxmon rollout` switches the UI between versions (docs/rollouts.md)."""
        return self.run_dir / "rollout" / "routing.json"

    def urls(self) -> dict:
        ts = self.ports.urls()
        return {"Toxicity Monitor": f"{self.ui_url}/",
                "JSON API": f"{self.ui_url}/api/v1/toxicity",
                "TorchServe inference": f"{ts['inference']}/predictions/{torchserve_process.MODEL_NAME}",
                "TorchServe management": f"{ts['management']}/models/{torchserve_process.MODEL_NAME}",
                "TorchServe metrics": f"{ts['metrics']}/metrics"}


def programs(stack: Stack) -> list[supervise.Program]:
    ts_dir, ui_dir = stack.run_dir / "torchserve", stack.run_dir / "ui"
    (ts_dir / "tmp").mkdir(parents=True, exist_ok=True)
    try:  # the primary, and the rollout's candidate when the store holds one
        settings = torchserve_process.run_settings(ts_dir, stack.model_store, stack.ports)
    except ValueError as error:
        raise StackError(str(error)) from None
    torchserve = supervise.Program("torchserve", torchserve_process.command(stack.model_store), ts_dir,
                                   settings, startsecs=5)
    ui = supervise.Program("ui", ui_process.command(), ui_dir,
                           ui_process.ui_settings(ui_dir, stack.ports, stack.ui_port, stack.routing_file),
                           stopwaitsecs=25)
    return [torchserve, ui]


def wait_ready(stack: Stack, timeout: float = 300) -> float:
    started = time.monotonic()
    torchserve_process.wait_ready(stack.ports.urls()["management"], timeout,
                                  log=stack.logs / "torchserve.log")
    ui_process.wait_healthy(stack.ui_url, max(30.0, timeout - (time.monotonic() - started)))
    return time.monotonic() - started


def start(stack: Stack, timeout: float = 300) -> float:
    """Start (or restart, picking up a new archive) the stack; block until it answers."""
    if not (stack.model_store / f"{torchserve_process.MODEL_NAME}.mar").exists():
        raise StackError(f"no {torchserve_process.MODEL_NAME}.mar in {stack.model_store}: run `toxmon archive`")
    started = programs(stack)
    try:
        supervise.start(stack.run_dir, started)
        return wait_ready(stack, timeout)
    except (RuntimeError, TimeoutError) as error:
        supervise.stop(stack.run_dir)
        raise StackError(f"{error}; logs in {stack.logs}") from None


def stop(stack: Stack) -> bool:
    return supervise.stop(stack.run_dir)
