"""The versioned JSON API: POST /api/v1/toxicity and its OpenAPI description.

One text ({"text": "..."}) or many ({"texts": [...]}), either with "explain": true.
"""

import json
import re
from pathlib import Path

from flask import Blueprint, jsonify, request

from . import metrics
from .callers import authenticate, rate_limit_client
from .errors import invalid_header, invalid_json, unsupported_media_type
from .scoring import admit, score_text, score_texts
from .services import services
from .text_rules import validate_text, validate_texts

MAX_CLIENT_ID = 128
CLIENT_ID = re.compile(rf"[\x20-\x7e]{{0,{MAX_CLIENT_ID}}}")  # as the OpenAPI description says

api = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI = json.loads((Path(__file__).parent / "openapi.json").read_text())


def _json_body() -> dict:
    mimetype = request.mimetype or ""
    if mimetype != "application/json":
        raise unsupported_media_type()
    raw = request.get_data(cache=False)  # size already capped by MAX_CONTENT_LENGTH
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise invalid_json('The body is not valid JSON; expected {"text": "..."}.') from None
    if not isinstance(body, dict):
        raise invalid_json('Expected a JSON object like {"text": "..."}.')
    if "text" in body and "texts" in body:
        raise invalid_json("Send either 'text' (one text) or 'texts' (a list), not both.")
    if "text" not in body and "texts" not in body:
        raise invalid_json("Missing field 'text' (or 'texts').")
    if not isinstance(body.get("explain", False), bool):
        raise invalid_json("Field 'explain' must be true or false.")
    return body


def _client() -> str:
    """Who asks, for the canary's stickiness: the client's own X-Client-Id, else (no header, or
    an empty one) its address."""
    client_id = request.headers.get("X-Client-Id", "")
    if not CLIENT_ID.fullmatch(client_id):
        raise invalid_header(f"X-Client-Id must be at most {MAX_CLIENT_ID} printable ASCII characters.")
    return f"id:{client_id}" if client_id else "address:" + (request.remote_addr or "unknown")


@api.after_request
def _count(response):
    if request.endpoint == "api.toxicity":
        metrics.record_api_call("native", "toxicity", response.status_code)
    return response


@api.post("/toxicity")
def toxicity():
    admit(rate_limit_client(authenticate()))
    client = _client()
    body = _json_body()
    explain = body.get("explain", False)
    if "texts" in body:
        texts = body["texts"]
        if not isinstance(texts, list) or not texts or not all(isinstance(text, str) for text in texts):
            raise invalid_json("Field 'texts' must be a non-empty list of strings.")
        return jsonify(score_texts(validate_texts(texts, services().settings), explain, client))
    text = validate_text(body["text"], services().settings)
    return jsonify(score_text(text, explain, client))


@api.get("/openapi.json")
def openapi():
    spec = dict(OPENAPI)
    spec["info"] = {**spec["info"], "version": services().settings.app_version}
    return jsonify(spec)
