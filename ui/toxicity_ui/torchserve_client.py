"""The UI's only way to TorchServe: pooled connections, timeouts, mapped errors.

urllib3 directly rather than requests (which wraps it): per call, requests
merges environment proxy settings, cookies and hooks the UI never uses; that
was half of the UI's CPU per prediction under load (profiled with py-spy).

Connection errors (nothing was sent) are retried a bounded number of times;
a request that reached TorchServe is never retried, so a slow model is not
hit twice. Whatever TorchServe answers, callers only ever see ApiError with
our own message, never TorchServe's body or a traceback.
"""

import json
import logging
import time
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry

from .config import Settings
from .model_names import LABELS
from .torchserve_ready import has_ready_worker
from .errors import (invalid_text, model_server_error as bad_gateway, model_timeout as timed_out,
                     model_unavailable as unavailable, too_long_for_model_server)

logger = logging.getLogger(__name__)


@dataclass
class Prediction:
    results: list         # per text: the handler's validated prediction, or its {"error": ...}
    model: dict           # the model that scored them
    seconds: float        # time spent waiting for TorchServe


def _validate_prediction(body) -> dict:
    """Check the shape of one text's prediction before anything is shown to a user."""
    if not isinstance(body, dict) or not isinstance(body.get("scores"), dict):
        raise ValueError("no scores")
    scores = body["scores"]
    if set(scores) != set(LABELS) or not all(isinstance(v, (int, float)) for v in scores.values()):
        raise ValueError("unexpected labels or score types")
    for key, kind in (("is_toxic", bool), ("threshold", (int, float)), ("windows", int), ("drivers", dict)):
        if not isinstance(body.get(key), kind):
            raise ValueError(f"missing {key}")
    if not isinstance(body.get("explanation", {}), dict):
        raise ValueError("bad explanation")
    return body


def _validate_result(body) -> dict:
    """A text of a many-texts answer: a prediction, or the handler's error for that text."""
    if isinstance(body, dict) and "error" in body:
        error = body["error"]
        if not isinstance(error, dict) or not isinstance(error.get("code"), int):
            raise ValueError("bad error")
        return {"error": {"code": error["code"], "message": _handler_message(json.dumps(body).encode())}}
    return _validate_prediction(body)


def _validate(body, count: int | None) -> tuple[list, dict]:
    """The results and model of a one-text answer (count None) or of a many-texts answer."""
    if not isinstance(body, dict) or not isinstance(body.get("model"), dict):
        raise ValueError("missing model")
    if count is None:
        return [_validate_prediction(body)], body["model"]
    results = body.get("results")
    if not isinstance(results, list) or len(results) != count:
        raise ValueError("results do not match the texts sent")
    return [_validate_result(result) for result in results], body["model"]


def _handler_message(data: bytes) -> str:
    try:
        message = json.loads(data)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return "it cannot be scored"
    return message[:300] if isinstance(message, str) else "it cannot be scored"


