"""Dockerfiles and the compose stack, validated without a Docker engine."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.servers import ROOT

BIN = Path(sys.executable).parent
DOCKERFILES = [ROOT / "deploy" / "torchserve" / "Dockerfile", ROOT / "ui" / "Dockerfile"]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_hadolint_finds_no_unjustified_warning(dockerfile):
    result = subprocess.run([str(BIN / "hadolint"), "--failure-threshold", "warning", str(dockerfile)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_final_stage_is_non_root_with_healthcheck_and_pinned_base(dockerfile):
    text = dockerfile.read_text()
    final_stage = text.split("\nFROM ")[-1]
    users = re.findall(r"^USER (\S+)", final_stage, re.M)
    assert users and users[-1] not in ("root", "0"), "the final stage must run as a non-root user"
    assert re.search(r"^HEALTHCHECK .*\n\s+CMD \[", final_stage, re.M), "HEALTHCHECK in exec form"
    stages = set(re.findall(r"^FROM \S+ AS (\S+)", text, re.M))
    bases = re.findall(r"^FROM (\S+)", text, re.M) + re.findall(r"^ARG \w+_IMAGE=(\S+)", text, re.M)
    for base in bases:
        if base.startswith("${") or base in stages:
            continue
        assert re.search(r":\d[\w.\-]*$", base), f"{base} is not pinned to a version tag"


def test_the_torchserve_image_builds_its_archive_with_the_command_make_uses():
    """The images themselves are run in tests/containers/test_stack.py."""
    text = (ROOT / "deploy" / "torchserve" / "Dockerfile").read_text()
    assert "ARG MODEL_SOURCE" in text
    assert "toxmon archive --source" in text and "$(TOXMON) archive --source" in (ROOT / "Makefile").read_text()
    assert "/home/model-server/model-store/toxic-bert.mar" in text
    assert 'ENTRYPOINT ["/usr/local/bin/torchserve-entrypoint.sh"]' in text


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.candidate.yml"])
def test_compose_files_match_the_compose_specification(name):
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                             str(ROOT / name)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_candidate_override_mounts_one_archive_where_the_entrypoint_looks():
    override = yaml.safe_load((ROOT / "docker-compose.candidate.yml").read_text())
    assert set(override["services"]) == {"torchserve"}
    [mount] = override["services"]["torchserve"]["volumes"]
    source, target, mode = mount.rsplit(":", 2)
    assert target == "/home/model-server/model-store/toxic-bert-candidate.mar" and mode == "ro"
    assert source == "${CANDIDATE_ARCHIVE:-./model-store/toxic-bert-candidate.mar}"
    assert '"$store/$model-candidate.mar"' in (ROOT / "deploy" / "torchserve" / "torchserve-entrypoint.sh").read_text()
    ui = COMPOSE["services"]["ui"]
    assert ui["environment"]["ROUTING_FILE"].startswith("/var/lib/toxicity-monitor/")
    assert "rollout-data:/var/lib/toxicity-monitor" in ui["volumes"]


def test_every_service_has_healthcheck_restart_and_limits():
    for name, service in COMPOSE["services"].items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") == "unless-stopped", name
        assert service["deploy"]["resources"]["limits"]["memory"], name
        for dependency in service.get("depends_on", {}).values():
            assert dependency["condition"] == "service_healthy", name


def test_only_ui_grafana_and_prometheus_are_published_on_loopback_by_default():
    published = {name: service["ports"] for name, service in COMPOSE["services"].items() if "ports" in service}
    assert set(published) == {"ui", "grafana", "prometheus"}
    for ports in published.values():
        assert all(port.startswith("${BIND_ADDRESS:-127.0.0.1}:") for port in ports), ports
    assert "ports" not in COMPOSE["services"]["torchserve"], "TorchServe's APIs stay inside the network"


def test_compose_mounts_the_projects_configs_and_keeps_secrets_out():
    torchserve = COMPOSE["services"]["torchserve"]
    assert "./config/config.properties:/home/model-server/config/config.properties:ro" in torchserve["volumes"]
    grafana = COMPOSE["services"]["grafana"]
    # No secret in the file: from .env, else generated per run (the UI's key, by gunicorn) or
    # Grafana's default, which it makes the admin change at the first login.
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == "${GRAFANA_ADMIN_PASSWORD:-admin}"
    assert COMPOSE["services"]["ui"]["environment"]["SECRET_KEY"] == "${SECRET_KEY:-}"
    assert "./monitoring/grafana/dashboards:/var/lib/grafana/dashboards:ro" in grafana["volumes"]
    assert set(COMPOSE["volumes"]) >= {"prometheus-data", "grafana-data"}
    images = {service.get("image", "") for service in COMPOSE["services"].values()}
    assert "${IMAGE_REPO:-toxicity-monitor}/ui:${VERSION:-1.0.0}" in images


def test_alertmanager_default_receiver_exists_in_the_stack():
    alertmanager = yaml.safe_load((ROOT / "monitoring" / "alertmanager" / "alertmanager.yml").read_text())
    url = alertmanager["receivers"][0]["webhook_configs"][0]["url"]
    assert url.startswith("http://alert-webhook:9095/")
    assert "alert-webhook" in COMPOSE["services"]
