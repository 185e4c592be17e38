"""A local TorchServe: its environment, its start, waiting for it to be ready, its stop.

Used by `toxmon run` (through supervisord), the tests and the benchmark. Every
instance reads the one config/config.properties; what differs on this machine
(loopback addresses, ports, the model store and what it holds) comes from TS_*
environment variables, which TorchServe honours because the file sets
enable_envvars_config. Nothing else is set here: PER_PLACE lists it all.

Each instance lives in its own run directory (logs, TMPDIR): TorchServe keeps its
pid file and extracts archives in the temp directory, so a private one lets
several instances (a `make run` and a test run) live side by side.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from labels import MODEL_NAME
from toxicity_ui import torchserve_ready

from .checkout import root
from .model.archive import CANDIDATE_FILE_NAME

PRIMARY_ARCHIVE = f"{MODEL_NAME}.mar"
CANDIDATE_ARCHIVE = f"{CANDIDATE_FILE_NAME}.mar"   # a rollout's candidate version (docs/rollouts.md)


def config_file() -> Path:
    return root() / "config" / "config.properties"


def metrics_config() -> Path:
    return root() / "config" / "metrics.yaml"


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


# The properties of config/config.properties a local instance changes: where it listens,
# which store it serves and what it loads from it, where its metrics config is. Everything
# else is the file's (tests/unit/test_one_place.py holds every other place to this list).
PER_PLACE = ("inference_address", "management_address", "metrics_address", "grpc_inference_port",
             "grpc_management_port", "model_store", "allowed_urls", "load_models", "metrics_config")


def local_settings(model_store: Path, ports: Ports, settings: dict | None = None,
                   archive: str | list[str] | None = None) -> dict:
    """TS_* variables for a loopback-only instance serving `model_store`.

    archive: the archives to load; default: the primary and the candidate when there is one.
    `settings` adds or replaces any other property (a smaller job queue, say): a test's or a
    benchmark's variation, never a second home for a setting.
    """
    urls = ports.urls()
    names = archives(model_store) if archive is None else [archive] if isinstance(archive, str) else archive
    values = {
        "inference_address": urls["inference"],
        "management_address": urls["management"],
        "metrics_address": urls["metrics"],
        "grpc_inference_port": ports.grpc_inference,
        "grpc_management_port": ports.grpc_management,
        "model_store": model_store,
        "allowed_urls": f"file://{model_store}/.*",
        "load_models": ",".join(f"{MODEL_NAME}={name}" for name in names),
        "metrics_config": metrics_config(),
        **(settings or {}),
    }
    return {f"TS_{key.upper()}": str(value) for key, value in values.items()}


def run_settings(run_dir: Path, model_store: Path, ports: Ports, settings: dict | None = None,
                 archive: str | list[str] | None = None) -> dict:
    """What a local TorchServe is given: TS_* settings, its logs and temp dir in `run_dir`."""
    check_socket_path(run_dir)
    return {**local_settings(model_store, ports, settings, archive),
            "TMPDIR": str(run_dir / "tmp"), "TEMP": str(run_dir / "tmp"),
            "LOG_LOCATION": str(run_dir / "logs"), "METRICS_LOCATION": str(run_dir / "logs")}


def archive_version(path: Path) -> str:
    """The model version written in an archive's manifest (a .mar file or a no-archive folder)."""
    try:
        if path.is_dir():
            manifest = (path / "MAR-INF" / "MANIFEST.json").read_text()
        else:
            with zipfile.ZipFile(path) as archive:
                manifest = archive.read("MAR-INF/MANIFEST.json")
        return str(json.loads(manifest)["model"]["modelVersion"])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a readable TorchServe archive ({error})") from None


