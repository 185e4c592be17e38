"""The UI's Prometheus metrics, correct under gunicorn's several worker processes.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py sets it), every worker
writes its samples to that directory and /metrics aggregates them; without it
(tests, the Flask dev server) the default in-process registry is used.
"""

import os
import time

from flask import Response, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest, multiprocess)
from prometheus_client import REGISTRY

from .policy import DECISIONS as DECISION_VALUES, LABELS

if directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # gunicorn's hook creates it; a process started without gunicorn (the alert log
    # receiver runs from the same image) must not crash on importing this package.
    os.makedirs(directory, exist_ok=True)

# 10 ms to 10 s: from a cached short text to a long one under load.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TEXT_LENGTH_BUCKETS = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)

REQUESTS = Counter("toxicity_ui_requests_total", "HTTP requests answered by the UI",
                   ["endpoint", "method", "status"])
REQUEST_SECONDS = Histogram("toxicity_ui_request_duration_seconds", "Time to answer a UI request",
                            ["endpoint"], buckets=LATENCY_BUCKETS)
MODEL_SERVER_SECONDS = Histogram("toxicity_ui_model_server_duration_seconds",
                                 "Time waiting for TorchServe per prediction", ["outcome"],
                                 buckets=LATENCY_BUCKETS)
IN_PROGRESS = Gauge("toxicity_ui_requests_in_progress", "UI requests being answered now",
                    ["endpoint"], multiprocess_mode="livesum")
TEXT_LENGTH = Histogram("toxicity_ui_text_length_characters", "Length of the texts submitted",
                        buckets=TEXT_LENGTH_BUCKETS)
PREDICTIONS = Counter("toxicity_ui_predictions_total", "Texts scored, by verdict", ["verdict"])
DECISIONS = Counter("toxicity_ui_decisions_total", "Texts scored, by the policy's decision",
                    ["decision"])
DECISION_LABELS = Counter("toxicity_ui_decision_labels_total",
                          "Labels that caused a review or block decision", ["decision", "label"])
WINDOWS = Histogram("toxicity_ui_text_windows", "Windows a scored text was split into",
                    buckets=(1, 2, 4, 8, 16, 32))
EXPLAINED = Counter("toxicity_ui_explained_texts_total", "Texts scored with an explanation")
BATCH_TEXTS = Histogram("toxicity_ui_batch_texts", "Texts per many-texts API call", buckets=BATCH_BUCKETS)
EXCEPTIONS = Counter("toxicity_ui_exceptions_total", "Errors raised while answering, by type",
                     ["type"])

# API keys and Perspective's API (callers.py, perspective.py). key: the key's name, never the key.
API_CALLS = Counter("toxicity_ui_api_calls_total", "Calls to the JSON APIs, by API, method, API key name and status",
                    ["api", "method", "key", "status"])
PERSPECTIVE_ATTRIBUTES = Counter("toxicity_ui_perspective_attributes_total",
                                 "Attributes requested in Perspective comments:analyze calls", ["attribute"])
FEEDBACK = Counter("toxicity_ui_feedback_total", "Suggested scores kept (comments:suggestscore)", ["key"])

# Rollouts (routing.py, background_compare.py): which version scored, and how they compare.
# role: primary | candidate; purpose: answer (shown to the user) | compare (in the background).
VERSION_CALLS = Counter("toxicity_ui_version_calls_total", "Calls to each model version, by outcome",
                        ["version", "role", "purpose", "outcome"])
VERSION_SECONDS = Histogram("toxicity_ui_version_duration_seconds",
                            "Time a model version took to answer a call", ["version", "role", "purpose"],
                            buckets=LATENCY_BUCKETS)
ROUTED = Counter("toxicity_ui_rollout_routed_total", "Calls answered, by routing mode and the version's role",
                 ["mode", "role"])
COMPARISON_OUTCOMES = ("agree", "disagree", "failed", "dropped")
COMPARISONS = Counter("toxicity_ui_rollout_comparisons_total",
                      "Texts scored by both versions: agree, disagree; or not compared: failed, dropped",
                      ["outcome"])
SCORE_DIFFERENCE = Histogram("toxicity_ui_rollout_score_difference",
                             "Absolute difference of the candidate's and the primary's score, per label",
                             ["label"], buckets=(0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0))
DIRECTIONS = ("candidate_flags", "candidate_clears")  # the candidate is stricter / looser
DISAGREEMENTS = Counter("toxicity_ui_rollout_disagreements_total",
                        "Labels one version flags (review threshold) and the other does not",
                        ["label", "direction"])
