"""The rollout in a cluster: the candidate TorchServe and the UI's routing (overlays/rollout),
Istio's VirtualService checked against Istio's own CRD schema, and KServe's canary."""

import json
import os
import subprocess

import pytest
import yaml

from support.servers import ROOT
from support.typescript_schema import key_tree, unknown_keys
from test_kubernetes import by_kind, kustomize, render
from toxicity_ui.routing import Routing

ISTIO = ROOT / "deploy" / "k8s" / "rollout" / "istio" / "virtual-service.yaml"
NPM = ROOT / "build" / "npm"
ISTIO_MODELS = NPM / "node_modules" / "@kubernetes-models" / "istio"


def env_of(container) -> dict:
    return {item["name"]: item.get("value") for item in container["env"]}


def test_the_candidate_runs_beside_the_primary_and_the_ui_routes_to_it():
    documents = render("rollout")
    deployments = by_kind(documents, "Deployment")
    primary, candidate = deployments["torchserve"], deployments["torchserve-candidate"]
    [primary_container] = primary["spec"]["template"]["spec"]["containers"]
    [candidate_container] = candidate["spec"]["template"]["spec"]["containers"]
    assert candidate_container["image"] != primary_container["image"]
    # The same configuration and probes as the primary: only the model differs.
    for key in ("ports", "volumeMounts", "startupProbe", "livenessProbe", "readinessProbe"):
        assert candidate_container[key] == primary_container[key], key
    assert candidate["spec"]["selector"] != primary["spec"]["selector"], "the primary's Service would pick it up"
    services = by_kind(documents, "Service")
    assert {p["port"] for p in services["torchserve-candidate"]["spec"]["ports"]} == {8080, 8081, 8082}

    [ui] = deployments["ui"]["spec"]["template"]["spec"]["containers"]
    env = env_of(ui)
    assert env["CANDIDATE_INFERENCE_URL"] == "http://torchserve-candidate:8080"
    mount = next(m for m in ui["volumeMounts"] if m["name"] == "rollout-routing")
    assert os.path.dirname(env["ROUTING_FILE"]) == mount["mountPath"]
    routing = by_kind(documents, "ConfigMap")["rollout-routing"]
    assert os.path.basename(env["ROUTING_FILE"]) in routing["data"]
    # What the cluster starts with is a routing the UI accepts: the primary answers everything.
    assert Routing.from_dict(json.loads(routing["data"]["routing.json"])).mode == "primary"
    volumes = {v["name"]: v for v in deployments["ui"]["spec"]["template"]["spec"]["volumes"]}
    assert volumes["rollout-routing"]["configMap"]["name"] == "rollout-routing"


def test_only_the_ui_and_prometheus_reach_the_candidate():
    policy = by_kind(render("rollout"), "NetworkPolicy")["torchserve-candidate-ingress"]
    sources = {port["port"]: rule["from"] for rule in policy["spec"]["ingress"] for port in rule["ports"]}
    assert sources[8081] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "ui"}}}]
    assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "torchserve-candidate"}


@pytest.fixture(scope="module")
def istio_models():
    assert ISTIO_MODELS.is_dir(), "make test installs @kubernetes-models/istio into build/npm"
    return ISTIO_MODELS


def validate_with_istio_schema(document: dict) -> subprocess.CompletedProcess:
    script = ("import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1';"
              "let input = ''; process.stdin.on('data', d => input += d); process.stdin.on('end', () => {"
              " try { new VirtualService(JSON.parse(input)).validate(); }"
              " catch (error) { console.error(error.message); process.exit(1); } });")
    return subprocess.run(["node", "--input-type=module", "-e", script], cwd=NPM, input=json.dumps(document),
                          capture_output=True, text=True, timeout=60)


def test_the_virtual_service_satisfies_istios_schema_strictly(istio_models):
    document = yaml.safe_load(ISTIO.read_text())
    checked = validate_with_istio_schema(document)
    assert checked.returncode == 0, checked.stderr
    tree = key_tree((istio_models / "networking.istio.io" / "v1" / "VirtualService.d.ts").read_text())
    assert unknown_keys(document["spec"], tree["spec"]) == []


def test_the_schema_checks_would_catch_a_mistake(istio_models):
    document = yaml.safe_load(ISTIO.read_text())
    document["spec"]["http"][0]["route"][0]["weight"] = "100"
    assert validate_with_istio_schema(document).returncode == 1
    tree = key_tree((istio_models / "networking.istio.io" / "v1" / "VirtualService.d.ts").read_text())
    misspelt = yaml.safe_load(ISTIO.read_text())
    misspelt["spec"]["http"][0]["mirrorPercentge"] = misspelt["spec"]["http"][0].pop("mirrorPercentage")
    assert unknown_keys(misspelt["spec"], tree["spec"]) == [".http[0].mirrorPercentge"]


def test_the_virtual_service_shadows_the_primary_to_the_candidate():
    document = yaml.safe_load(ISTIO.read_text())
    services = by_kind(render("rollout"), "Service")
    [inference, other] = document["spec"]["http"]
    assert document["spec"]["hosts"] == ["torchserve"] and inference["match"] == [{"port": 8080}]
    weights = {route["destination"]["host"]: route["weight"] for route in inference["route"]}
    assert weights == {"torchserve": 100, "torchserve-candidate": 0}
    assert inference["mirror"]["host"] == "torchserve-candidate" and inference["mirrorPercentage"]["value"] == 100
    for destination in [r["destination"] for r in inference["route"] + other["route"]] + [inference["mirror"]]:
        assert destination["host"] in services
        if "port" in destination:
            assert destination["port"]["number"] in {p["port"] for p in services[destination["host"]]["spec"]["ports"]}
    # The mesh must not cut an answer the UI still waits for (READ_TIMEOUT_SECONDS, 60 s).
    assert float(inference["timeout"].rstrip("s")) > 60


def test_kserves_canary_sends_10_percent_to_the_candidate_image_with_the_same_probes():
    [primary] = kustomize("deploy/k8s/kserve")
    [canary] = kustomize("deploy/k8s/kserve-canary")
    assert canary["spec"]["predictor"]["canaryTrafficPercent"] == 10
    assert "canaryTrafficPercent" not in primary["spec"]["predictor"]
    [before], [after] = primary["spec"]["predictor"]["containers"], canary["spec"]["predictor"]["containers"]
    assert after["image"] != before["image"]
    assert {k: v for k, v in after.items() if k != "image"} == {k: v for k, v in before.items() if k != "image"}
