"""Every error the UI answers with: the ApiError type, one constructor per error code,
and the Flask error handlers (registered by init_app). The page's own answer to a failed
CSRF check is the page's (pages.py), so this module imports nothing of the app but metrics.

An ApiError is an HTTP status, a stable code and a message for people, answered as
{"error": {"code": ..., "message": ...}} on the API and as the page's error on the form.
"""

import logging

from flask import current_app, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from . import metrics

logger = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


# --- the caller's request --------------------------------------------------------------

def invalid_json(message: str) -> ApiError:
    return ApiError(400, "invalid_json", message)


def not_a_string() -> ApiError:
    return ApiError(400, "invalid_text", "A text must be a string.")


def invalid_header(message: str) -> ApiError:
    return ApiError(400, "invalid_header", message)


def unsupported_media_type() -> ApiError:
    return ApiError(415, "unsupported_media_type", "Send the text as JSON with Content-Type: application/json.")


def empty_text(message: str = "The text is empty: type something to check.") -> ApiError:
    return ApiError(422, "empty_text", message)


def invalid_text(message: str) -> ApiError:
    """Valid JSON whose text cannot be scored: the client must change it, retrying will not help."""
    return ApiError(422, "invalid_text", message)


def text_too_long(length: int, limit: int) -> ApiError:
    return ApiError(413, "text_too_long", f"The text has {length:,} characters; the limit is {limit:,}.")


def too_many_texts(count: int, limit: int) -> ApiError:
    return ApiError(413, "too_many_texts", f"{count:,} texts in one call; the limit is {limit:,}.")


def texts_too_long(length: int, limit: int) -> ApiError:
    return ApiError(413, "texts_too_long", f"The texts have {length:,} characters together; "
                                           f"the limit is {limit:,}.")


def too_long_for_model_server() -> ApiError:
    return ApiError(413, "text_too_long", "The text is too large for the model server.")


# --- load shedding: refuse now rather than queue ------------------------------------------

def overloaded() -> ApiError:
    return ApiError(503, "overloaded", "The service is at capacity; try again shortly.", retry_after=1)


def rate_limited(seconds: int) -> ApiError:
    return ApiError(429, "rate_limited", "Too many requests from this client; slow down.", retry_after=seconds)


# --- the model server ----------------------------------------------------------------------

def model_unavailable(message: str = "The model server is unavailable; try again shortly.") -> ApiError:
    return ApiError(503, "model_unavailable", message, retry_after=5)


def model_timeout(seconds: float) -> ApiError:
    return ApiError(504, "model_timeout", f"The model server did not answer within {seconds:g} s.")


def model_server_error(message: str) -> ApiError:
    return ApiError(502, "model_server_error", message)


# --- handlers --------------------------------------------------------------------------------

HTTP_CODES = {413: "body_too_large", 404: "not_found", 405: "method_not_allowed"}
# Every code an answer can carry (the constructors above, the handlers below): each has its
# toxicity_ui_exceptions_total series from the start (tests/unit/test_ui_metrics.py keeps this whole).
ERROR_CODES = ("invalid_json", "unsupported_media_type", "invalid_header", "empty_text", "invalid_text",
               "text_too_long", "texts_too_long", "too_many_texts", "rate_limited", "overloaded",
               "model_unavailable", "model_timeout", "model_server_error", "csrf", "http_error",
               "missing_api_key", "invalid_api_key", "quota_exceeded", "cross_site", "internal_error",
               # Perspective's API (perspective_request.py)
               "invalid_request", "no_requested_attributes", "unknown_attribute", "unsupported_language",
               "language_detection_failed",
               *HTTP_CODES.values())
ENVELOPES = "toxicity_ui_error_envelopes"
INTERNAL_MESSAGE = "Something went wrong on our side; the error was logged."


def add_envelope(app, prefixes: tuple[str, ...], render) -> None:
    """Errors of paths under these prefixes are answered by render(ApiError) -> (body, status),
    another API's shape (Perspective's: Google's error model)."""
    app.extensions.setdefault(ENVELOPES, []).append((prefixes, render))


def _envelope():
    for prefixes, render in current_app.extensions.get(ENVELOPES, []):
        if request.path.startswith(prefixes):
            return render
    return None


def _enveloped(error: ApiError, render, headers=()):
    body, status = render(error)
    response = jsonify(body)
    response.status_code = status
    for name, value in headers:
        response.headers[name] = value
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz", "/metrics")


def _api_error(error: ApiError):
    metrics.EXCEPTIONS.labels(type=error.code).inc()
    retry = [("Retry-After", str(error.retry_after))] if error.retry_after else []
    if render := _envelope():
        return _enveloped(error, render, retry)
    response = jsonify(error.body())
    response.headers.extend(retry)
    return response, error.status


def _http_error(error: HTTPException):
    code = HTTP_CODES.get(error.code, "http_error")
    message = error.description
    if error.code == 413:
        message = f"The request body is larger than {current_app.config['MAX_CONTENT_LENGTH']:,} bytes."
    metrics.EXCEPTIONS.labels(type=code).inc()
    # e.g. Allow on a 405, as HTTP requires
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    if render := _envelope():
        return _enveloped(ApiError(error.code, code, message), render, headers)
    if _wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        response = make_response(render_template("error.html", status=error.code, message=message))
    response.status_code = error.code
    for name, value in headers:
        response.headers[name] = value
    return response


def _unexpected(error: Exception):
    logger.exception("unhandled error")
    metrics.EXCEPTIONS.labels(type=type(error).__name__).inc()
    if render := _envelope():
        return _enveloped(ApiError(500, "internal_error", INTERNAL_MESSAGE), render)
    if _wants_json():
        return jsonify({"error": {"code": "internal_error", "message": INTERNAL_MESSAGE}}), 500
    return render_template("error.html", status=500, message=INTERNAL_MESSAGE), 500


def init_app(app) -> None:
    metrics.init_known_series(ERROR_CODES)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
