"""Security decisions that live in configuration, and no secrets in the repository."""

import re
import subprocess

from support.servers import ROOT

LOCAL = (ROOT / "config" / "config.local.properties").read_text()
CONTAINER = (ROOT / "config" / "config.properties").read_text()


def settings(text):
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def test_local_torchserve_binds_loopback_only():
    local = settings(LOCAL)
    for key in ("inference_address", "management_address", "metrics_address"):
        assert local[key].startswith("http://127.0.0.1:"), key
    assert local["grpc_inference_address"] == local["grpc_management_address"] == "127.0.0.1"


def test_token_auth_off_registration_off_and_urls_limited_in_both_configs():
    for text in (LOCAL, CONTAINER):
        values = settings(text)
        assert values["disable_token_authorization"] == "true"  # ports private instead (README)
        assert values["enable_model_api"] == "false"
        assert re.fullmatch(r"file://(MODEL_STORE|/home/model-server/model-store)/\.\*", values["allowed_urls"])
        assert int(values["job_queue_size"]) > 0  # bounded queue: 503 beyond it


def test_rendered_local_config_keeps_allowed_urls_to_the_store(tmp_path):
    import torchserve_ctl
    config = torchserve_ctl.render_config(tmp_path, tmp_path / "store", torchserve_ctl.Ports())
    assert f"allowed_urls=file://{tmp_path / 'store'}/.*" in config.read_text()


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