class TorchServeClient:
    def __init__(self, settings: Settings):
        self.settings = settings
        # read=False: a read error re-raises as itself (a timeout stays a timeout, never retried).
        self.retry = Retry(total=settings.connect_retries, connect=settings.connect_retries, read=False,
                           status=0, other=0, redirect=0, allowed_methods=None, backoff_factor=0.05,
                           raise_on_status=False)
        base = settings.torchserve_inference_url.rstrip("/")
        self.predict_url = f"{base}/predictions/{settings.model_name}"
        self.model_url = f"{settings.torchserve_management_url.rstrip('/')}/models/{settings.model_name}"
        self.timeout = urllib3.Timeout(connect=settings.connect_timeout_seconds,
                                       read=settings.read_timeout_seconds)
        # One pool per TorchServe API; block=False: a burst opens extra connections, never waits.
        self.inference = urllib3.connection_from_url(self.predict_url, maxsize=64, block=False)
        # A rollout's candidate in a TorchServe of its own (a cluster's Deployment), else the same one.
        self.candidate = self.inference
        self.candidate_path = urllib3.util.parse_url(self.predict_url).request_uri
        if settings.candidate_inference_url:
            candidate_url = f"{settings.candidate_inference_url.rstrip('/')}/predictions/{settings.model_name}"
            self.candidate = urllib3.connection_from_url(candidate_url, maxsize=16, block=False)
            self.candidate_path = urllib3.util.parse_url(candidate_url).request_uri
        self.management = urllib3.connection_from_url(self.model_url, maxsize=4, block=False)
        # A pool is bound to its host: requests name only the path (with any base-URL prefix).
        self.predict_path = urllib3.util.parse_url(self.predict_url).request_uri
        self.model_path = urllib3.util.parse_url(self.model_url).request_uri

    def predict(self, text: str, explain_at: dict | None = None, version: str | None = None,
                read_timeout: float | None = None) -> Prediction:
        """One text; explain_at: explain the labels at or above these scores; version: this
        model version (a rollout's candidate) instead of TorchServe's default one."""
        return self._post({"text": text}, None, explain_at, version, read_timeout)

    def predict_many(self, texts: list[str], explain_at: dict | None = None, version: str | None = None,
                     read_timeout: float | None = None) -> Prediction:
        """Many texts in one call, scored in the handler's batch: a result (or error) per text."""
        return self._post({"texts": texts}, len(texts), explain_at, version, read_timeout)

    def _post(self, request: dict, count: int | None, explain_at: dict | None, version: str | None,
              read_timeout: float | None) -> Prediction:
        if explain_at:
            request.update(explain=True, explain_at=explain_at)
        # The version comes from the routing, which only admits safe version names.
        pool, path = (self.candidate, f"{self.candidate_path}/{version}") if version else \
            (self.inference, self.predict_path)
        read_timeout = read_timeout or self.settings.read_timeout_seconds
        timeout = self.timeout if read_timeout == self.settings.read_timeout_seconds else \
            urllib3.Timeout(connect=self.settings.connect_timeout_seconds, read=read_timeout)
        started = time.perf_counter()
        try:
            reply = pool.urlopen("POST", path, body=json.dumps(request).encode(),
                                           headers={"Content-Type": "application/json"},
                                           timeout=timeout, retries=self.retry)
        except ReadTimeoutError:  # connected, but no answer in time
            raise timed_out(read_timeout) from None
        except (MaxRetryError, ProtocolError):  # could not connect, or the connection dropped
            raise unavailable() from None
        except HTTPError as error:
            logger.warning("model server request failed: %s", error)
            raise bad_gateway("The model server could not be reached correctly.") from None
        seconds = time.perf_counter() - started
        results, model = self._read(reply.status, reply.data, count, read_timeout)
        return Prediction(results, model, seconds)

    def _read(self, status: int, data: bytes, count: int | None, read_timeout: float) -> tuple[list, dict]:
        if status == 200:
            try:
                return _validate(json.loads(data), count)
            except ValueError as error:
                logger.error("model server sent an invalid response: %s", error)
                raise bad_gateway("The model server sent an invalid response.") from None
        logger.warning("model server answered %s: %.300s", status, data.decode("utf-8", "replace"))
        if status in (404, 503, 507):   # model not loaded / no worker / queue full / out of memory
            raise unavailable()
        if status == 504 or status == 408:
            raise timed_out(read_timeout)
        if status == 413:
            raise too_long_for_model_server()
        if status == 422:  # the handler could not score this text; its message is ours, not TorchServe's
            raise invalid_text(f"The model server refused the text: {_handler_message(data)}.")
        if 400 <= status < 500:
            raise bad_gateway("The model server refused the request.")
        raise bad_gateway("The model server failed to score the text.")

    def _fetch_model(self, read_timeout: float) -> tuple[dict | None, str]:
        """The management API's description of the model, or None and what went wrong."""
        try:
            reply = self.management.urlopen(
                "GET", self.model_path, retries=False,
                timeout=urllib3.Timeout(connect=self.settings.connect_timeout_seconds, read=read_timeout))
        except HTTPError:
            return None, "model server unreachable"
        if reply.status != 200:
            return None, f"model server answered {reply.status}"
        try:
            status = json.loads(reply.data)[0]
        except (ValueError, IndexError, KeyError, TypeError):
            status = None
        if not isinstance(status, dict):
            return None, "unexpected management API response"
        return status, ""

    def model_status(self, read_timeout: float = 5.0) -> dict | None:
        return self._fetch_model(read_timeout)[0]

    def model_ready(self) -> tuple[bool, str]:
        """READY means a worker has loaded the model; /ping is Healthy long before that."""
        status, problem = self._fetch_model(read_timeout=5.0)
        if status is None:
            return False, problem
        return (True, "ready") if has_ready_worker(status) else (False, "no READY worker")