def archives(model_store: Path) -> list[str]:
    """The primary archive, then the candidate when the store holds one.

    TorchServe serves both as versions of toxic-bert and makes the first one loaded the
    default; two archives of the same version would stop it at start, so that is refused here.
    """
    loaded = [PRIMARY_ARCHIVE]
    candidate = model_store / CANDIDATE_ARCHIVE
    if candidate.exists() and (model_store / PRIMARY_ARCHIVE).exists():
        primary_version, candidate_version = archive_version(model_store / PRIMARY_ARCHIVE), archive_version(candidate)
        if primary_version == candidate_version:
            raise ValueError(f"{candidate} has the primary's version {primary_version}: "
                             "rebuild the candidate with another --version")
        loaded.append(CANDIDATE_ARCHIVE)
    return loaded


def command(model_store: Path, config: Path | None = None) -> list[str]:
    """TorchServe's launcher finds the store in the config file or --model-store, never in
    TS_MODEL_STORE: the one value goes both ways (as in the image's entrypoint)."""
    torchserve = Path(sys.executable).parent / "torchserve"
    return [str(torchserve), "--start", "--foreground", "--ncs", "--ts-config", str(config or config_file()),
            "--model-store", str(model_store)]


# TorchServe's workers listen on Unix sockets named <TEMP>/.ts.sock.<9000 + n>; Linux takes at
# most 107 bytes for such a path, and a longer one fails every worker start, retried forever.
WORKER_SOCKET = ".ts.sock.90000"
UNIX_SOCKET_PATH_MAX = 107


def check_socket_path(run_dir: Path) -> None:
    socket_path = run_dir / "tmp" / WORKER_SOCKET
    if len(os.fsencode(socket_path)) > UNIX_SOCKET_PATH_MAX:
        raise ValueError(f"run directory {run_dir} is too long for TorchServe's worker sockets "
                         f"({len(os.fsencode(socket_path))} bytes, at most {UNIX_SOCKET_PATH_MAX}): "
                         "choose a shorter one")


def start(run_dir: Path, model_store: Path, ports: Ports, settings: dict | None = None,
          archive: str | list[str] | None = None, config: Path | None = None) -> subprocess.Popen:
    """Start TorchServe in the foreground of a new process group (stoppable as a whole)."""
    run_dir, model_store = run_dir.resolve(), model_store.resolve()
    env = {**os.environ, **run_settings(run_dir, model_store, ports, settings, archive)}
    for sub in ("logs", "tmp"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    log = open(run_dir / "logs" / "console.log", "ab")
    return subprocess.Popen(command(model_store, config), cwd=run_dir, env=env,
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def model_status(management_url: str, timeout: float = 2.0, version: str | None = None) -> dict | None:
    """The management API's view of the model (its default version, or `version`), or None
    when it is not reachable."""
    return torchserve_ready.describe(management_url, MODEL_NAME, version, timeout)


def is_ready(management_url: str, version: str | None = None) -> bool:
    return torchserve_ready.is_ready(management_url, MODEL_NAME, version, timeout=2.0)


def load_failure(log: Path) -> str | None:
    """The handler's error when the model failed to load (TorchServe retries forever)."""
    if not log.is_file():
        return None
    text = log.read_text(errors="replace")
    if "Load model failed" not in text:
        return None
    errors = [line.split("MODEL_LOG - ", 1)[1] for line in text.splitlines()
              if "MODEL_LOG - " in line and "Error" in line]
    return errors[-1] if errors else "Load model failed"


def wait_ready(management_url: str, timeout: float, process: subprocess.Popen | None = None,
               log: Path | None = None, version: str | None = None) -> float:
    """Block until a worker (of the default version, or of `version`) is READY; return the
    seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"TorchServe exited with code {process.returncode} before READY")
        failure = load_failure(log) if log else None
        if failure:
            raise RuntimeError(f"the model failed to load: {failure}")
        if is_ready(management_url, version):
            return time.monotonic() - started
        time.sleep(0.5)
    raise TimeoutError(f"model {MODEL_NAME}{' ' + version if version else ''} not READY after {timeout:.0f} s")


def stop(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """Stop a process started in its own group, and everything it started (TorchServe's
    JVM and Python workers): SIGTERM, then SIGKILL to what is left after `timeout`."""
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or the group never looks empty
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    process.wait(timeout=10)

