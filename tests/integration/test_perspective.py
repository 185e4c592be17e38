"""Perspective's API through the real stack (the shared TorchServe and the UI under gunicorn),
called by Perspective's real clients: google-api-python-client and Node's googleapis through
the discovery document, curl and requests as the documentation's samples call it."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import requests
from googleapiclient import discovery
from googleapiclient.errors import HttpError

from support.servers import ROOT

CLIENTS = Path(__file__).parent / "perspective_clients"
NODE_MODULES = ROOT / "build" / "npm" / "node_modules"
NODE_MODULES_23 = ROOT / "build" / "npm-googleapis-23" / "node_modules"
# Any key: the shared UI has no keys file, so every call is accepted (as `make run` does).
KEY = "a-key-as-applications-send-it"
ALL = {name: {} for name in ("TOXICITY", "SEVERE_TOXICITY", "IDENTITY_ATTACK", "INSULT", "PROFANITY", "THREAT")}
TEXTS = ["what kind of idiot name is foo?", "Thanks for the lovely photo", "I will find you and hurt you",
         "Muslims are welcome here. Go back to your country, you filthy pig!"]


def perspective_client(ui_server):
    """The client exactly as Perspective's Python documentation builds it, but for the host."""
    return discovery.build("commentanalyzer", "v1alpha1", developerKey=KEY,
                           discoveryServiceUrl=f"{ui_server.url}/$discovery/rest?version={{apiVersion}}",
                           static_discovery=False)


@pytest.fixture(scope="module")
def service(ui_server):
    return perspective_client(ui_server)


def native_scores(ui_server, text):
    reply = requests.post(f"{ui_server.url}/api/v1/toxicity", json={"text": text}, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()["scores"]


def test_the_python_client_analyzes_with_the_native_apis_scores(ui_server, service):
    from toxicity_ui.perspective_request import ATTRIBUTES
    for text in TEXTS:
        answer = service.comments().analyze(body={"comment": {"text": text}, "requestedAttributes": ALL}).execute()
        assert answer["languages"] == ["en"] and set(answer["attributeScores"]) == set(ALL)
        native = native_scores(ui_server, text)
        for attribute, label in ATTRIBUTES.items():
            summary = answer["attributeScores"][attribute]["summaryScore"]
            assert summary["type"] == "PROBABILITY"
            assert summary["value"] == pytest.approx(native[label], abs=1e-5), (text, attribute)


def test_span_scores_are_the_native_many_texts_scores_of_the_sentences(ui_server, service):
    text = TEXTS[3]
    answer = service.comments().analyze(body={"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}},
                                              "spanAnnotations": True}).execute()
    toxicity = answer["attributeScores"]["TOXICITY"]
    spans = toxicity["spanScores"]
    assert [text[span["begin"]:span["end"]] for span in spans] == \
        ["Muslims are welcome here.", "Go back to your country, you filthy pig!"]
    sentences = [text[span["begin"]:span["end"]] for span in spans]
    native = requests.post(f"{ui_server.url}/api/v1/toxicity", json={"texts": sentences}, timeout=60).json()
    for span, result in zip(spans, native["results"]):
        assert span["score"]["value"] == pytest.approx(result["scores"]["toxic"], abs=1e-5)
    assert toxicity["summaryScore"]["value"] == pytest.approx(native_scores(ui_server, text)["toxic"], abs=1e-5)
    assert spans[1]["score"]["value"] > spans[0]["score"]["value"]


def test_the_python_client_suggests_a_score_and_the_operator_exports_it(ui_server, service, tmp_path):
    answer = service.comments().suggestscore(body={
        "comment": {"text": "I guess it comes down to a simple choice."}, "communityId": "/forum/movies",
        "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}}, "clientToken": "comment-53922"}).execute()
    assert answer == {"clientToken": "comment-53922"}
    output = tmp_path / "feedback.csv"
    toxmon = Path(os.sys.executable).parent / "toxmon"
    subprocess.run([str(toxmon), "feedback", "export", "--feedback-file", str(ui_server.run_dir / "feedback.sqlite"),
                    "--community", "/forum/movies", "--output", str(output)], check=True, timeout=60)
    assert "I guess it comes down to a simple choice.,0,/forum/movies" in output.read_text()


@pytest.mark.parametrize("body, error_type", [
    ({"comment": {"text": ""}, "requestedAttributes": {"TOXICITY": {}}}, "COMMENT_EMPTY"),
    ({"comment": {"text": "hello " * 1000}, "requestedAttributes": {"TOXICITY": {}}}, "COMMENT_TOO_LONG"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {}}, "NO_REQUESTED_ATTRIBUTES"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {"SPAM": {}}}, "INVALID_REQUEST"),
    ({"comment": {"text": "Vete a la mierda, nadie te preguntó."}, "requestedAttributes": {"TOXICITY": {}}},
     "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"),
    ({"comment": {"text": "12345"}, "requestedAttributes": {"TOXICITY": {}}}, "LANGUAGE_DETECTION_FAILED"),
])
def test_refusals_reach_the_python_client_as_perspective_reports_them(service, body, error_type):
    with pytest.raises(HttpError) as refused:
        service.comments().analyze(body=body).execute()
    assert refused.value.resp.status == 400
    # What published clients read: the status, and errorType in the details.
    assert refused.value.error_details[0]["errorType"] == error_type
    assert error_type in str(refused.value)


def test_the_documented_curl_call_with_its_relaxed_json(ui_server):
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "-H", "Content-Type: application/json", "--data",
         '{comment: {text: "what kind of idiot name is foo?"},\n          languages: ["en"],\n'
         '          requestedAttributes: {TOXICITY:{}} }',
         f"{ui_server.url}/v1alpha1/comments:analyze?key={KEY}"],
        capture_output=True, text=True, timeout=60, check=True)
    answer = json.loads(result.stdout)
    assert answer["languages"] == ["en"] and answer["attributeScores"]["TOXICITY"]["summaryScore"]["value"] > 0.5


