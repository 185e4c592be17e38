"""Schemathesis against the UI's own OpenAPI description, with the real TorchServe behind it:
every response must be documented, conform to its schema, and never be a 5xx."""

import subprocess
import sys
from pathlib import Path

import requests

from support.servers import ROOT

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def test_api_conforms_to_its_openapi_description(ui_server):
    result = subprocess.run(
        [str(SCHEMATHESIS), "--no-color", "--config-file", str(ROOT / "tests" / "schemathesis.toml"), "run",
         f"{ui_server.url}/api/v1/openapi.json", "--url", ui_server.url, "--checks", "all",
         "--max-examples", "60", "--seed", "20261122"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "No issues found" in result.stdout
    assert requests.get(f"{ui_server.url}/healthz", timeout=5).status_code == 200  # still answering
