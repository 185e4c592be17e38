"""Perspective's API on the UI's port: /v1alpha1/comments:analyze, :suggestscore and the
discovery document, for applications written for Perspective (docs/perspective.md).

One scoring path, two envelopes: the text is checked by text_rules and scored by scoring,
exactly as the native API does; only the request and the answer are Perspective's, and the
errors Google's (perspective_errors.py, registered with errors.py for these paths).
"""

from flask import Blueprint, g, jsonify, request

from . import errors, language as languages, metrics
from .callers import authenticate, rate_limit_client
from .errors import ApiError
from .perspective_discovery import VERSION, discovery_document
from .perspective_errors import PerspectiveError, google_error
from .perspective_request import ATTRIBUTES, AnalyzeRequest, analyze_request, is_supported_language, read_body, suggest_request
from .scoring import admit, score_text, score_texts
from .sentences import sentence_spans
from .services import services
from .text_rules import validate_text

perspective = Blueprint("perspective", __name__)
PROBABILITY = "PROBABILITY"


@perspective.before_request
def _refuse_cross_site_pages():
    """Its calls take any Content-Type, so a page of another site could post a form to them:
    browsers say so (Sec-Fetch-Site), and no real client of this API is another site's page
    (it answers no CORS preflight)."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise ApiError(403, "cross_site", "Calls from another site's page are refused.")


@perspective.after_request
def _count(response):
    method = request.path.rsplit(":", 1)[-1] if request.path.startswith(f"/{VERSION}/") else "discovery"
    metrics.record_api_call("perspective", method, response.status_code)
    return response


def _caller() -> str:
    key = authenticate()
    client = rate_limit_client(key)
    admit(client)
    return client


def _checked_language(analyze: AnalyzeRequest, text: str) -> tuple[languages.Language | None, bool]:
    """The text's language, and whether the model may score it (else the attributes are dropped)."""
    first = analyze.attributes[0].name
    if analyze.languages:
        if any(is_supported_language(code) for code in analyze.languages):
            return None, True
        detail = {"languageNotSupportedByAttributeError": {"requestedLanguages": analyze.languages,
                                                             "attribute": first}}
        if analyze.drop_unsupported:
            return None, False
        raise PerspectiveError("unsupported_language", f"Attribute {first} does not support request languages: "
                               + ", ".join(analyze.languages), detail)
    detected = languages.detect(text)
    if detected.code is None:
        raise PerspectiveError("language_detection_failed", "Unable to detect language: the comment has no "
                               "letters.", {"languageDetectionFailedError": {}})
    if not detected.supported:
        if analyze.drop_unsupported:
            return detected, False
        raise PerspectiveError("unsupported_language", f"Attribute {first} does not support request languages: "
                               f"{detected.code}", {"languageNotSupportedByAttributeError": {
                                   "detectedLanguages": [detected.code], "attribute": first}})
    return detected, True


def _span_scores(text: str, client: str, store: bool) -> tuple[dict, list]:
    """The whole text's scores, as the native API gives them for it alone, and each sentence's,
    scored together in one many-texts call (more than max_batch_texts sentences: a call per
    that many). The whole text is not sent in the sentences' call: an int8 model's scores of a
    text move in the third decimal with the texts it shares a forward pass with."""
    spans = sentence_spans(text)
    summary = score_text(text, client=client, store=store, language=False)["scores"]
    if len(spans) == 1:
        return summary, [(spans[0], summary)]  # one sentence: its scores are the summary's
    sentences = [text[begin:end] for begin, end in spans]
    size = services().settings.max_batch_texts
    results = []
    for start in range(0, len(sentences), size):
        results += score_texts(sentences[start:start + size], client=client, store=store,
                               detect_language=False)["results"]
    # A sentence the model server refused on its own (its error in the results) gets no span.
    return summary, [(span, result["scores"]) for span, result in zip(spans, results) if "scores" in result]


def _score(value: float) -> dict:
    return {"value": value, "type": PROBABILITY}


def _attribute_scores(analyze: AnalyzeRequest, summary: dict, spans: list | None) -> dict:
    answer = {}
    for attribute in analyze.attributes:
        scores = {}
        value = summary[attribute.label]
        if attribute.threshold is None or value >= attribute.threshold:
            scores["summaryScore"] = _score(value)
        if spans is not None:
            kept = []
            for (begin, end), span_scores in spans:
                span_value = span_scores[attribute.label]
                if attribute.threshold is None or span_value >= attribute.threshold:
                    kept.append({"begin": begin, "end": end, "score": _score(span_value)})
            if kept:
                scores["spanScores"] = kept
        if scores:
            answer[attribute.name] = scores
        metrics.PERSPECTIVE_ATTRIBUTES.labels(attribute=attribute.name).inc()
    return answer


@perspective.post(f"/{VERSION}/comments:analyze")
def analyze():
    client = _caller()
    analyze = analyze_request(read_body(request.get_data(cache=False)))
    text = validate_text(analyze.text, services().settings)
    detected, scorable = _checked_language(analyze, text)
    store = not analyze.do_not_store
    attribute_scores = {}
    if scorable and analyze.span_annotations:
        summary, spans = _span_scores(text, client, store)
        attribute_scores = _attribute_scores(analyze, summary, spans)
    elif scorable:
        summary = score_text(text, client=client, store=store, language=detected or False)["scores"]
        attribute_scores = _attribute_scores(analyze, summary, None)
    answer = {"attributeScores": attribute_scores,
              "languages": analyze.languages or [detected.code]}
    if detected is not None:
        answer["detectedLanguages"] = [detected.code]
    if analyze.client_token is not None:
        answer["clientToken"] = analyze.client_token
    return jsonify(answer)


@perspective.post(f"/{VERSION}/comments:suggestscore")
def suggestscore():
    _caller()
    suggestion = suggest_request(read_body(request.get_data(cache=False)))
    text = validate_text(suggestion.text, services().settings)
    services().feedback.add(text, suggestion.scores, suggestion.spans, suggestion.languages,
                            suggestion.community_id, suggestion.client_token, suggestion.session_id,
                            g.api_key_name)
    metrics.FEEDBACK.labels(key=g.api_key_name).inc()
    answer = {}
    if suggestion.client_token is not None:
        answer["clientToken"] = suggestion.client_token
    return jsonify(answer)


@perspective.get("/$discovery/rest")
def discovery():
    version = request.args.get("version", VERSION)
    if version != VERSION:
        raise ApiError(404, "not_found", f"Discovery document not found for API version {version:.32}; "
                                         f"this service has {VERSION}.")
    return jsonify(discovery_document(request.url_root, services().settings.app_version))


def init_app(app) -> None:
    """Serve Perspective's API, its errors in Google's shape, its series known from the start."""
    app.register_blueprint(perspective)
    errors.add_envelope(app, (f"/{VERSION}/", "/$discovery/"), google_error)
    for attribute in ATTRIBUTES:
        metrics.PERSPECTIVE_ATTRIBUTES.labels(attribute=attribute)
