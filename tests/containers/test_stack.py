"""The images as a user builds them and the Compose stack as a user runs it, with a real
container engine: `make images MODEL_SOURCE=demo`, `make up`, `make down`.

Docker has no daemon on the build machines; podman builds and runs the same Dockerfiles
and podman-compose the same docker-compose.yml (the Makefile picks the engine). The
monitoring images no registry serves here are stood in for by Debian's packages under
their names (Dockerfile.standin); Grafana has none, so it is not started here.
"""

import json
import os
import subprocess
import time

import pytest
import requests
import yaml

from support.engine import ENGINE, engine
from support.servers import CANDIDATE_VERSION, ROOT, free_port


# Building the images from nothing takes minutes on two cores (base image, torch, the model).
pytestmark = pytest.mark.timeout(2400)

PROJECT = "toxicity-monitor"
SERVICES = ("torchserve", "ui", "alert-webhook", "prometheus", "alertmanager", "node-exporter")
STANDINS = {"prom/prometheus:v2.53.2": ("prometheus", "prometheus"),
            "prom/alertmanager:v0.27.0": ("prometheus-alertmanager", "prometheus-alertmanager"),
            "prom/node-exporter:v1.8.2": ("prometheus-node-exporter", "prometheus-node-exporter")}


def make(*args, env, timeout=2400):
    result = subprocess.run(["make", "--no-print-directory", *args, f"CONTAINER_ENGINE={ENGINE}"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"make {' '.join(args)}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def build_standins():
    for image, (package, binary) in STANDINS.items():
        if engine("image", "exists", f"docker.io/{image}").returncode == 0:
            continue
        built = engine("build", "--format", "docker", "--pull=never", "-f", "tests/containers/Dockerfile.standin",
                       "--build-arg", f"PACKAGE={package}", "--build-arg", f"BINARY={binary}",
                       "-t", f"docker.io/{image}", str(ROOT / "tests" / "containers"), timeout=600)
        assert built.returncode == 0, built.stderr[-3000:]


def containers(all_states=False):
    """The project's containers: service name -> (id, state, start time)."""
    listed = engine("ps", *(["-a"] if all_states else []), "--format", "json",
                    "--filter", f"label=com.docker.compose.project={PROJECT}")
    found = {}
    for entry in json.loads(listed.stdout or "[]"):
        service = entry.get("Labels", {}).get("com.docker.compose.service")
        found[service] = (entry["Id"], entry["State"], entry.get("StartedAt"))
    return found


def healthy(container) -> bool:
    if ENGINE == "podman":  # no systemd schedules podman's healthchecks here: run it now
        return engine("healthcheck", "run", container).returncode == 0
    state = engine("inspect", "--format", "{{.State.Health.Status}}", container).stdout.strip()
    return state == "healthy"


def wait_for(check, timeout, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(2)
    raise AssertionError(f"{message} not within {timeout} s")


@pytest.fixture(scope="module")
def stack(demo_model_dir, demo_store):
    ports = {"UI_PORT": free_port(), "PROMETHEUS_PORT": free_port(), "GRAFANA_PORT": free_port()}
    env = {**os.environ, **{key: str(value) for key, value in ports.items()},
           # The demo's rollout candidate beside the image's model (docker-compose.candidate.yml).
           "CANDIDATE": "1", "CANDIDATE_ARCHIVE": str(demo_store / "toxic-bert-candidate.mar")}
    env.pop("SECRET_KEY", None)  # no .env: the stack must start anyway
    started = time.monotonic()
    make("images", f"MODEL_SOURCE={demo_model_dir}", env=env)  # the suite's demo, not trained again
    if ENGINE == "podman":
        build_standins()
    built = time.monotonic()
    try:
        make("up", f"UP_SERVICES={' '.join(SERVICES)}", env=env, timeout=600)
        yield {"ui": f"http://127.0.0.1:{ports['UI_PORT']}",
               "prometheus": f"http://127.0.0.1:{ports['PROMETHEUS_PORT']}",
               "build_seconds": built - started, "up_seconds": time.monotonic() - built, "env": env}
    finally:
        subprocess.run(["make", "--no-print-directory", "down", f"CONTAINER_ENGINE={ENGINE}"], cwd=ROOT, env=env,
                       capture_output=True, timeout=300)


def test_the_page_and_a_prediction_answer_on_the_published_port(stack):
    page = requests.get(f"{stack['ui']}/", timeout=30)
    assert page.status_code == 200 and "Toxicity Monitor" in page.text and 'name="csrf_token"' in page.text
    reply = requests.post(f"{stack['ui']}/api/v1/toxicity", json={"text": "You are a stupid worthless idiot."},
                          timeout=60)
    body = reply.json()
    assert reply.status_code == 200 and body["verdict"]["is_toxic"] and body["demo"] is True, body
    print(f"images built in {stack['build_seconds']:.0f} s; make up to a prediction in {stack['up_seconds']:.0f} s")


def test_a_perspective_client_works_against_the_stack_and_its_feedback_stays_in_the_volume(stack):
    """What a Perspective user changes is the host: Google's Python client, built from the stack's
    discovery document, analyzes and suggests; the suggestion is kept in the UI's volume, where
    `toxmon feedback` (in the UI image) reads it."""
    from googleapiclient import discovery
    service = discovery.build("commentanalyzer", "v1alpha1", developerKey="any-key", static_discovery=False,
                              discoveryServiceUrl=f"{stack['ui']}/$discovery/rest?version={{apiVersion}}")
    answer = service.comments().analyze(body={"comment": {"text": "You are a stupid worthless idiot."},
                                              "requestedAttributes": {"TOXICITY": {}, "INSULT": {}}}).execute()
    assert answer["attributeScores"]["TOXICITY"]["summaryScore"]["value"] > 0.5, answer
    assert service.comments().suggestscore(body={
        "comment": {"text": "A moderator says this is fine."}, "clientToken": "stack-1",
        "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}}}).execute() == {"clientToken": "stack-1"}
    result = engine("exec", containers()["ui"][0], "python", "-m", "toxicity_ui.feedback_commands", "stats",
                    timeout=120)
    assert result.returncode == 0 and "suggestions: 1" in result.stdout, result.stdout + result.stderr
    guide = requests.get(f"{stack['ui']}/docs/perspective.md", timeout=30)
    assert guide.status_code == 200 and "comments:analyze" in guide.text


def test_a_file_is_scored_in_bulk_against_the_stack(stack, tmp_path):
    """`make up`'s UI is what `toxmon score --file` points at, as it points at `make run`'s."""
    import csv
    from support.servers import TOXMON
    source = tmp_path / "comments.csv"
    with open(source, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "comment_text"])
        writer.writerows([n, "You are a stupid worthless idiot." if n % 2 else "Thanks for the fix."]
                         for n in range(1, 301))
    output = tmp_path / "scores.csv"
    result = subprocess.run([TOXMON, "score", "--url", stack["ui"], "--file",
                             str(source), "--format", "csv", "--output", str(output)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(open(output, newline="")))
    assert [row["id"] for row in rows] == [str(n) for n in range(1, 301)]
    assert all(row["is_toxic"] == ("1" if int(row["id"]) % 2 else "0") for row in rows)
    assert "scored 300 of 300 texts" in result.stderr


def test_forms_work_across_workers_without_a_configured_secret_key(stack):
    """No SECRET_KEY in the environment: gunicorn makes one key for all its workers, so a form
    token issued by one worker is accepted by the other."""
    import re
    for attempt in range(6):
        with requests.Session() as session:  # a new connection each time: either worker may answer
            page = session.get(f"{stack['ui']}/", timeout=30).text
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            reply = session.post(f"{stack['ui']}/", data={"csrf_token": token, "text": "have a nice day"},
                                 timeout=60)
            assert reply.status_code == 200 and "Allow</span>" in reply.text, \
                (attempt, reply.status_code)


def test_every_healthcheck_becomes_healthy(stack):
    found = containers()
    assert set(SERVICES) <= set(found), found
    for service in SERVICES:
        container = found[service][0]
        wait_for(lambda: healthy(container), 180, f"{service} healthy")


def test_prometheus_in_the_stack_scrapes_torchserve_and_the_ui(stack):
    def targets_up():
        reply = requests.get(f"{stack['prometheus']}/api/v1/query", params={"query": "up"}, timeout=10).json()
        up = {sample["metric"]["job"]: sample["value"][1] for sample in reply["data"]["result"]}
        return up.get("torchserve") == "1" and up.get("ui") == "1" and up
    wait_for(targets_up, 120, "torchserve and ui targets up in Prometheus")


def kubernetes_probes(manifest: str):
    """Each probe of the Deployment in deploy/k8s/base/MANIFEST as a command to run in its container."""
    import yaml
    documents = yaml.safe_load_all((ROOT / "deploy" / "k8s" / "base" / manifest).read_text())
    [deployment] = [d for d in documents if d and d["kind"] == "Deployment"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        if probe := container.get(kind):
            if "exec" in probe:
                yield kind, probe["exec"]["command"]
            else:
                port = ports.get(probe["httpGet"]["port"], probe["httpGet"]["port"])
                url = f"http://127.0.0.1:{port}{probe['httpGet']['path']}"
                yield kind, ["python", "-c", f"import urllib.request; urllib.request.urlopen({url!r}, timeout=5)"]


@pytest.mark.parametrize("service, manifest", [("torchserve", "torchserve.yaml"), ("ui", "ui.yaml")])
def test_the_kubernetes_probes_pass_in_the_real_containers(stack, service, manifest):
    container = containers()[service][0]
    probes = list(kubernetes_probes(manifest))
    assert {kind for kind, _ in probes} >= {"livenessProbe", "readinessProbe"}
    for kind, command in probes:
        result = engine("exec", container, *command, timeout=30)
        assert result.returncode == 0, (service, kind, command, result.stderr[-1000:])


@pytest.mark.parametrize("service", ["torchserve", "ui", "alert-webhook"])
def test_the_projects_containers_run_as_a_user_other_than_root(stack, service):
    container = containers()[service][0]
    uid = engine("exec", container, "python", "-c", "import os; print(os.getuid())", timeout=30)
    assert uid.returncode == 0 and uid.stdout.strip() not in ("", "0"), (service, uid.stdout, uid.stderr)


def test_torchserves_ports_are_not_published(stack):
    """Only the UI (and Prometheus) answer on the host; TorchServe's APIs stay on the stack's network."""
    published = {service: engine("port", found[0]).stdout.strip() for service, found in containers().items()}
    assert published["torchserve"] == "", published
    assert f"127.0.0.1:{stack['ui'].rsplit(':', 1)[1]}" in published["ui"], published


def test_an_alert_reaches_the_webhook_receiver_through_the_stacks_alertmanager(stack):
    """A critical alert given to the stack's Alertmanager (amtool, in its image) is routed by the
    shipped alertmanager.yml to the alert-webhook service, which logs it; and the stack's
    Prometheus has that Alertmanager as its destination."""
    found = containers()
    name = f"StackNotificationTest{int(time.time())}"
    added = engine("exec", found["alertmanager"][0], "amtool", "alert", "add", name, "severity=critical",
                   "job=containers-test", "--annotation=summary=sent by tests/containers",
                   "--alertmanager.url=http://127.0.0.1:9093", timeout=30)
    assert added.returncode == 0, added.stderr
    wait_for(lambda: name in engine("logs", found["alert-webhook"][0]).stdout, 90,
             "the notification in the webhook's log")
    destinations = requests.get(f"{stack['prometheus']}/api/v1/alertmanagers", timeout=10).json()
    assert [a["url"] for a in destinations["data"]["activeAlertmanagers"]] == \
        ["http://alertmanager:9093/api/v2/alerts"], destinations


def test_the_stacks_alerts_link_to_an_absolute_runbook(stack):
    """prometheus.yml's `runbook` label, which every alert's runbook_url starts with, is expanded
    from the RUNBOOK_BASE_URL that `make up` gives the Prometheus container."""
    flags = requests.get(f"{stack['prometheus']}/api/v1/status/flags", timeout=10).json()["data"]
    assert "expand-external-labels" in flags["enable-feature"]
    config = yaml.safe_load(requests.get(f"{stack['prometheus']}/api/v1/status/config", timeout=10).json()["data"]["yaml"])
    assert config["global"]["external_labels"]["runbook"] == (ROOT / "monitoring" / "runbook.md").as_uri()


def test_the_torchserve_image_serves_its_baked_archive_without_any_network(stack):
    """The image alone, with no network at all: its model is in it."""
    image = f"toxicity-monitor/torchserve:{os.environ.get('VERSION', '1.0.0')}"
    started = engine("run", "-d", "--network", "none", image)
    assert started.returncode == 0, started.stderr[-2000:]
    container = started.stdout.strip()
    predict = ("import json, urllib.request as u; r = u.Request('http://127.0.0.1:8080/predictions/toxic-bert', "
               "data=json.dumps({'text': 'You are a stupid idiot.'}).encode(), "
               "headers={'Content-Type': 'application/json'}); print(u.urlopen(r, timeout=30).read().decode())")
    try:
        wait_for(lambda: engine("healthcheck", "run", container).returncode == 0 if ENGINE == "podman"
                 else engine("exec", container, "python", "-c", predict, timeout=60).returncode == 0,
                 240, "the isolated TorchServe container ready")
        answer = engine("exec", container, "python", "-c", predict, timeout=60)
        assert answer.returncode == 0, answer.stderr[-2000:]
        body = json.loads(answer.stdout)
        assert body["scores"]["insult"] > 0.5 and body["model"]["demo"] is True, body
    finally:
        engine("rm", "--force", container, timeout=60)


def test_the_ui_image_has_no_torch(stack):
    image = f"toxicity-monitor/ui:{os.environ.get('VERSION', '1.0.0')}"
    probe = ("import importlib.util as u, toxicity_ui; "
             "print(sorted(m for m in ('torch', 'transformers', 'ts', 'onnxruntime') if u.find_spec(m)))")
    result = engine("run", "--rm", "--network", "none", "--entrypoint", "python", image, "-c", probe, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]", result.stdout


def test_a_rollout_is_driven_inside_the_ui_service(stack):
    """`make rollout-up`: the command runs in the ui container, reaches TorchServe's management
    API on the private network, and writes the routing file into the ui's volume."""
    def rollout(*args):
        return make("rollout-up", f"ROLLOUT={' '.join(args)}", env=stack["env"], timeout=120).stdout

    def answered_by(text="hello there"):
        return requests.post(f"{stack['ui']}/api/v1/toxicity", json={"text": text}, timeout=60).json()["model_version"]

    wait_for(lambda: f"version {CANDIDATE_VERSION}: loaded, unused, 1/1 workers READY" in rollout("status"), 180,
             "the candidate READY")
    rollout("shadow")
    time.sleep(1.5)  # the UI's workers re-read the routing file within a second
    assert answered_by("I hate you") == "1.0"
    wait_for(lambda: "compared texts: 0 " not in rollout("status"), 60, "the shadow comparison counted")
    rollout("canary", "100")
    time.sleep(1.5)
    assert answered_by() == CANDIDATE_VERSION
    assert "was canary" in rollout("abort")
    time.sleep(1.5)
    assert answered_by() == "1.0"


def test_a_crashed_torchserve_container_is_restarted_by_its_policy(stack):
    """Its main process SIGKILLed from outside, as a crash would end it (an engine's own
    `kill` counts as stopped by the user, which no restart policy undoes)."""
    import signal
    container, _, started_at = containers()["torchserve"]
    os.kill(int(engine("inspect", "--format", "{{.State.Pid}}", container).stdout), signal.SIGKILL)
    wait_for(lambda: (now := containers().get("torchserve")) and now[1] == "running" and now[2] != started_at,
             120, "TorchServe restarted")
    reply = wait_for(lambda: requests.post(f"{stack['ui']}/api/v1/toxicity", json={"text": "hello again"},
                                           timeout=30).status_code == 200, 240, "predictions again")
    assert reply


def test_make_down_leaves_nothing_behind(stack):
    make("down", env=stack["env"], timeout=300)
    assert containers(all_states=True) == {}
    networks = engine("network", "ls", "--format", "{{.Name}}").stdout.split()
    volumes = engine("volume", "ls", "--format", "{{.Name}}").stdout.split()
    assert not [n for n in networks if n.startswith(PROJECT)], networks
    assert not [v for v in volumes if v.startswith(PROJECT)], volumes
