"""Perspective's envelope around the UI's scoring path: requests, answers and every error, on
the app's test client in front of the stand-in TorchServe (the real clients and the real
stack: tests/integration/test_perspective.py)."""

import json

import pytest

from toxicity_ui.perspective_request import ATTRIBUTES

ANALYZE = "/v1alpha1/comments:analyze"
SUGGEST = "/v1alpha1/comments:suggestscore"


def analyze(ui, body, raw=None, **kwargs):
    data = raw if raw is not None else json.dumps(body)
    return ui.post(ANALYZE, data=data, **kwargs)


def error_of(reply, status=400):
    assert reply.status_code == status, reply.get_data(as_text=True)
    error = reply.get_json()["error"]
    assert error["code"] == status and isinstance(error["message"], str) and error["status"]
    return error


def error_type(reply) -> str:
    error = error_of(reply)
    assert error["status"] == "INVALID_ARGUMENT"
    return error["details"][0]["errorType"]


def test_analyze_answers_perspectives_shape_with_toxic_berts_scores(ui, fake_torchserve):
    reply = analyze(ui, {"comment": {"text": "you idiot"}, "requestedAttributes": {"TOXICITY": {}, "INSULT": {}},
                         "clientToken": "c-1"})
    assert reply.status_code == 200
    body = reply.get_json()
    assert body == {"attributeScores": {"TOXICITY": {"summaryScore": {"value": 0.95, "type": "PROBABILITY"}},
                                        "INSULT": {"summaryScore": {"value": 0.95, "type": "PROBABILITY"}}},
                    "languages": ["en"], "detectedLanguages": ["en"], "clientToken": "c-1"}
    sent = json.loads(fake_torchserve.requests[-1][2])
    assert sent == {"text": "you idiot"}  # the native API's own call: one path


def test_every_attribute_maps_to_its_label():
    assert ATTRIBUTES == {"TOXICITY": "toxic", "SEVERE_TOXICITY": "severe_toxic", "IDENTITY_ATTACK": "identity_hate",
                          "INSULT": "insult", "PROFANITY": "obscene", "THREAT": "threat"}


def test_a_score_below_its_threshold_is_left_out(ui):
    body = analyze(ui, {"comment": {"text": "you idiot"}, "requestedAttributes": {
        "TOXICITY": {"scoreThreshold": 0.9}, "THREAT": {"scoreThreshold": 0.5}}}).get_json()
    assert list(body["attributeScores"]) == ["TOXICITY"]


def test_span_annotations_score_the_sentences_together_in_one_call(ui, fake_torchserve):
    text = "What kind of idiot name is foo? Sorry, I like your name."
    body = analyze(ui, {"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}},
                        "spanAnnotations": True}).get_json()
    spans = body["attributeScores"]["TOXICITY"]["spanScores"]
    assert [(span["begin"], span["end"]) for span in spans] == [(0, 31), (32, 56)]
    assert [span["score"]["value"] for span in spans] == [0.95, 0.02]
    calls = [json.loads(body) for path, _, body in fake_torchserve.requests if path.startswith("/predictions")]
    assert calls == [{"text": text}, {"texts": [text[0:31], text[32:56]]}]  # the text alone, as the native API


def test_the_documentations_relaxed_json_and_no_content_type_are_read(ui):
    raw = '{comment: {text: "what kind of idiot name is foo?"}, languages: ["en"], requestedAttributes: {TOXICITY:{}} }'
    for headers in ({"Content-Type": "application/json"}, {}):
        reply = analyze(ui, None, raw=raw, headers=headers)
        assert reply.status_code == 200, reply.get_data(as_text=True)
        assert reply.get_json()["languages"] == ["en"] and "detectedLanguages" not in reply.get_json()


