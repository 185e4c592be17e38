"""Score a call with the other version in the background and compare the two.

In shadow mode every call the primary answered is scored again by the candidate; in
canary mode every call the candidate answered is scored again by the primary. The
user's answer is already on its way: the comparison only ever costs the user the
put into a bounded queue. Comparisons are shed first, the user's calls never: one is
dropped (and counted) when the queue is full, or when this process is busy with more
user calls than `shed_above_in_flight` (on a small host the other version's forward
passes take the CPU the primary needs). A failing or slow version only shows in the
comparison metrics, never in an answer.

The threads start in the process that first submits work: gunicorn forks its
workers, and threads started before a fork would not run in them.
"""

import contextlib
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass

from . import agreement, metrics
from .disagreement_samples import DisagreementSamples
from .errors import ApiError
from .routing import Route
from .torchserve_client import Prediction, TorchServeClient

logger = logging.getLogger(__name__)


@dataclass
class CompareJob:
    route: Route
    texts: list            # the texts sent, in order
    many: bool             # sent as {"texts": [...]} (else one {"text"})
    answered: Prediction   # what the user got
    keep_samples: bool = True  # False: the caller asked that the texts be stored nowhere


class BackgroundComparer:
    def __init__(self, client: TorchServeClient, review_thresholds: dict, samples: DisagreementSamples,
                 queue_size: int = 32, workers: int = 1, read_timeout: float = 10.0,
                 shed_above_in_flight: int = 0):
        self.client = client
        self.shed_above_in_flight = shed_above_in_flight  # 0: never shed for load
        self._user_calls = 0
        self.review = review_thresholds
        self.samples = samples
        self.workers = workers
        self.read_timeout = read_timeout
        self.queue = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._started_in = None  # the pid whose threads serve the queue

    @contextlib.contextmanager
    def user_call(self):
        """Around a user's call to TorchServe: how busy this process is."""
        with self._lock:
            self._user_calls += 1
        try:
            yield
        finally:
            with self._lock:
                self._user_calls -= 1

    def submit(self, job: CompareJob) -> bool:
        """Queue a comparison; False (and counted as dropped) when the queue is full or the
        process is busy with users."""
        if self.shed_above_in_flight and self._user_calls > self.shed_above_in_flight:
            metrics.COMPARISONS.labels(outcome="dropped").inc(len(job.texts))
            return False
        self._ensure_threads()
        try:
            self.queue.put_nowait(job)
        except queue.Full:
            metrics.COMPARISONS.labels(outcome="dropped").inc(len(job.texts))
            return False
        metrics.COMPARE_QUEUE.inc()
        return True

    def _ensure_threads(self) -> None:
        if self._started_in == os.getpid():
            return
        with self._lock:
            if self._started_in == os.getpid():
                return
            for number in range(self.workers):
                threading.Thread(target=self._serve, name=f"compare-{number}", daemon=True).start()
            self._started_in = os.getpid()

    def _serve(self) -> None:
        while True:
            job = self.queue.get()
            metrics.COMPARE_QUEUE.dec()
            try:
                self.compare(job)
            except Exception:  # noqa: BLE001 - a comparison must never stop the thread
                logger.exception("comparing the versions failed")
                metrics.COMPARISONS.labels(outcome="failed").inc(len(job.texts))
            finally:
                self.queue.task_done()

    def compare(self, job: CompareJob) -> None:
        version = job.route.compare_version
        role = "primary" if job.route.answered_by == "candidate" else "candidate"
        try:
            if job.many:
                other = self.client.predict_many(job.texts, version=version, read_timeout=self.read_timeout)
            else:
                other = self.client.predict(job.texts[0], version=version, read_timeout=self.read_timeout)
        except ApiError as error:
            metrics.record_version_failure(version, role, "compare", error.code)
            metrics.COMPARISONS.labels(outcome="failed").inc(len(job.texts))
            return
        metrics.record_version_call(other.model, role, "compare", other.seconds)
        primary, candidate = (other, job.answered) if role == "primary" else (job.answered, other)
        versions = {"primary": primary.model.get("version"), "candidate": candidate.model.get("version")}
        for text, primary_result, candidate_result in zip(job.texts, primary.results, candidate.results):
            if "error" in primary_result or "error" in candidate_result:
                metrics.COMPARISONS.labels(outcome="failed").inc()
                continue
            comparison = agreement.compare(primary_result["scores"], candidate_result["scores"], self.review)
            agreement.record(comparison)
            if not comparison.agrees and job.keep_samples:
                self.samples.add(job.route.mode, versions, text, comparison.disagreements,
                                 primary_result["scores"], candidate_result["scores"])

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """For tests and shutdown: True once every queued comparison was taken and done."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queue.unfinished_tasks == 0:
                return True
            time.sleep(0.05)
        return False
