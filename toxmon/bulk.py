"""Score a stream of rows through the API's many-texts calls, several calls in flight, in order.

Memory stays flat whatever the input's size: rows are read as calls are sent, and at most
`in_flight * REORDER_CALLS` calls' rows wait for an answer or for an older call to finish
(answers are given back in input order, so a call that is slow holds the output, not the
sending, until that bound).

Each input row gives exactly one (row, outcome) pair: a result dict, a ScoreError for that
text, or None for a row that could not be read (its problem is on the row). A call the
service refuses as a whole for its size (413) or time (504) is split in halves until one
text is left, whose refusal is that row's. When the service cannot go on (unreachable,
502, still busy after the waits it asked for, a key refused), ServiceStopped is raised after
every row before the failed call has been given back, so the output holds a contiguous
prefix of the input and `toxmon score --resume` can continue it.
"""

from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

from .api_client import DEFAULT_URL, ApiCaller, ScoreError, error_in_results, error_of
from .texts import InputRow

# The API's limits of one many-texts call (MAX_BATCH_TEXTS, MAX_BATCH_CHARS); a service set
# lower answers 413 for the call, which is then split.
MAX_TEXTS_PER_CALL = 64
MAX_CHARS_PER_CALL = 20_000
# Sized by measurement (the sweep of `toxmon bench --configs bulk`, docs/performance.md "Bulk
# scoring"): 16 texts a call, 4 calls in flight (two per model worker) was the best of 9 sizes
# from 8 to 64 texts and 2 to 8 calls; bigger calls only add waiting, 64 x 2 left a worker idle.
DEFAULT_TEXTS_PER_CALL = 16
DEFAULT_IN_FLIGHT = 4
REORDER_CALLS = 4  # calls answered but waiting for an older one, per call in flight
SPLIT_ON = (413, 504)
STOP_ON = (401, 403)  # a missing or refused key refuses every call


class ServiceStopped(Exception):
    """The service cannot go on scoring; the rows given back so far are complete and in order."""


@dataclass
class Call:
    rows: list        # the InputRows of this call, readable or not, in input order
    outcomes: list | None = None


class BulkScorer(ApiCaller):
    def __init__(self, url: str = DEFAULT_URL, texts_per_call: int = DEFAULT_TEXTS_PER_CALL,
                 in_flight: int = DEFAULT_IN_FLIGHT, max_chars_per_call: int = MAX_CHARS_PER_CALL, **options):
        if not 1 <= texts_per_call <= MAX_TEXTS_PER_CALL:
            raise ValueError(f"texts per call must be 1 to {MAX_TEXTS_PER_CALL}")
        if in_flight < 1:
            raise ValueError("calls in flight must be at least 1")
        super().__init__(url, **options)
        self.texts_per_call = texts_per_call
        self.in_flight = in_flight
        self.max_chars_per_call = max_chars_per_call

    # --- grouping rows into calls ---------------------------------------------------------
    def calls_of(self, rows):
        """Consecutive rows in calls of at most texts_per_call texts and max_chars_per_call
        characters (a longer text goes alone); unreadable rows ride along unsent."""
        batch, texts, chars = [], 0, 0
        for row in rows:
            size = 0 if row.problem else len(row.text)
            if texts and (texts == self.texts_per_call or chars + size > self.max_chars_per_call):
                yield Call(batch)
                batch, texts, chars = [], 0, 0
            batch.append(row)
            if not row.problem:
                texts, chars = texts + 1, chars + size
        if batch:
            yield Call(batch)

    # --- one call -------------------------------------------------------------------------
    def _score_texts(self, texts: list[str]) -> list:
        """A result or a ScoreError per text; raises ServiceStopped."""
        try:
            response = self.post({"texts": texts})
        except ScoreError as error:
            raise ServiceStopped(str(error)) from None
        if response.status_code == 200:
            return self._results(response, len(texts))
        status = response.status_code
        if status not in SPLIT_ON and (status in STOP_ON or status >= 500):
            raise ServiceStopped(str(error_of(response)))
        if len(texts) == 1:  # a refusal of a one-text call is that text's
            return [error_of(response)]
        half = len(texts) // 2  # too big, too slow, or refused for one of them: halve
        return self._score_texts(texts[:half]) + self._score_texts(texts[half:])

    @staticmethod
    def _results(response, count: int) -> list:
        try:
            body = response.json()
            results = body["results"]
        except (ValueError, KeyError, TypeError):
            raise ServiceStopped("the service's answer has no results list") from None
        if not isinstance(results, list) or len(results) != count:
            raise ServiceStopped(f"the service answered {len(results) if isinstance(results, list) else 'no'} "
                                 f"results for {count} texts")
        if not all(isinstance(result, dict) and ("error" in result or "scores" in result) for result in results):
            raise ServiceStopped("the service answered results that are neither scores nor errors")
        # Each row carries the model that scored it, as a one-text answer does.
        model = {key: body.get(key) for key in ("model", "model_version", "model_date", "model_precision", "demo")}
        return [error_in_results(result["error"]) if "error" in result else {**result, **model}
                for result in results]

    def _score_call(self, call: Call) -> Call:
        outcomes = iter(self._score_texts([row.text for row in call.rows if not row.problem])
                        if any(not row.problem for row in call.rows) else [])
        call.outcomes = [None if row.problem else next(outcomes) for row in call.rows]
        return call

    # --- the stream -----------------------------------------------------------------------
    def score_rows(self, rows):
        """Yields (row, outcome) for every row, in input order."""
        calls = self.calls_of(rows)
        pending = deque()  # futures of calls, oldest first
        exhausted = False
        with ThreadPoolExecutor(self.in_flight) as pool:
            try:
                while True:
                    running = sum(not future.done() for future in pending)
                    while not exhausted and running < self.in_flight and len(pending) < self.in_flight * REORDER_CALLS:
                        call = next(calls, None)
                        if call is None:
                            exhausted = True
                            break
                        pending.append(pool.submit(self._score_call, call))
                        running += 1
                    if not pending:
                        return
                    if not pending[0].done():
                        wait([future for future in pending if not future.done()], return_when=FIRST_COMPLETED)
                    while pending and pending[0].done():
                        call = pending.popleft().result()  # ServiceStopped is raised here, in order
                        yield from zip(call.rows, call.outcomes)
            finally:
                for future in pending:
                    future.cancel()

    def score_all(self, texts: list, on_done=None) -> list:
        """The list interface of ApiScorer (None for an unreadable row); ServiceStopped becomes
        the error of every text not scored."""
        rows = [InputRow(number, text, None if text is not None else "unreadable")
                for number, text in enumerate(texts, 1)]
        outcomes = []
        try:
            for _, outcome in self.score_rows(rows):
                outcomes.append(outcome)
                if on_done:
                    on_done()
        except ServiceStopped as stopped:
            error = ScoreError(str(stopped), "unreachable")
            outcomes += [None if text is None else error for text in texts[len(outcomes):]]
        return outcomes