@pytest.mark.parametrize("body, expected", [
    ({"requestedAttributes": {"TOXICITY": {}}}, "COMMENT_EMPTY"),
    ({"comment": {"text": ""}, "requestedAttributes": {"TOXICITY": {}}}, "COMMENT_EMPTY"),
    ({"comment": {"text": " \u200b\n"}, "requestedAttributes": {"TOXICITY": {}}}, "COMMENT_EMPTY"),
    ({"comment": {"text": "x " * 2501}, "requestedAttributes": {"TOXICITY": {}}}, "COMMENT_TOO_LONG"),
    ({"comment": {"text": "hello"}}, "NO_REQUESTED_ATTRIBUTES"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {}}, "NO_REQUESTED_ATTRIBUTES"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {"SPAM": {}}}, "INVALID_REQUEST"),
    ({"comment": {"text": "hello", "type": "HTML"}, "requestedAttributes": {"TOXICITY": {}}}, "INVALID_REQUEST"),
    ({"comment": {"text": "hello", "type": "MARKDOWN"}, "requestedAttributes": {"TOXICITY": {}}}, "INVALID_REQUEST"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {"scoreType": "RAW"}}}, "INVALID_REQUEST"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {"scoreThreshold": 2}}}, "INVALID_REQUEST"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {"threshold": 0.5}}}, "INVALID_REQUEST"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}, "spanAnnotation": True}, "INVALID_REQUEST"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}, "doNotStore": "yes"}, "INVALID_REQUEST"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}, "languages": "en"}, "INVALID_REQUEST"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}, "clientToken": "x" * 1025}, "INVALID_REQUEST"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}, "context": "the article"}, "INVALID_REQUEST"),
    ({"comment": "hello", "requestedAttributes": {"TOXICITY": {}}}, "INVALID_REQUEST"),
    ({"comment": {"text": 42}, "requestedAttributes": {"TOXICITY": {}}}, "INVALID_REQUEST"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}, "languages": ["fr"]},
     "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"),
    ({"comment": {"text": "Du bist ein totaler Idiot und alle wissen es."}, "requestedAttributes": {"TOXICITY": {}}},
     "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"),
    ({"comment": {"text": "12345 !!!"}, "requestedAttributes": {"TOXICITY": {}}}, "LANGUAGE_DETECTION_FAILED"),
])
def test_each_refusal_carries_perspectives_error_type(ui, fake_torchserve, body, expected):
    assert error_type(analyze(ui, body)) == expected
    assert fake_torchserve.predictions == 0  # refused before the model is asked


def test_an_unknown_attribute_is_named_with_the_supported_ones(ui):
    message = error_of(analyze(ui, {"comment": {"text": "hi"}, "requestedAttributes": {"UNSUBSTANTIAL": {}}}))["message"]
    assert "UNSUBSTANTIAL" in message and all(name in message for name in ATTRIBUTES)


def test_a_language_refusal_has_perspectives_detail_object(ui):
    detected = error_of(analyze(ui, {"comment": {"text": "Vete a la mierda, nadie te preguntó."},
                                     "requestedAttributes": {"THREAT": {}, "TOXICITY": {}}}))
    assert detected["details"][0]["languageNotSupportedByAttributeError"] == {"detectedLanguages": ["es"],
                                                                             "attribute": "THREAT"}
    assert detected["message"] == "Attribute THREAT does not support request languages: es"
    requested = error_of(analyze(ui, {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}},
                                      "languages": ["fr", "de"]}))
    assert requested["details"][0]["languageNotSupportedByAttributeError"] == {
        "requestedLanguages": ["fr", "de"], "attribute": "TOXICITY"}


def test_english_in_any_spelling_among_the_languages_is_scored(ui):
    for languages in (["en"], ["EN"], ["en-US"], ["en_GB"], ["fr", "en"]):
        reply = analyze(ui, {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}, "languages": languages})
        assert reply.status_code == 200 and reply.get_json()["languages"] == languages


