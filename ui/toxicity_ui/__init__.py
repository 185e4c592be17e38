"""Toxicity Monitor UI: the web page and JSON API in front of TorchServe."""

import logging
import time

from flask import Flask, Response, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from . import metrics
from .admission import InFlightLimit, RateLimiter
from .api import api
from .config import Settings
from .errors import ApiError
from .health import health
from .model_status import ModelStatusCollector
from .pages import CheckForm, pages, render
from .torchserve_client import TorchServeClient
from .version import VERSION

__version__ = VERSION
logger = logging.getLogger(__name__)

SECURITY_HEADERS = {
    # No inline scripts or styles at all: bars are <meter> elements, not styled divs.
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'; object-src 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz", "/metrics")


def _endpoint_label() -> str:
    return request.url_rule.rule if request.url_rule else "unmatched"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.json.sort_keys = False  # keep the labels in the model's order
    app.config.update(
        SETTINGS=settings,
        CLIENT=TorchServeClient(settings),
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_body_bytes,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session cookie
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        LAST_MODEL=None,
        IN_FLIGHT=InFlightLimit(settings.max_in_flight),
        RATE_LIMITER=RateLimiter(settings.rate_limit_per_minute),
    )
    csrf = CSRFProtect(app)
    csrf.exempt(api)  # JSON only (415 otherwise), so a cross-site form cannot post to it
    app.register_blueprint(pages)
    app.register_blueprint(api)
    app.register_blueprint(health)

    client = app.config["CLIENT"]
    model_status = ModelStatusCollector(lambda: client.model_status(read_timeout=2.0))

    @app.get("/metrics")
    def metrics_endpoint():
        body, content_type = metrics.exposition(model_status)
        return Response(body, content_type=content_type)

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()
        g.endpoint_label = _endpoint_label()
        metrics.IN_PROGRESS.labels(endpoint=g.endpoint_label).inc()

    @app.after_request
    def finish(response):
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.teardown_request
    def record(exc):
        if "started" not in g:
            return
        metrics.IN_PROGRESS.labels(endpoint=g.endpoint_label).dec()
        metrics.REQUEST_SECONDS.labels(endpoint=g.endpoint_label).observe(time.perf_counter() - g.started)

    @app.after_request
    def count(response):
        label = g.get("endpoint_label", _endpoint_label())
        metrics.REQUESTS.labels(endpoint=label, method=request.method, status=str(response.status_code)).inc()
        return response

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        metrics.EXCEPTIONS.labels(type=error.code).inc()
        response = jsonify(error.body())
        if error.retry_after:
            response.headers["Retry-After"] = str(error.retry_after)
        return response, error.status

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        metrics.EXCEPTIONS.labels(type="csrf").inc()
        return render(CheckForm(), error="Your session expired or the form was not sent by this page. "
                                         "Please submit again.", status=400)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = {413: "body_too_large", 404: "not_found", 405: "method_not_allowed"}.get(
            error.code, "http_error")
        message = {413: f"The request body is larger than {settings.max_body_bytes:,} bytes."}.get(
            error.code, error.description)
        metrics.EXCEPTIONS.labels(type=code).inc()
        if _wants_json():
            response = jsonify({"error": {"code": code, "message": message}})
        else:
            response = make_response(render_template("error.html", status=error.code, message=message))
        response.status_code = error.code
        for name, value in error.get_headers():  # e.g. Allow on a 405, as HTTP requires
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        logger.exception("unhandled error")
        metrics.EXCEPTIONS.labels(type=type(error).__name__).inc()
        message = "Something went wrong on our side; the error was logged."
        if _wants_json():
            return jsonify({"error": {"code": "internal_error", "message": message}}), 500
        return render_template("error.html", status=500, message=message), 500

    return app