def test_the_documented_python_call_without_a_content_type(ui_server):
    data = {"comment": {"text": "what kind of idiot name is foo?"}, "languages": ["en"],
            "requestedAttributes": {"TOXICITY": {}}}
    response = requests.post(url=f"{ui_server.url}/v1alpha1/comments:analyze?key={KEY}", data=json.dumps(data),
                             timeout=60)
    assert "Content-Type" not in response.request.headers
    assert json.loads(response.content)["attributeScores"]["TOXICITY"]["summaryScore"]["type"] == "PROBABILITY"


def node(script: str, modules: Path, *args: str) -> dict:
    assert modules.is_dir(), "make test installs googleapis into build/npm and build/npm-googleapis-23"
    result = subprocess.run(["node", str(CLIENTS / script), *args], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "NODE_PATH": str(modules)})
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_nodes_googleapis_discovers_analyzes_and_suggests(ui_server):
    answer = node("discover_modern.js", NODE_MODULES, f"{ui_server.url}/$discovery/rest?version=v1alpha1", KEY)
    analyzed = answer["analyzed"]
    assert analyzed["clientToken"] == "node-1" and set(analyzed["attributeScores"]) == {"TOXICITY", "INSULT"}
    assert len(analyzed["attributeScores"]["TOXICITY"]["spanScores"]) == 2
    assert answer["suggested"] == {"clientToken": "node-2"}
    assert answer["refusal"]["status"] == 400
    assert answer["refusal"]["body"]["error"]["details"][0]["errorType"] == "INVALID_REQUEST"


def test_the_documented_node_sample_style_with_googleapis_23(ui_server):
    answer = node("discover_callbacks.js", NODE_MODULES_23, f"{ui_server.url}/$discovery/rest?version=v1alpha1", KEY)
    assert answer["attributeScores"]["TOXICITY"]["summaryScore"]["type"] == "PROBABILITY"
    assert answer["languages"] == ["en"]


def test_the_discovery_document_points_at_the_address_asked_and_not_at_a_forged_one(ui_server):
    url = ui_server.url.replace("127.0.0.1", "localhost")
    document = requests.get(f"{url}/$discovery/rest?version=v1alpha1", timeout=10,
                            headers={"X-Forwarded-Host": "attacker.example", "X-Forwarded-Proto": "https"}).json()
    assert document["rootUrl"] == f"{url}/"


def test_the_calls_are_counted_by_method_key_and_attribute(ui_server, service):
    service.comments().analyze(body={"comment": {"text": "hello there"}, "requestedAttributes": {"THREAT": {}}}).execute()
    exposition = requests.get(f"{ui_server.url}/metrics", timeout=10).text
    assert 'toxicity_ui_api_calls_total{api="perspective",key="anonymous",method="analyze",status="200"}' in exposition
    assert 'toxicity_ui_perspective_attributes_total{attribute="THREAT"}' in exposition
    assert KEY not in (ui_server.run_dir / "ui.log").read_text()  # sent as ?key=: the log drops the query


def test_the_client_keeps_its_connection_through_a_pause(ui_server):
    """Google's client reuses its one connection after any pause and does not retry a request it
    could not send (BrokenPipeError), so the UI keeps an idle connection open past a pause of an
    application calling now and then: the second call goes on the first call's connection."""
    client = perspective_client(ui_server)
    body = {"comment": {"text": "hello again"}, "requestedAttributes": {"TOXICITY": {}}}
    client.comments().analyze(body=body).execute()
    (connection,) = client._http.connections.values()
    first_port = connection.sock.getsockname()[1]
    time.sleep(6)  # longer than the 5 s after which gunicorn closed idle connections before
    client.comments().analyze(body=body).execute()
    assert connection.sock is not None and connection.sock.getsockname()[1] == first_port
