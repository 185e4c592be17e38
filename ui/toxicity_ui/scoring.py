"""Score one text: validate it, ask TorchServe, shape the answer.

Shared by the JSON API and the HTML page so both apply the same limits and
report the same verdict.
"""

import time

from . import metrics
from .errors import ApiError
from .services import services


def admit(client_address: str) -> None:
    """Refuse now (429/503) rather than queue: the per-client rate, then the in-flight bound."""
    services().rate_limiter.check(client_address or "unknown")


def score_text(text: str) -> dict:
    """Score a validated text; the serving model is remembered for the page's banner."""
    service = services()
    settings = service.settings
    started = time.perf_counter()
    try:
        with service.in_flight:
            prediction = service.client.predict(text)
    except ApiError as error:
        metrics.MODEL_SERVER_SECONDS.labels(outcome=error.code).observe(time.perf_counter() - started)
        raise
    body = prediction.body
    scores = {label: float(score) for label, score in body["scores"].items()}
    threshold = settings.verdict_threshold if settings.verdict_threshold is not None else float(body["threshold"])
    over = [label for label, score in sorted(scores.items(), key=lambda kv: -kv[1]) if score >= threshold]
    top_label = max(scores, key=scores.get)
    is_toxic = bool(over)
    model = body["model"]
    metrics.record_prediction(scores, threshold, is_toxic, prediction.seconds, len(text))
    result = {
        "scores": scores,
        "verdict": {"is_toxic": is_toxic, "top_label": top_label, "top_score": scores[top_label],
                    "labels": over},
        "threshold": threshold,
        "model": model.get("name", "unknown"),
        "model_version": model.get("version", "unknown"),
        "model_date": model.get("created"),
        "model_precision": model.get("precision"),
        "demo": bool(model.get("demo", False)),
        "version": settings.app_version,
        "tokens": body.get("tokens"),
        "truncated": bool(body.get("truncated", False)),
        "timing_ms": {"total": round((time.perf_counter() - started) * 1000, 1),
                      "model_server": round(prediction.seconds * 1000, 1)},
    }
    service.last_model.remember(result)
    return result

