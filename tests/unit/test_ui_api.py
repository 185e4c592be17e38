"""The JSON API's contract, including every error path."""

import json

import pytest

LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")


def test_scores_a_text(ui):
    reply = ui.post("/api/v1/toxicity", json={"text": "you idiot"})
    assert reply.status_code == 200
    body = reply.get_json()
    assert list(body["scores"]) == ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
    assert body["verdict"] == {"decision": "block", "is_toxic": True, "labels": ["toxic", "insult"],
                               "top_label": "toxic", "top_score": 0.95}
    assert body["policy"]["insult"] == {"review": 0.5, "block": 0.85}
    assert body["windows"] == 1 and set(body["drivers"]) == {"toxic", "insult"}
    assert "explanation" not in body
    assert (body["model"], body["model_version"], body["model_date"]) == ("fake-model", "9.9", "2026-01-02T03:04:05Z")
    assert body["demo"] is True and body["version"] == "1.0.0"
    assert body["timing_ms"]["total"] >= body["timing_ms"]["model_server"] > 0


def test_benign_text_is_not_toxic(ui):
    body = ui.post("/api/v1/toxicity", json={"text": "have a nice day"}).get_json()
    assert body["verdict"]["is_toxic"] is False and body["verdict"]["labels"] == []


def test_a_score_between_review_and_block_goes_to_review(ui):
    body = ui.post("/api/v1/toxicity", json={"text": "that is dumb"}).get_json()
    assert body["verdict"]["decision"] == "review" and body["verdict"]["labels"] == ["toxic", "insult"]
    assert body["verdict"]["is_toxic"] is True


def test_an_operators_policy_file_decides(ui_settings, tmp_path):
    from toxicity_ui import create_app
    policy = tmp_path / "policy.yaml"
    lenient = {"review": 0.97, "block": 0.99}
    policy.write_text("labels:\n" + "".join(f"  {label}: {json.dumps(lenient)}\n" for label in LABELS))
    app = create_app(ui_settings.replace(policy_file=str(policy)))
    body = app.test_client().post("/api/v1/toxicity", json={"text": "you idiot"}).get_json()
    assert body["verdict"] == {"decision": "allow", "is_toxic": False, "labels": [], "top_label": "toxic",
                               "top_score": 0.95}
    assert body["policy"]["threat"] == lenient


@pytest.mark.parametrize("content, message", [
    ("labels: {toxic: {review: 0.5, block: 0.8}}", "review and block for each of"),
    ("labels:\n" + "".join(f"  {label}: {{review: 0.9, block: 0.5}}\n" for label in LABELS), "0 < review <= block"),
    ("labels:\n" + "".join(f"  {label}: {{review: yes, block: 0.5}}\n" for label in LABELS), "needs numbers"),
    ("labels: [", "cannot read the policy"),
])
def test_a_bad_policy_file_stops_the_ui_with_a_clear_error(ui_settings, tmp_path, content, message):
    from toxicity_ui import create_app
    from toxicity_ui.policy import PolicyError
    policy = tmp_path / "policy.yaml"
    policy.write_text(content)
    with pytest.raises(PolicyError, match=message):
        create_app(ui_settings.replace(policy_file=str(policy)))


def test_explain_returns_the_words_and_asks_for_the_policys_review_labels(ui, fake_torchserve):
    body = ui.post("/api/v1/toxicity", json={"text": "you idiot", "explain": True}).get_json()
    assert body["explanation"]["insult"] == [{"start": 4, "end": 9, "text": "idiot", "weight": 2.5}]
    sent = json.loads(fake_torchserve.requests[-1][2])
    assert sent["explain"] is True and sent["explain_at"]["threat"] == 0.3 and sent["explain_at"]["insult"] == 0.5


def test_many_texts_are_scored_in_one_call_each_with_its_own_result(ui, fake_torchserve):
    texts = ["you idiot", "", "have a nice day", "x" * 5001, "\ud800", "that is dumb"]
    body = ui.post("/api/v1/toxicity", json={"texts": texts}).get_json()
    results = body["results"]
    assert [r["verdict"]["decision"] if "verdict" in r else r["error"]["code"] for r in results] == \
        ["block", "empty_text", "allow", "text_too_long", "invalid_text", "review"]
    assert fake_torchserve.predictions == 1
    assert json.loads(fake_torchserve.requests[-1][2]) == {"texts": ["you idiot", "have a nice day", "that is dumb"]}
    assert body["model"] == "fake-model" and body["policy"]["toxic"]["block"] == 0.85


def test_many_texts_of_which_none_is_valid_never_reach_the_model(ui, fake_torchserve):
    body = ui.post("/api/v1/toxicity", json={"texts": ["", " "]}).get_json()
    assert [r["error"]["code"] for r in body["results"]] == ["empty_text", "empty_text"]
    assert body["version"] == "1.0.0" and "model" not in body
    assert fake_torchserve.predictions == 0


def test_a_text_the_model_server_refuses_gets_its_own_error(ui, fake_torchserve):
    fake_torchserve.mode = "json:" + json.dumps({"results": [
        {"error": {"code": 413, "message": "text needs 40 windows"}},
        {"error": {"code": 422, "message": "the tokenizer cannot read this text"}},
        {"error": {"code": 500, "message": "the model failed on this text (RuntimeError)"}}],
        "model": {"name": "fake-model"}})
    body = ui.post("/api/v1/toxicity", json={"texts": ["a", "b", "c"]}).get_json()
    assert [r["error"]["code"] for r in body["results"]] == ["text_too_long", "invalid_text", "model_server_error"]
    assert "tokenizer cannot read" in body["results"][1]["error"]["message"]


