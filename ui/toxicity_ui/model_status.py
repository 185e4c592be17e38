"""TorchServe's model state as Prometheus metrics, read from its management API at scrape time.

TorchServe's own /metrics has no worker state, so readiness, worker restarts
and the job queue are only visible through the management API. The UI already
talks to it, so it exports them alongside its own metrics.
"""

import datetime
from collections.abc import Callable

from prometheus_client.core import GaugeMetricFamily

from .torchserve_ready import has_ready_worker


def _epoch(timestamp: str) -> float:
    return datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


class ModelStatusCollector:
    def __init__(self, fetch_status: Callable[[], dict | None]):
        self.fetch_status = fetch_status  # the management API's model description, or None

    def collect(self):
        status = self.fetch_status()
        workers = (status or {}).get("workers", [])
        yield GaugeMetricFamily("toxicity_model_ready", "1 when TorchServe has a READY worker for the model",
                                value=int(has_ready_worker(status)))
        by_state = GaugeMetricFamily("toxicity_model_workers", "TorchServe workers by state",
                                     labels=["state"])
        for state in ("READY", "LOADING", "UNLOADING", "UNKNOWN"):
            by_state.add_metric([state], sum(1 for w in workers if w.get("status", "UNKNOWN") == state))
        yield by_state
        starts = [_epoch(w["startTime"]) for w in workers if w.get("startTime")]
        if starts:
            yield GaugeMetricFamily("toxicity_model_worker_start_time_seconds",
                                    "Start time of the newest worker; changes when a worker restarts",
                                    value=max(starts))
        queue = (status or {}).get("jobQueueStatus")
        if queue:
            yield GaugeMetricFamily("toxicity_model_queue_pending_requests",
                                    "Requests waiting in TorchServe's job queue",
                                    value=queue.get("pendingRequests", 0))
            yield GaugeMetricFamily("toxicity_model_queue_remaining_capacity",
                                    "Free places in TorchServe's job queue",
                                    value=queue.get("remainingCapacity", 0))
