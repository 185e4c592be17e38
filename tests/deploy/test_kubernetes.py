"""Kubernetes manifests: every overlay renders and validates strictly; probes point at real things."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.servers import ROOT

BIN = Path(sys.executable).parent
OVERLAYS = sorted(p.name for p in (ROOT / "deploy" / "k8s" / "overlays").iterdir())


def kustomize(path: str) -> list[dict]:
    """The documents of a kustomization under the repository root."""
    # Default load restrictions, as a user or ArgoCD renders it: no flag.
    result = subprocess.run([str(BIN / "kubectl"), "kustomize", str(ROOT / path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render(overlay: str) -> list[dict]:
    return kustomize(f"deploy/k8s/overlays/{overlay}")


def by_kind(documents, kind):
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


def test_there_are_local_production_and_rollout_overlays():
    assert OVERLAYS == ["local", "production", "rollout"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_validates_against_kubernetes_schemas_in_strict_mode(overlay, tmp_path):
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(yaml.safe_dump_all(render(overlay)))
    result = subprocess.run([str(BIN / "kubernetes-validate"), "--strict", "--quiet", str(rendered)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_point_at_ports_and_paths_that_exist(overlay):
    from toxicity_ui import create_app
    from toxicity_ui.config import Settings
    ui_routes = {rule.rule for rule in create_app(Settings(secret_key="x")).url_map.iter_rules()}
    for name, deployment in by_kind(render(overlay), "Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
                probe = container.get(probe_name)
                if not probe:
                    continue
                if "httpGet" in probe:
                    assert probe["httpGet"]["port"] in ports, f"{name} {probe_name}: unknown port"
                    if name == "ui":
                        assert probe["httpGet"]["path"] in ui_routes, f"{name} {probe_name}: no such route"
                    else:
                        assert probe["httpGet"]["path"] == "/ping"
                else:
                    assert probe["exec"]["command"] == ["torchserve-ready"], "the image's one readiness probe"
            assert container["resources"]["requests"] and container["resources"]["limits"], name
    ui = by_kind(render(overlay), "Deployment")["ui"]["spec"]["template"]["spec"]["containers"][0]
    assert ui["readinessProbe"]["httpGet"]["path"] == "/readyz" and ui["livenessProbe"]["httpGet"]["path"] == "/healthz"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_hpa_pdb_configmap_and_policies_are_there(overlay):
    documents = render(overlay)
    assert "torchserve" in by_kind(documents, "HorizontalPodAutoscaler")
    assert {"torchserve", "ui"} <= set(by_kind(documents, "PodDisruptionBudget"))
    configmaps = by_kind(documents, "ConfigMap")
    [config] = [c for name, c in configmaps.items() if name.startswith("torchserve-config")]
    assert config["data"]["config.properties"] == (ROOT / "config" / "config.properties").read_text()
    policy = by_kind(documents, "NetworkPolicy")["torchserve-ingress"]
    management_sources = [rule["from"] for rule in policy["spec"]["ingress"]
                          if any(p["port"] == 8081 for p in rule["ports"])]
    assert management_sources == [[{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "ui"}}}]]
    pod = by_kind(documents, "Deployment")["torchserve"]["spec"]["template"]["metadata"]["annotations"]
    assert pod["prometheus.io/scrape"] == "true" and pod["prometheus.io/port"] == "8082"


def test_production_uses_registry_images_and_an_external_secret():
    documents = render("production")
    images = [c["image"] for d in by_kind(documents, "Deployment").values()
              for c in d["spec"]["template"]["spec"]["containers"]]
    assert all(image.startswith("registry.example.com/") for image in images)
    assert by_kind(documents, "Secret") == {}, "production secrets are created out of band"


def test_kserve_serves_the_same_image_with_the_same_probes():
    service = yaml.safe_load((ROOT / "deploy" / "k8s" / "kserve" / "inferenceservice.yaml").read_text())
    assert service["apiVersion"] == "serving.kserve.io/v1beta1" and service["kind"] == "InferenceService"
    [container] = service["spec"]["predictor"]["containers"]
    assert container["image"].split(":")[0] == "toxicity-monitor/torchserve"
    documents = list(yaml.safe_load_all((ROOT / "deploy" / "k8s" / "base" / "torchserve.yaml").read_text()))
    [deployed] = by_kind(documents, "Deployment")["torchserve"]["spec"]["template"]["spec"]["containers"]
    ports = {port["name"]: port["containerPort"] for port in deployed["ports"]}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        expected = yaml.safe_load(yaml.safe_dump(deployed[probe]))
        if "httpGet" in expected:
            expected["httpGet"]["port"] = ports[expected["httpGet"]["port"]]
        assert container[probe] == expected, probe