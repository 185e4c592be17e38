"""Score texts: ask TorchServe, apply the per-label policy, shape the answer.

Shared by the JSON API and the HTML page so both apply the same limits and
report the same verdict. One text or many, TorchServe gets one call: many texts
travel as one {"texts": [...]} request and are scored in the handler's batch.
"""

import time

from . import language as languages, metrics
from .background_compare import CompareJob
from .errors import ApiError, invalid_text, model_server_error, too_long_for_model_server
from .routing import Route
from .services import services

# A canary call the candidate cannot take (not loaded, no worker, a broken answer) goes to
# the primary instead: a bad candidate must not take a share of the users down with it.
FALL_BACK_ON = ("model_unavailable", "model_server_error")


def admit(client: str) -> None:
    """Refuse now (429/503) rather than queue: the per-client rate, then the in-flight bound.
    client: the caller's address, or its API key's name when keys are configured."""
    services().rate_limiter.check(client or "unknown")


def score_text(text: str, explain: bool = False, client: str = "", store: bool = True,
               language: languages.Language | None = None) -> dict:
    """One validated text: its scores, verdict, language, model and timing. client: who asks
    (the canary keeps each client on one side); store False: the text is kept nowhere, not
    even as a rollout's disagreement sample; language: already detected by the caller."""
    started = time.perf_counter()
    prediction = _predict([text], many=False, explain=explain, client=client, store=store)
    result = _result(prediction.results[0], text, language)
    return {**result, "policy": services().policy.as_dict(), **_model_fields(prediction.model),
            "timing_ms": _timing(started, prediction.seconds)}


def score_texts(texts: list, explain: bool = False, client: str = "", store: bool = True,
                detect_language: bool = True) -> dict:
    """Many texts, each validated (a str) or refused (an ApiError): one result per text, in order."""
    started = time.perf_counter()
    valid = [text for text in texts if isinstance(text, str)]
    prediction = _predict(valid, many=True, explain=explain, client=client, store=store) if valid else None
    scored = iter(prediction.results if prediction else [])
    results = []
    for text in texts:
        if isinstance(text, ApiError):
            results.append(text.body())
            continue
        answer = next(scored)
        if "error" in answer:  # the handler refused this text alone
            error = _handler_refusal(answer["error"])
            metrics.EXCEPTIONS.labels(type=error.code).inc()
            results.append(error.body())
        else:
            results.append(_result(answer, text, None if detect_language else False))
    metrics.BATCH_TEXTS.observe(len(texts))
    body = {"results": results, "policy": services().policy.as_dict()}
    if prediction:
        body.update(_model_fields(prediction.model))
    body["version"] = services().settings.app_version
    body["timing_ms"] = _timing(started, prediction.seconds if prediction else 0.0)
    return body


def _predict(texts: list[str], many: bool, explain: bool, client: str, store: bool):
    service = services()
    route = service.routing.route(client)
    started = time.perf_counter()
    try:
        with service.in_flight, service.comparer.user_call():
            try:
                prediction = _ask(texts, many, explain, route.answer_version)
            except ApiError as error:
                if route.answered_by != "candidate" or error.code not in FALL_BACK_ON:
                    raise
                metrics.record_version_failure(route.answer_version, route.answered_by, "answer", error.code)
                route = Route(route.mode, "primary", route.candidate, compare=False)
                prediction = _ask(texts, many, explain, None)
    except ApiError as error:
        metrics.MODEL_SERVER_SECONDS.labels(outcome=error.code).observe(time.perf_counter() - started)
        metrics.record_version_failure(route.answer_version, route.answered_by, "answer", error.code)
        raise
    metrics.MODEL_SERVER_SECONDS.labels(outcome="ok").observe(prediction.seconds)
    metrics.ROUTED.labels(mode=route.mode, role=route.answered_by).inc()
    metrics.record_version_call(prediction.model, route.answered_by, "answer", prediction.seconds)
    service.last_model.remember(prediction.model)
    if route.compare:
        service.comparer.submit(CompareJob(route, texts, many, prediction, keep_samples=store))
    return prediction


def _ask(texts: list[str], many: bool, explain: bool, version: str | None):
    service = services()
    explain_at = service.policy.review if explain else None
    if many:
        return service.client.predict_many(texts, explain_at, version)
    return service.client.predict(texts[0], explain_at, version)


def _result(prediction: dict, text: str, language) -> dict:
    """language: the text's, already detected; None: detect it here; False: not wanted."""
    scores = {label: float(score) for label, score in prediction["scores"].items()}
    decision = services().policy.decide(scores)
    top_label = max(scores, key=scores.get)
    metrics.record_result(decision, len(text), prediction["windows"], "explanation" in prediction)
    result = {
        "scores": scores,
        "verdict": {"decision": decision.decision, "is_toxic": decision.decision != "allow",
                    "labels": decision.labels, "top_label": top_label, "top_score": scores[top_label]},
        "tokens": prediction.get("tokens"),
        "windows": prediction["windows"],
        # Which part of the text each label of the verdict comes from (the window that scored it).
        "drivers": {label: prediction["drivers"][label] for label in decision.labels
                    if label in prediction["drivers"]},
    }
    if language is not False:
        # toxic-bert reads English only: say so, without refusing the text.
        result["language"] = (language or languages.detect(text)).as_dict()
    if "explanation" in prediction:
        result["explanation"] = prediction["explanation"]
    return result


def _model_fields(model: dict) -> dict:
    return {"model": model.get("name", "unknown"), "model_version": model.get("version", "unknown"),
            "model_date": model.get("created"), "model_precision": model.get("precision"),
            "demo": bool(model.get("demo", False)), "version": services().settings.app_version}


def _timing(started: float, model_seconds: float) -> dict:
    return {"total": round((time.perf_counter() - started) * 1000, 1),
            "model_server": round(model_seconds * 1000, 1)}


def _handler_refusal(error: dict) -> ApiError:
    code = error["code"]
    if code == 413:
        return too_long_for_model_server()
    if 400 <= code < 500:
        return invalid_text(f"The model server refused the text: {error['message']}.")
    return model_server_error("The model server failed to score this text.")
