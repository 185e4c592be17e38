"""Programs kept running by supervisord (PyPI `supervisor`, a maintained process manager).

`toxmon run` (TorchServe and the UI) and `toxmon monitor` (Prometheus, Alertmanager,
node-exporter) each get one supervisord in their run directory. supervisord starts
the programs, restarts any that exits, stops each with its whole process group, and
writes every log to <run dir>/logs. This module writes its configuration, starts it
and asks it to stop; `supervisorctl -c <run dir>/supervisord.conf status` works too.
"""

import configparser
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_NAME = "supervisord.conf"


class SuperviseError(RuntimeError):
    pass


@dataclass
class Program:
    name: str
    command: list[str]
    directory: Path
    environment: dict = field(default_factory=dict)
    # Up this long counts as started; a crash after that is restarted, every time.
    startsecs: int = 3
    # Seconds between the stop signal and SIGKILL.
    stopwaitsecs: int = 20


def config_path(run_dir: Path) -> Path:
    return run_dir / CONFIG_NAME


def _value(text) -> str:
    return str(text).replace("%", "%%")  # supervisord expands %(name)s in every value


def render(run_dir: Path, programs: list[Program]) -> Path:
    logs = run_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    config = configparser.ConfigParser(interpolation=None)
    config["supervisord"] = {"logfile": _value(logs / "supervisord.log"),
                             "pidfile": _value(run_dir / "supervisord.pid"),
                             "childlogdir": _value(logs), "directory": _value(run_dir)}
    socket = run_dir / "supervisor.sock"
    config["unix_http_server"] = {"file": _value(socket), "chmod": "0700"}
    config["supervisorctl"] = {"serverurl": _value(f"unix://{socket}")}
    config["rpcinterface:supervisor"] = {
        "supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"}
    for program in programs:
        program.directory.mkdir(parents=True, exist_ok=True)
        config[f"program:{program.name}"] = {
            "command": _value(shlex.join(program.command)),
            "directory": _value(program.directory),
            "environment": ",".join(f'{key}="{_value(value)}"' for key, value in program.environment.items()),
            "stdout_logfile": _value(logs / f"{program.name}.log"),
            "stdout_logfile_maxbytes": "50MB",
            "redirect_stderr": "true",
            "autorestart": "true",
            "startsecs": str(program.startsecs),
            "startretries": "5",
            # A program's children (TorchServe's JVM and Python workers) go with it.
            "stopasgroup": "true",
            "killasgroup": "true",
            "stopwaitsecs": str(program.stopwaitsecs),
        }
    path = config_path(run_dir)
    with open(path, "w") as file:
        file.write("; Written by toxmon (toxmon/supervise.py) for this run; not edited by hand.\n")
        config.write(file)
    path.chmod(0o600)  # environments may hold secrets (the UI's key)
    return path


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def supervisorctl(run_dir: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([_bin("supervisorctl"), "-c", str(config_path(run_dir)), *args],
                          capture_output=True, text=True, timeout=timeout)


def is_running(run_dir: Path) -> bool:
    """supervisord answers on this run directory's socket."""
    if not config_path(run_dir).is_file():
        return False
    return supervisorctl(run_dir, "pid", timeout=15).returncode == 0


def pid(run_dir: Path, program: str) -> int:
    """The program's pid (also its process group), or 0 when it is not running."""
    answer = supervisorctl(run_dir, "pid", program).stdout.strip()
    return int(answer) if answer.isdigit() else 0


def status(run_dir: Path) -> str:
    return supervisorctl(run_dir, "status").stdout


def start(run_dir: Path, programs: list[Program]) -> None:
    """Start supervisord with `programs` (a running one in `run_dir` is stopped first)."""
    stop(run_dir)
    render(run_dir, programs)
    started = subprocess.run([_bin("supervisord"), "-c", str(config_path(run_dir))],
                             capture_output=True, text=True, timeout=60)
    if started.returncode != 0:
        raise SuperviseError(f"supervisord did not start: {started.stderr.strip() or started.stdout.strip()}")


def stop(run_dir: Path, timeout: float = 90) -> bool:
    """Stop supervisord and its programs; False if it was not running."""
    if not is_running(run_dir):
        return False
    supervisorctl(run_dir, "shutdown", timeout=timeout)
    pid_file = run_dir / "supervisord.pid"
    deadline = time.monotonic() + timeout
    while pid_file.exists() and time.monotonic() < deadline:  # supervisord removes it on exit
        time.sleep(0.2)
    return True
