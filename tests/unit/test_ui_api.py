"""The JSON API's contract, including every error path."""

import json

import pytest


def test_scores_a_text(ui):
    reply = ui.post("/api/v1/toxicity", json={"text": "you idiot"})
    assert reply.status_code == 200
    body = reply.get_json()
    assert list(body["scores"]) == ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
    assert body["verdict"] == {"is_toxic": True, "top_label": "toxic", "top_score": 0.95,
                               "labels": ["toxic", "insult"]}
    assert body["threshold"] == 0.5
    assert (body["model"], body["model_version"], body["model_date"]) == ("fake-model", "9.9", "2026-01-02T03:04:05Z")
    assert body["demo"] is True and body["version"] == "1.0.0"
    assert body["timing_ms"]["total"] >= body["timing_ms"]["model_server"] > 0


def test_benign_text_is_not_toxic(ui):
    body = ui.post("/api/v1/toxicity", json={"text": "have a nice day"}).get_json()
    assert body["verdict"]["is_toxic"] is False and body["verdict"]["labels"] == []


def test_a_configured_threshold_overrides_the_handlers(ui_settings):
    from toxicity_ui import create_app
    app = create_app(ui_settings.replace(verdict_threshold=0.99))
    body = app.test_client().post("/api/v1/toxicity", json={"text": "you idiot"}).get_json()
    assert body["threshold"] == 0.99 and body["verdict"]["is_toxic"] is False


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
    reply = ui.post("/api/v1/toxicity", data=json.dumps({"text": "x" * 70_000}),
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
