"""Security decisions that live in configuration, and no secrets in the repository."""

import re
import subprocess

from support.servers import ROOT

CONFIG = (ROOT / "config" / "config.properties").read_text()


def settings(text):
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def local_run(tmp_path):
    """What a local TorchServe gets: the one config file, overridden by these TS_* variables."""
    from toxmon import torchserve_process
    return torchserve_process.local_settings(tmp_path / "store", torchserve_process.Ports())


def test_local_settings_name_loopback_addresses_and_the_config_applies_them(tmp_path):
    """The settings only; the sockets the running server holds: tests/integration/test_torchserve.py."""
    local = local_run(tmp_path)
    for key in ("TS_INFERENCE_ADDRESS", "TS_MANAGEMENT_ADDRESS", "TS_METRICS_ADDRESS"):
        assert local[key].startswith("http://127.0.0.1:"), key
    # gRPC (always on in 0.12) is on loopback in the file itself, so nothing moves it.
    assert "TS_GRPC_INFERENCE_ADDRESS" not in local and "TS_GRPC_MANAGEMENT_ADDRESS" not in local
    assert settings(CONFIG)["grpc_inference_address"] == settings(CONFIG)["grpc_management_address"] == "127.0.0.1"
    # TorchServe applies TS_* variables only when the file allows it; allowed_urls needs its own switch.
    assert settings(CONFIG)["enable_envvars_config"] == settings(CONFIG)["use_env_allowed_urls"] == "true"


def test_token_auth_off_registration_off_and_urls_limited():
    values = settings(CONFIG)
    assert values["disable_token_authorization"] == "true"  # ports private instead (docs/decisions.md)
    assert values["enable_model_api"] == "false"
    assert values["allowed_urls"] == "file:///home/model-server/model-store/.*"
    assert int(values["job_queue_size"]) > 0  # bounded queue: 503 beyond it


def test_a_local_run_allows_urls_of_its_own_store_only(tmp_path):
    assert local_run(tmp_path)["TS_ALLOWED_URLS"] == f"file://{tmp_path / 'store'}/.*"


SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),                                   # AWS access key id
    re.compile(r"ghp_[0-9A-Za-z]{36}"),                                # GitHub token
    re.compile(r"xox[baprs]-[0-9A-Za-z-]{10,}"),                       # Slack token
    re.compile(r"(?i)(password|secret_key|api_key)\s*[:=]\s*['\"]?[A-Za-z0-9/+]{16,}"),
]


def test_no_secrets_in_tracked_files():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert files, "not a git checkout"
    findings = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.suffix in (".png",) or path.stat().st_size > 1_000_000:
            continue
        text = path.read_text(errors="ignore")
        findings += [f"{name}: {pattern.pattern}" for pattern in SECRET_PATTERNS if pattern.search(text)]
    assert findings == []
    assert ".env" in (ROOT / ".gitignore").read_text().split()