@pytest.mark.parametrize("body, expected", [
    ({"texts": []}, (400, "invalid_json")),
    ({"texts": "one"}, (400, "invalid_json")),
    ({"texts": ["a", None]}, (400, "invalid_json")),    # not a list of strings: the call is malformed
    ({"text": "a", "texts": ["b"]}, (400, "invalid_json")),
    ({"text": "a", "explain": "yes"}, (400, "invalid_json")),
    ({"texts": ["a"] * 65}, (413, "too_many_texts")),
    ({"texts": ["x" * 5000] * 5}, (413, "texts_too_long")),
])
def test_a_bad_many_texts_call_is_refused_whole(ui, fake_torchserve, body, expected):
    assert error_of(ui.post("/api/v1/toxicity", json=body)) == expected
    assert fake_torchserve.predictions == 0


def error_of(reply):
    body = reply.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return reply.status_code, body["error"]["code"]


@pytest.mark.parametrize("data, content_type, expected", [
    ("{not json", "application/json", (400, "invalid_json")),
    (b"\xff\xfe", "application/json", (400, "invalid_json")),
    ("[1, 2]", "application/json", (400, "invalid_json")),
    ('"just a string"', "application/json", (400, "invalid_json")),
    ("{}", "application/json", (400, "invalid_json")),
    ('{"text": 42}', "application/json", (400, "invalid_text")),
    ('{"text": null}', "application/json", (400, "invalid_text")),
    ('{"text": ""}', "application/json", (422, "empty_text")),
    ('{"text": " \\n\\t "}', "application/json", (422, "empty_text")),
    ('{"text": "\\u0000\\u0001"}', "application/json", (422, "empty_text")),         # controls only
    ('{"text": "\\u200b\\u200b\\ufeff"}', "application/json", (422, "empty_text")),  # zero-width only
    ('{"text": "\\ud800 poison"}', "application/json", (422, "invalid_text")),      # a lone surrogate
    (json.dumps({"text": "x" * 5001}), "application/json", (413, "text_too_long")),
    ('{"text": "hi"}', "text/plain", (415, "unsupported_media_type")),
    ("text=hi", "application/x-www-form-urlencoded", (415, "unsupported_media_type")),
    ("[" * 50_000, "application/json", (400, "invalid_json")),  # deep nesting
])
def test_client_errors(ui, data, content_type, expected):
    reply = ui.post("/api/v1/toxicity", data=data, content_type=content_type)
    assert error_of(reply) == expected


def test_text_of_exactly_the_limit_is_accepted(ui):
    assert ui.post("/api/v1/toxicity", json={"text": "x" * 5000}).status_code == 200


def test_body_over_the_byte_limit_is_413(ui):
    reply = ui.post("/api/v1/toxicity", data=json.dumps({"text": "x" * 300_000}),
                    content_type="application/json")
    assert error_of(reply) == (413, "body_too_large")


@pytest.mark.parametrize("mode, expected", [
    ("status:503", (503, "model_unavailable")),
    ("slow:1.5", (504, "model_timeout")),
    ("status:500", (502, "model_server_error")),
    ("garbage", (502, "model_server_error")),
])
def test_model_server_errors(ui, fake_torchserve, mode, expected):
    fake_torchserve.mode = mode
    reply = ui.post("/api/v1/toxicity", json={"text": "hello"})
    assert error_of(reply) == expected
    if expected[0] == 503:
        assert reply.headers["Retry-After"] == "5"


def test_unknown_api_path_and_wrong_method_are_json(ui):
    assert error_of(ui.get("/api/v1/nothing")) == (404, "not_found")
    assert error_of(ui.get("/api/v1/toxicity")) == (405, "method_not_allowed")


def test_unexpected_exception_is_a_json_500_without_details(ui_app, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("internal detail")
    monkeypatch.setattr(ui_app.extensions["toxicity_ui"].client, "predict", explode)
    reply = ui_app.test_client().post("/api/v1/toxicity", json={"text": "hello"})
    assert error_of(reply) == (500, "internal_error")
    assert b"internal detail" not in reply.data


def test_openapi_describes_the_endpoint(ui):
    spec = ui.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    operation = spec["paths"]["/api/v1/toxicity"]["post"]
    assert {"200", "400", "413", "415", "422", "503", "504"} <= set(operation["responses"])


def test_health_and_readiness(ui, fake_torchserve):
    assert ui.get("/healthz").get_json() == {"status": "ok"}
    assert ui.get("/readyz").status_code == 200
    fake_torchserve.worker_status = "LOADING"
    reply = ui.get("/readyz")
    assert reply.status_code == 503 and reply.get_json()["reason"] == "no READY worker"


def test_a_lone_surrogate_is_the_clients_fault_and_never_reaches_the_model(ui, fake_torchserve):
    reply = ui.post("/api/v1/toxicity", data='{"text": "fine \\udfff"}', content_type="application/json")
    assert error_of(reply) == (422, "invalid_text")
    assert "U+DFFF" in reply.get_json()["error"]["message"] and "Retry-After" not in reply.headers
    assert fake_torchserve.predictions == 0


def test_the_openapi_pattern_is_the_visible_character_rule():
    """The published pattern and validate_text agree on every code point of the BMP."""
    import re
    import unicodedata

    from toxicity_ui.api import OPENAPI
    from toxicity_ui.text_rules import INVISIBLE_CATEGORIES, visible_character_pattern
    pattern = OPENAPI["components"]["schemas"]["ToxicityRequest"]["properties"]["text"]["pattern"]
    assert pattern == visible_character_pattern()
    visible = re.compile(pattern)
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        assert bool(visible.search(char)) == (unicodedata.category(char) not in INVISIBLE_CATEGORIES), hex(code)