def test_drop_unsupported_attributes_answers_no_scores_instead_of_an_error(ui, fake_torchserve):
    reply = analyze(ui, {"comment": {"text": "Merci pour cet article très intéressant."},
                         "requestedAttributes": {"TOXICITY": {}}, "dropUnsupportedAttributes": True})
    assert reply.status_code == 200
    assert reply.get_json() == {"attributeScores": {}, "languages": ["fr"], "detectedLanguages": ["fr"]}
    assert fake_torchserve.predictions == 0


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"[" * 20_000, b"{a: " * 5_000])
def test_a_body_that_is_not_an_object_is_invalid_argument(ui, raw):
    assert error_type(analyze(ui, None, raw=raw)) == "INVALID_REQUEST"


def test_a_body_over_the_byte_limit_is_comment_too_long(ui, ui_settings):
    reply = analyze(ui, {"comment": {"text": "a" * ui_settings.max_body_bytes}, "requestedAttributes": {"TOXICITY": {}}})
    assert error_type(reply) == "COMMENT_TOO_LONG"


@pytest.mark.parametrize("mode, status, google_status", [
    ("status:503", 503, "UNAVAILABLE"), ("status:500", 502, "UNAVAILABLE"), ("garbage", 502, "UNAVAILABLE"),
    ("slow:3", 504, "DEADLINE_EXCEEDED")])
def test_model_server_failures_are_googles_server_errors(ui, fake_torchserve, mode, status, google_status):
    fake_torchserve.mode = mode
    error = error_of(analyze(ui, {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}}), status)
    assert error["status"] == google_status and "secret" not in error["message"]


def test_unknown_paths_and_methods_under_the_api_are_googles_errors(ui):
    for reply in (ui.post("/v1alpha1/comments:classify", json={}), ui.get("/$discovery/rest?version=v2")):
        assert error_of(reply, 404)["status"] == "NOT_FOUND"
    assert error_of(ui.get(ANALYZE), 405)["status"] == "UNIMPLEMENTED"


def test_another_sites_page_cannot_post_to_it(ui):
    reply = analyze(ui, {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}},
                    headers={"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"})
    assert error_of(reply, 403)["status"] == "PERMISSION_DENIED"


def test_suggestscore_keeps_the_suggestion_and_echoes_the_token(ui, ui_settings):
    from toxicity_ui.feedback import FeedbackStore
    reply = ui.post(SUGGEST, json={"comment": {"text": "Get busy living."}, "communityId": "/forum/movies",
                                   "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}},
                                                       "INSULT": {"spanScores": [{"begin": 0, "end": 9,
                                                                                  "score": {"value": 0.7}}]}},
                                   "clientToken": "comment-53922"})
    assert reply.status_code == 200 and reply.get_json() == {"clientToken": "comment-53922"}
    [row] = FeedbackStore(ui_settings.feedback_file).rows()
    assert (row["text"], row["scores"], row["spans"], row["community_id"], row["client_token"], row["key_name"]) == \
        ("Get busy living.", {"toxic": 0.0}, {"insult": [[0, 9, 0.7]]}, "/forum/movies", "comment-53922", "anonymous")


@pytest.mark.parametrize("body", [
    {"comment": {"text": "hi"}},
    {"comment": {"text": "hi"}, "attributeScores": {}},
    {"comment": {"text": "hi"}, "attributeScores": {"SPAM": {"summaryScore": {"value": 1}}}},
    {"comment": {"text": "hi"}, "attributeScores": {"TOXICITY": {}}},
    {"comment": {"text": "hi"}, "attributeScores": {"TOXICITY": {"summaryScore": {"value": 1.5}}}},
    {"comment": {"text": "hi"}, "attributeScores": {"TOXICITY": {"summaryScore": {"value": "high"}}}},
    {"comment": {"text": "hi"}, "attributeScores": {"TOXICITY": {"spanScores": [{"begin": 0, "end": 9,
                                                                                 "score": {"value": 1}}]}}},
    {"comment": {"text": ""}, "attributeScores": {"TOXICITY": {"summaryScore": {"value": 1}}}},
])
def test_a_suggestion_that_cannot_be_kept_is_refused_and_nothing_is_written(ui, ui_settings, body):
    from toxicity_ui.feedback import FeedbackStore
    error_of(ui.post(SUGGEST, json=body))
    assert FeedbackStore(ui_settings.feedback_file).rows() == []


