"""Read a Perspective request body into what the scoring path needs, or refuse it.

Perspective's documentation and its clients are less strict than a JSON schema: the curl
sample sends `{comment: {text: "..."}}` with unquoted names, and the Python sample sends no
Content-Type. Google's front end takes both, so this does too: the body is read as JSON
whatever its Content-Type, and as JSON5 (unquoted names, single quotes, trailing commas)
when it is not strict JSON: pyjson5 (Cython) rather than the pure-Python json5, which took
11 s on a 160 KB body where pyjson5 takes 10 ms. Unknown field names are refused, as
Google refuses them, so a misspelt option does not go unnoticed.
"""

import json
import math
from dataclasses import dataclass, field

import pyjson5

from .errors import ApiError
from .perspective_errors import PerspectiveError

# Perspective's production attributes and toxic-bert's labels (the same Jigsaw data).
ATTRIBUTES = {"TOXICITY": "toxic", "SEVERE_TOXICITY": "severe_toxic", "IDENTITY_ATTACK": "identity_hate",
              "INSULT": "insult", "PROFANITY": "obscene", "THREAT": "threat"}
SCORE_TYPES = ("PROBABILITY", "SCORE_TYPE_UNSPECIFIED")
TEXT_TYPES = ("PLAIN_TEXT",)
SUPPORTED_LANGUAGE = "en"
ANALYZE_FIELDS = {"comment", "context", "requestedAttributes", "spanAnnotations", "languages", "doNotStore",
                  "clientToken", "sessionId", "communityId", "dropUnsupportedAttributes"}
SUGGEST_FIELDS = {"comment", "context", "attributeScores", "languages", "communityId", "clientToken", "sessionId"}
MAX_TOKEN_CHARS = 1024  # clientToken, sessionId, communityId: opaque, but bounded


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


@dataclass(frozen=True)
class AttributeRequest:
    name: str                     # Perspective's attribute
    label: str                    # toxic-bert's label
    threshold: float | None       # scores below it are left out


@dataclass(frozen=True)
class AnalyzeRequest:
    text: str
    attributes: list[AttributeRequest]
    languages: list[str]          # as requested; empty: detect
    span_annotations: bool = False
    do_not_store: bool = False
    drop_unsupported: bool = False
    client_token: str | None = None
    session_id: str | None = None
    community_id: str | None = None


@dataclass(frozen=True)
class SuggestRequest:
    text: str
    scores: dict                  # label -> suggested summary score
    spans: dict = field(default_factory=dict)   # label -> [[begin, end, score], ...]
    languages: list = field(default_factory=list)
    community_id: str | None = None
    client_token: str | None = None
    session_id: str | None = None


def read_body(raw: bytes) -> dict:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("Invalid JSON payload received. The body is not UTF-8.") from None
    try:
        body = json.loads(text)
    except ValueError:
        try:
            body = pyjson5.loads(text)
        except (ValueError, pyjson5.Json5Exception):
            raise invalid("Invalid JSON payload received. Expected a JSON object like "
                          '{"comment": {"text": "..."}, "requestedAttributes": {"TOXICITY": {}}}.') from None
    except RecursionError:
        raise invalid("Invalid JSON payload received. The body is nested too deeply.") from None
    if not isinstance(body, dict):
        raise invalid("Invalid JSON payload received. Expected a JSON object.")
    return body


def _unknown_fields(body: dict, known: set, where: str = "") -> None:
    for name in body:
        if name not in known:
            at = f" at '{where}'" if where else ""
            raise invalid(f'Invalid JSON payload received. Unknown name "{name}"{at}: Cannot find field.')