COMPARE_QUEUE = Gauge("toxicity_ui_rollout_queue_depth", "Comparisons waiting for the other version",
                      multiprocess_mode="livesum")
# The routing mode and canary share are read at scrape time (routing.RoutingCollector), not here:
# one family, one source, or the exposition carries it twice and a scrape is invalid.


def init_known_series(error_codes) -> None:
    """Create the series whose label values are known in advance, at 0. A labelled counter has
    no series until its first increment, so a panel would say "No data" where the answer is 0
    (Prometheus's instrumentation guidance: avoid missing metrics)."""
    for code in error_codes:
        EXCEPTIONS.labels(type=code)
    for decision in DECISION_VALUES:
        DECISIONS.labels(decision=decision)
        PREDICTIONS.labels(verdict="not_toxic" if decision == "allow" else "toxic")
        if decision != "allow":
            for label in LABELS:
                DECISION_LABELS.labels(decision=decision, label=label)
    for label in LABELS:
        SCORE_DIFFERENCE.labels(label=label)
        for direction in DIRECTIONS:
            DISAGREEMENTS.labels(label=label, direction=direction)
    for outcome in COMPARISON_OUTCOMES:
        COMPARISONS.labels(outcome=outcome)


def exposition(live_collectors=()) -> tuple[bytes, str]:
    """The metrics in Prometheus text format, aggregated over worker processes, plus what
    the live collectors read now (TorchServe's model state, the routing in force)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    if live_collectors:
        live = CollectorRegistry(auto_describe=False)
        for collector in live_collectors:
            live.register(collector)
        body += generate_latest(live)
    return body, CONTENT_TYPE_LATEST


def record_result(decision, text_length: int, windows: int, explained: bool) -> None:
    """One scored text; decision: the policy's Decision."""
    TEXT_LENGTH.observe(text_length)
    WINDOWS.observe(windows)
    PREDICTIONS.labels(verdict="not_toxic" if decision.decision == "allow" else "toxic").inc()
    DECISIONS.labels(decision=decision.decision).inc()
    for label in decision.labels:
        DECISION_LABELS.labels(decision=decision.decision, label=label).inc()
    if explained:
        EXPLAINED.inc()


def record_api_call(api: str, method: str, status: int) -> None:
    """A call to one of the JSON APIs, by the caller's key name (callers.py sets it; "refused":
    the call had no valid key, or was refused before its key was read)."""
    API_CALLS.labels(api=api, method=method, key=g.get("api_key_name", "refused"), status=str(status)).inc()


def record_version_failure(version: str | None, role: str, purpose: str, error_code: str) -> None:
    """A call a model version failed; version None: TorchServe's default."""
    VERSION_CALLS.labels(version=version or "default", role=role, purpose=purpose, outcome=error_code).inc()


def record_version_call(model: dict, role: str, purpose: str, seconds: float) -> None:
    """A call a model version answered; model: the handler's description (its version)."""
    version = str(model.get("version", "unknown"))
    VERSION_CALLS.labels(version=version, role=role, purpose=purpose, outcome="ok").inc()
    VERSION_SECONDS.labels(version=version, role=role, purpose=purpose).observe(seconds)


def _endpoint_label() -> str:
    return request.url_rule.rule if request.url_rule else "unmatched"


def _start_timer():
    g.started = time.perf_counter()
    g.endpoint_label = _endpoint_label()
    IN_PROGRESS.labels(endpoint=g.endpoint_label).inc()


def _record_duration(exc):
    if "started" not in g:
        return
    IN_PROGRESS.labels(endpoint=g.endpoint_label).dec()
    REQUEST_SECONDS.labels(endpoint=g.endpoint_label).observe(time.perf_counter() - g.started)


def _count(response):
    label = g.get("endpoint_label", _endpoint_label())
    REQUESTS.labels(endpoint=label, method=request.method, status=str(response.status_code)).inc()
    return response


def init_app(app, live_collectors=()) -> None:
    """Serve /metrics, and count and time every request by its route."""
    def metrics_endpoint():
        body, content_type = exposition(live_collectors)
        return Response(body, content_type=content_type)

    app.add_url_rule("/metrics", "metrics", metrics_endpoint, methods=["GET"])
    app.before_request(_start_timer)
    app.teardown_request(_record_duration)
    app.after_request(_count)
