#!/usr/bin/env python3
"""Is TorchServe ready? The one readiness check, and the TorchServe image's probe.

Ready means the model has a READY worker: /ping says Healthy long before a worker has
loaded the model. The UI (/readyz and its metrics), the rollout commands and toxmon call
has_ready_worker / is_ready; the TorchServe image carries this file as
/usr/local/bin/torchserve-ready, which its HEALTHCHECK, both compose files and every
Kubernetes probe run. Standard library only, so it runs in either image.

    torchserve-ready [--url MANAGEMENT_URL] [--model NAME [--version VERSION]]

exits 0 when ready, 1 when not (the reason on stderr). Without --model, every model
TorchServe registered must be ready; without --url, the management address is TorchServe's
own: TS_MANAGEMENT_ADDRESS, else config.properties' (TS_CONFIG_FILE), so it is written once.
"""

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request

def ready_workers(description) -> int:
    """description: the management API's description of one model version."""
    workers = description.get("workers", []) if isinstance(description, dict) else []
    return sum(isinstance(w, dict) and w.get("status") == "READY" for w in workers) if isinstance(workers, list) else 0


def has_ready_worker(description) -> bool:
    return ready_workers(description) > 0


def _get(url: str, timeout: float):
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return json.loads(reply.read())


def describe(management_url: str, model: str, version: str | None = None, timeout: float = 4.0) -> dict | None:
    """The management API's description of the model (its default version, or `version`), or
    None when it cannot be read."""
    path = f"/models/{model}" + (f"/{version}" if version else "")
    try:
        description = _get(management_url.rstrip("/") + path, timeout)[0]
    except (urllib.error.URLError, OSError, ValueError, IndexError, KeyError, TypeError):
        return None
    return description if isinstance(description, dict) else None


def is_ready(management_url: str, model: str, version: str | None = None, timeout: float = 4.0) -> bool:
    return has_ready_worker(describe(management_url, model, version, timeout))


def registered_models(management_url: str, timeout: float = 4.0) -> list[str]:
    return [entry["modelName"] for entry in _get(management_url.rstrip("/") + "/models", timeout)["models"]]


def management_url(environ) -> str:
    """TorchServe's management address as TorchServe itself finds it (a TS_* variable wins over
    the file), on loopback when it listens on every address."""
    address = environ.get("TS_MANAGEMENT_ADDRESS")
    if not address:
        if not environ.get("TS_CONFIG_FILE"):
            raise ValueError("give --url, or TS_CONFIG_FILE naming TorchServe's config.properties")
        with open(environ["TS_CONFIG_FILE"], encoding="utf-8") as handle:
            found = [m.group(1) for line in handle
                     if (m := re.fullmatch(r"\s*management_address\s*=\s*(\S+)\s*", line))]
        if not found:
            raise ValueError(f"{environ['TS_CONFIG_FILE']} sets no management_address")
        address = found[-1]
    return address.replace("://0.0.0.0", "://127.0.0.1")


def problem(management_url: str, model: str | None = None, version: str | None = None,
            timeout: float = 4.0) -> str | None:
    """Why TorchServe is not ready, or None when it is."""
    try:
        models = [model] if model else registered_models(management_url, timeout)
    except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError) as error:
        return f"the management API at {management_url} cannot be read: {error}"
    if not models:
        return "no model is registered"
    for name in models:
        if not is_ready(management_url, name, version, timeout):
            return f"model {name}{' version ' + version if version else ''} has no READY worker"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="torchserve-ready", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="TorchServe's management API (default: TorchServe's management_address)")
    parser.add_argument("--model", help="this model only (default: every registered model)")
    parser.add_argument("--version", help="this version of --model (default: its default version)")
    parser.add_argument("--timeout", type=float, default=4.0)
    args = parser.parse_args(argv)
    try:
        url = args.url or management_url(os.environ)
    except (OSError, ValueError) as error:
        print(f"torchserve-ready: {error}", file=sys.stderr)
        return 1
    why = problem(url, args.model, args.version, args.timeout)
    if why:
        print(f"torchserve-ready: {why}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
