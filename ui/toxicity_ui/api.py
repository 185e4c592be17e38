"""The versioned JSON API: POST /api/v1/toxicity and its OpenAPI description."""

import json
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request

from .errors import ApiError, invalid_json
from .scoring import admit, remember_model, score_text
from .text_rules import validate_text

api = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI = json.loads((Path(__file__).parent / "openapi.json").read_text())


def _json_body() -> dict:
    mimetype = request.mimetype or ""
    if mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       "Send the text as JSON with Content-Type: application/json.")
    raw = request.get_data(cache=False)  # size already capped by MAX_CONTENT_LENGTH
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise invalid_json('The body is not valid JSON; expected {"text": "..."}.') from None
    if not isinstance(body, dict):
        raise invalid_json('Expected a JSON object like {"text": "..."}.')
    if "text" not in body:
        raise invalid_json("Missing field 'text'.")
    return body


@api.post("/toxicity")
def toxicity():
    admit(request.remote_addr)
    body = _json_body()
    settings = current_app.config["SETTINGS"]
    text = validate_text(body["text"], settings)
    result = score_text(text, current_app.config["CLIENT"], settings)
    remember_model(result)
    return jsonify(result)


@api.get("/openapi.json")
def openapi():
    spec = dict(OPENAPI)
    spec["info"] = {**spec["info"], "version": current_app.config["SETTINGS"].app_version}
    return jsonify(spec)