def _optional_string(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TOKEN_CHARS:
        raise invalid(f"Invalid value at '{name}': expected a string of at most {MAX_TOKEN_CHARS} characters.")
    return value


def _bool(body: dict, name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(f"Invalid value at '{name}' ({type(value).__name__}): expected true or false.")
    return value


def _comment_text(body: dict) -> str:
    comment = body.get("comment")
    if comment is None:
        raise PerspectiveError("empty_text", "Comment must be non-empty.")
    if not isinstance(comment, dict):
        raise invalid("Invalid value at 'comment': expected an object like {\"text\": \"...\"}.")
    _unknown_fields(comment, {"text", "type"}, "comment")
    kind = comment.get("type")
    kind = "PLAIN_TEXT" if kind is None else kind
    if kind == "HTML":
        raise invalid("Currently, only 'PLAIN_TEXT' comments are supported.")
    if kind not in TEXT_TYPES:
        raise invalid(f"Unknown text type: {kind!s:.40}.")
    text = comment.get("text")
    if text is None or text == "":
        raise PerspectiveError("empty_text", "Comment must be non-empty.")
    if not isinstance(text, str):
        raise invalid("Invalid value at 'comment.text': expected a string.")
    return text


def _context(body: dict) -> None:
    """Accepted and not used, as Perspective itself does not use it."""
    context = body.get("context")
    if context is not None and not isinstance(context, dict):
        raise invalid("Invalid value at 'context': expected an object.")


def _languages(body: dict) -> list[str]:
    languages = body.get("languages")
    if languages is None:
        return []
    if not isinstance(languages, list) or not all(isinstance(code, str) and code for code in languages):
        raise invalid("Invalid value at 'languages': expected a list of language codes such as [\"en\"].")
    return languages


def is_supported_language(code: str) -> bool:
    """ISO and BCP-47 codes, as Perspective accepts them: en, EN, en-US, en_GB."""
    return code.replace("_", "-").split("-")[0].lower() == SUPPORTED_LANGUAGE


def _threshold(name: str, value) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value <= 1:
        raise invalid(f"Invalid value at 'requestedAttributes[{name}].scoreThreshold': expected a number "
                      "from 0 to 1.")
    return float(value)


def _attributes(body: dict) -> list[AttributeRequest]:
    requested = body.get("requestedAttributes")
    if not requested:
        raise PerspectiveError("no_requested_attributes", "Missing requested_attributes: name at least one of "
                               + ", ".join(ATTRIBUTES) + ".")
    if not isinstance(requested, dict):
        raise invalid("Invalid value at 'requestedAttributes': expected an object like {\"TOXICITY\": {}}.")
    attributes = []
    for name, parameters in requested.items():
        if name not in ATTRIBUTES:
            raise PerspectiveError("unknown_attribute", f"Unknown requested attribute: {name:.64}. This service "
                                   "scores " + ", ".join(ATTRIBUTES) + ".")
        parameters = {} if parameters is None else parameters
        if not isinstance(parameters, dict):
            raise invalid(f"Invalid value at 'requestedAttributes[{name}]': expected an object.")
        _unknown_fields(parameters, {"scoreType", "scoreThreshold"}, f"requestedAttributes[{name}]")
        score_type = parameters.get("scoreType")
        score_type = "PROBABILITY" if score_type is None else score_type
        if score_type not in SCORE_TYPES:
            raise invalid(f"Requested score type {score_type!s:.40} is not supported by attribute {name}.")
        attributes.append(AttributeRequest(name, ATTRIBUTES[name], _threshold(name, parameters.get("scoreThreshold"))))
    return attributes


def analyze_request(body: dict) -> AnalyzeRequest:
    _unknown_fields(body, ANALYZE_FIELDS)
    text = _comment_text(body)
    _context(body)
    return AnalyzeRequest(
        text=text, attributes=_attributes(body), languages=_languages(body),
        span_annotations=_bool(body, "spanAnnotations"), do_not_store=_bool(body, "doNotStore"),
        drop_unsupported=_bool(body, "dropUnsupportedAttributes"),
        client_token=_optional_string(body, "clientToken"), session_id=_optional_string(body, "sessionId"),
        community_id=_optional_string(body, "communityId"))


def _suggested_value(where: str, score) -> float:
    if not isinstance(score, dict):
        raise invalid(f"Invalid value at '{where}': expected an object like {{\"value\": 0.9}}.")
    _unknown_fields(score, {"value", "type"}, where)
    if score.get("type") is not None and score["type"] not in SCORE_TYPES:
        raise invalid(f"Invalid value at '{where}.type': only PROBABILITY scores are suggested.")
    value = score.get("value", 0)  # proto3 JSON leaves a 0 out: an absent value is 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value <= 1:
        raise invalid(f"Invalid value at '{where}.value': expected a number from 0 to 1.")
    return float(value)


def _suggested_scores(body: dict, text: str) -> tuple[dict, dict]:
    given = body.get("attributeScores")
    if not isinstance(given, dict) or not given:
        raise invalid("Missing attribute_scores: suggest a score for at least one of " + ", ".join(ATTRIBUTES) + ".")
    scores, spans = {}, {}
    for name, entry in given.items():
        if name not in ATTRIBUTES:
            raise PerspectiveError("unknown_attribute", f"Unknown attribute: {name:.64}. This service scores "
                                   + ", ".join(ATTRIBUTES) + ".")
        if not isinstance(entry, dict):
            raise invalid(f"Invalid value at 'attributeScores[{name}]': expected an object.")
        _unknown_fields(entry, {"summaryScore", "spanScores"}, f"attributeScores[{name}]")
        label = ATTRIBUTES[name]
        if entry.get("summaryScore") is not None:
            scores[label] = _suggested_value(f"attributeScores[{name}].summaryScore", entry["summaryScore"])
        span_list = entry.get("spanScores")
        span_list = [] if span_list is None else span_list
        if not isinstance(span_list, list):
            raise invalid(f"Invalid value at 'attributeScores[{name}].spanScores': expected a list.")
        for number, span in enumerate(span_list):
            where = f"attributeScores[{name}].spanScores[{number}]"
            if not isinstance(span, dict):
                raise invalid(f"Invalid value at '{where}': expected an object.")
            _unknown_fields(span, {"begin", "end", "score"}, where)
            begin, end = span.get("begin", 0), span.get("end", len(text))
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (begin, end)) \
                    or not 0 <= begin <= end <= len(text):
                raise invalid(f"Invalid value at '{where}': begin and end must lie within the comment.")
            spans.setdefault(label, []).append([begin, end, _suggested_value(f"{where}.score", span.get("score"))])
        if label not in scores and label not in spans:
            raise invalid(f"Invalid value at 'attributeScores[{name}]': give a summaryScore or spanScores.")
    return scores, spans


def suggest_request(body: dict) -> SuggestRequest:
    _unknown_fields(body, SUGGEST_FIELDS)
    text = _comment_text(body)
    _context(body)
    scores, spans = _suggested_scores(body, text)
    return SuggestRequest(text=text, scores=scores, spans=spans, languages=_languages(body),
                          community_id=_optional_string(body, "communityId"),
                          client_token=_optional_string(body, "clientToken"),
                          session_id=_optional_string(body, "sessionId"))
