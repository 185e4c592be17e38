"""The UI's only way to TorchServe: one pooled session, timeouts, mapped errors.

Connection errors (nothing was sent) are retried a bounded number of times;
a request that reached TorchServe is never retried, so a slow model is not
hit twice. Whatever TorchServe answers, callers only ever see ApiError with
our own message, never TorchServe's body or a traceback.
"""

import logging
import time
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .config import Settings
from .errors import ApiError

logger = logging.getLogger(__name__)

LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")


def unavailable(message: str = "The model server is unavailable; try again shortly.") -> ApiError:
    return ApiError(503, "model_unavailable", message, retry_after=5)


def timed_out(seconds: float) -> ApiError:
    return ApiError(504, "model_timeout", f"The model server did not answer within {seconds:g} s.")


def bad_gateway(message: str) -> ApiError:
    return ApiError(502, "model_server_error", message)


@dataclass
class Prediction:
    body: dict            # the handler's validated response
    seconds: float        # time spent waiting for TorchServe


def _validate(body) -> dict:
    """Check the handler's response shape before anything is shown to a user."""
    if not isinstance(body, dict) or not isinstance(body.get("scores"), dict):
        raise ValueError("no scores")
    scores = body["scores"]
    if set(scores) != set(LABELS) or not all(isinstance(v, (int, float)) for v in scores.values()):
        raise ValueError("unexpected labels or score types")
    for key, kind in (("is_toxic", bool), ("threshold", (int, float)), ("model", dict)):
        if not isinstance(body.get(key), kind):
            raise ValueError(f"missing {key}")
    return body


class TorchServeClient:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.session = requests.Session()
        # read=False: a read error re-raises as itself (a timeout stays a timeout, never retried).
        retry = Retry(total=settings.connect_retries, connect=settings.connect_retries, read=False,
                      status=0, other=0, redirect=0, allowed_methods=None, backoff_factor=0.05,
                      raise_on_status=False)
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=64, max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        base = settings.torchserve_inference_url.rstrip("/")
        self.predict_url = f"{base}/predictions/{settings.model_name}"
        self.model_url = f"{settings.torchserve_management_url.rstrip('/')}/models/{settings.model_name}"

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.settings.connect_timeout_seconds, self.settings.read_timeout_seconds)

    def predict(self, text: str) -> Prediction:
        started = time.perf_counter()
        try:
            reply = self.session.post(self.predict_url, json={"text": text}, timeout=self.timeout,
                                      headers={"Content-Type": "application/json"})
        except requests.exceptions.ConnectTimeout:
            raise unavailable() from None
        except requests.exceptions.Timeout:  # connected, but no answer in time
            raise timed_out(self.settings.read_timeout_seconds) from None
        except requests.exceptions.ConnectionError:
            raise unavailable() from None
        except requests.exceptions.RequestException as error:
            logger.warning("model server request failed: %s", error)
            raise bad_gateway("The model server could not be reached correctly.") from None
        seconds = time.perf_counter() - started
        return Prediction(self._read(reply), seconds)

    def _read(self, reply: requests.Response) -> dict:
        status = reply.status_code
        if status == 200:
            try:
                return _validate(reply.json())
            except ValueError as error:
                logger.error("model server sent an invalid response: %s", error)
                raise bad_gateway("The model server sent an invalid response.") from None
        logger.warning("model server answered %s: %.300s", status, reply.text)
        if status in (404, 503, 507):   # model not loaded / no worker / queue full / out of memory
            raise unavailable()
        if status == 504 or status == 408:
            raise timed_out(self.settings.read_timeout_seconds)
        if status == 413:
            raise ApiError(413, "text_too_long", "The text is too large for the model server.")
        if 400 <= status < 500:
            raise bad_gateway("The model server refused the request.")
        raise bad_gateway("The model server failed to score the text.")

    def model_ready(self) -> tuple[bool, str]:
        """READY means a worker has loaded the model; /ping is Healthy long before that."""
        try:
            reply = self.session.get(self.model_url, timeout=(self.settings.connect_timeout_seconds, 5))
        except requests.exceptions.RequestException:
            return False, "model server unreachable"
        if reply.status_code != 200:
            return False, f"model server answered {reply.status_code}"
        try:
            workers = reply.json()[0].get("workers", [])
        except (ValueError, IndexError, KeyError, AttributeError):
            return False, "unexpected management API response"
        if any(worker.get("status") == "READY" for worker in workers):
            return True, "ready"
        return False, "no READY worker"
