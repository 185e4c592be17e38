"""Call the UI's JSON API: the retries every caller needs, one text per call, or many.

The service sheds load with 429 (this client is too fast) and 503 (the service is
busy), both with Retry-After. The client honours it for all its threads at once:
one refusal pauses every sender until the time the server named, so a large file
slows down to what the service can take instead of hammering it.

Two scorers on the same calls: ApiScorer sends one text per call (what `toxmon score`
did before bulk scoring; the benchmark keeps it as the baseline), BulkScorer (bulk.py)
many texts per call.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

DEFAULT_URL = "http://127.0.0.1:5000"
API_PATH = "/api/v1/toxicity"
RETRYABLE = (429, 503)
CONNECT_ATTEMPTS = 3  # a service that is down stays down for a while: report it soon


class ScoreError(Exception):
    """One text could not be scored; the message says why (the API's own words when it gave some).
    code: the API's error code (text_too_long, ...), or what went wrong on the way (unreachable)."""

    def __init__(self, message: str, code: str = "error", status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


class ApiCaller:
    """POSTs to the API with the waits the service asks for; one requests.Session per thread."""

    def __init__(self, url: str = DEFAULT_URL, timeout: float = 60.0, max_attempts: int = 8,
                 max_wait: float = 60.0):
        self.endpoint = url.rstrip("/") + API_PATH
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.retries_honoured = 0   # 429/503 answers waited out (reported in the summary)
        self._resume_at = 0.0       # monotonic time before which no thread sends
        self._lock = threading.Lock()
        self._local = threading.local()

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def _wait_turn(self) -> None:
        while (delay := self._resume_at - time.monotonic()) > 0:
            time.sleep(delay)

    def _pause_all(self, seconds: float) -> None:
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)
            self.retries_honoured += 1

    def post(self, body: dict) -> requests.Response:
        """The answer to body: a 200, or the last refusal once 429/503 were waited out
        max_attempts times. Raises ScoreError when the service cannot be reached or is silent."""
        for attempt in range(1, self.max_attempts + 1):
            self._wait_turn()
            try:
                response = self._session().post(self.endpoint, json=body, timeout=self.timeout)
            except requests.ConnectionError:
                if attempt >= min(CONNECT_ATTEMPTS, self.max_attempts):
                    raise ScoreError(f"cannot connect to {self.endpoint}", "unreachable") from None
                self._pause_all(min(2 ** attempt * 0.25, self.max_wait))
                continue
            except requests.Timeout:
                raise ScoreError(f"no answer within {self.timeout:g} s", "client_timeout") from None
            if response.status_code in RETRYABLE and attempt < self.max_attempts:
                self._pause_all(self._retry_after(response))
                continue
            return response
        raise ScoreError("gave up")  # not reached: the last attempt returns or raises

    def _retry_after(self, response) -> float:
        try:
            seconds = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            seconds = 1.0
        return min(max(seconds, 0.1), self.max_wait)


def error_of(response) -> ScoreError:
    """The API's refusal as a ScoreError: its status, code and message."""
    try:
        error = response.json()["error"]
        return ScoreError(f"{response.status_code} {error['code']}: {error['message']}", str(error["code"]),
                          response.status_code)
    except (ValueError, KeyError, TypeError):
        return ScoreError(f"HTTP {response.status_code}", f"http_{response.status_code}", response.status_code)


def error_in_results(error: dict) -> ScoreError:
    """One text's refusal inside a many-texts answer (its code and message; no status of its own)."""
    return ScoreError(f"{error.get('code')}: {error.get('message')}", str(error.get("code")))


class ApiScorer(ApiCaller):
    """One text per call, `concurrency` calls in flight."""

    def __init__(self, url: str = DEFAULT_URL, concurrency: int = 4, **options):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        super().__init__(url, **options)
        self.concurrency = concurrency

    def score(self, text: str) -> dict:
        response = self.post({"text": text})
        if response.status_code == 200:
            return response.json()
        raise error_of(response)

    def score_all(self, texts: list, on_done=None) -> list:
        """Score every text (None stands for a row that could not be read); returns, in input
        order, a result dict or a ScoreError per text. on_done() is called once per text."""
        def one(text):
            try:
                return self.score(text) if text is not None else None
            except ScoreError as error:
                return error
            finally:
                if on_done:
                    on_done()
        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(one, texts))
