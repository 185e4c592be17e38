"""Liveness (/healthz: the process answers) and readiness (/readyz: the model is READY)."""

from flask import Blueprint, jsonify

from .services import services

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    return jsonify(status="ok")


@health.get("/readyz")
def readyz():
    ready, reason = services().client.model_ready()
    if ready:
        return jsonify(status="ready")
    response = jsonify(status="not_ready", reason=reason)
    response.headers["Retry-After"] = "5"
    return response, 503
