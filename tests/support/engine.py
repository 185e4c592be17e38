"""The container engine the tests drive: Docker where its daemon runs, else podman."""

import shutil
import subprocess

ENGINE = "podman" if shutil.which("podman") and not shutil.which("dockerd") else "docker"


def engine(*args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([ENGINE, *args], capture_output=True, text=True, timeout=timeout)