def test_the_discovery_document_names_this_service_and_both_methods(ui):
    document = ui.get("/$discovery/rest?version=v1alpha1", base_url="http://moderation.example:8443").get_json()
    assert document["rootUrl"] == "http://moderation.example:8443/" and document["name"] == "commentanalyzer"
    methods = document["resources"]["comments"]["methods"]
    assert {name: (m["httpMethod"], m["path"]) for name, m in methods.items()} == {
        "analyze": ("POST", "v1alpha1/comments:analyze"), "suggestscore": ("POST", "v1alpha1/comments:suggestscore")}
    for method in methods.values():
        assert method["request"]["$ref"] in document["schemas"] and method["response"]["$ref"] in document["schemas"]


def test_forwarded_headers_are_believed_only_behind_a_configured_proxy(ui_settings):
    from toxicity_ui import create_app
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "toxicity.example.org"}
    url = "/$discovery/rest?version=v1alpha1"
    direct = create_app(ui_settings).test_client().get(url, headers=forwarded).get_json()
    assert direct["rootUrl"] == "http://localhost/"
    proxied = create_app(ui_settings.replace(proxy_hops=1)).test_client().get(url, headers=forwarded).get_json()
    assert proxied["rootUrl"] == "https://toxicity.example.org/"


def test_the_native_answer_says_the_language_without_refusing_it(ui):
    body = ui.post("/api/v1/toxicity", json={"text": "Du bist ein totaler Idiot und alle wissen es."}).get_json()
    assert body["language"]["code"] == "de" and body["language"]["supported"] is False
    assert "scores" in body
    english = ui.post("/api/v1/toxicity", json={"texts": ["you idiot", "12345"]}).get_json()["results"]
    assert english[0]["language"]["supported"] is True and english[1]["language"]["code"] is None


def test_a_large_relaxed_body_is_read_quickly(ui):
    """JSON5 is read by a compiled parser: the pure-Python one took 11 s on such a body."""
    import time
    raw = "{comment: {text: 'hello'}, requestedAttributes: {TOXICITY: {}}, context: {entries: [" + \
        "{text: 'a'}," * 5000 + "]}}"
    started = time.monotonic()
    reply = analyze(ui, None, raw=raw)
    assert reply.status_code == 200 and time.monotonic() - started < 5


@pytest.mark.parametrize("field, value", [("languages", {}), ("languages", ""), ("spanAnnotations", 0),
                                          ("context", []), ("clientToken", 0)])
def test_a_falsy_value_of_the_wrong_type_is_refused_not_taken_for_unset(ui, field, value):
    body = {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": []}}
    assert error_type(analyze(ui, body)) == "INVALID_REQUEST"
    body = {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}, field: value}
    assert error_type(analyze(ui, body)) == "INVALID_REQUEST"


def test_a_sentence_the_model_server_refuses_alone_gets_no_span(ui, monkeypatch):
    from toxicity_ui import perspective
    real = perspective.score_texts

    def second_refused(texts, **options):
        answer = real(texts, **options)
        answer["results"][1] = {"error": {"code": "invalid_text", "message": "refused"}}
        return answer
    monkeypatch.setattr(perspective, "score_texts", second_refused)
    text = "What kind of idiot name is foo? Sorry, I like your name."
    body = analyze(ui, {"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}},
                        "spanAnnotations": True}).get_json()
    spans = body["attributeScores"]["TOXICITY"]["spanScores"]
    assert [(span["begin"], span["end"]) for span in spans] == [(0, 31)]
    assert body["attributeScores"]["TOXICITY"]["summaryScore"]["value"] == 0.95


def test_a_body_sent_as_curl_sends_it_without_a_header_is_read_too(ui):
    """`curl --data '{...}'` labels the body application/x-www-form-urlencoded (the README's example)."""
    raw = "{comment: {text: 'what kind of idiot name is foo?'}, requestedAttributes: {TOXICITY: {}}}"
    reply = analyze(ui, None, raw=raw, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"] == 0.95
