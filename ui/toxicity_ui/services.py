"""The UI's services, one set per app, kept in app.extensions (not app.config, which
holds configuration only): the settings, the TorchServe client, load shedding, the
per-label policy, the API keys and their quotas, the feedback store, and the last model seen (so the page can show the demo banner before
anyone submits).
"""

import threading
from dataclasses import dataclass, field

from flask import current_app

from .admission import InFlightLimit, RateLimiter
from .api_keys import ApiKeys
from .background_compare import BackgroundComparer
from .config import Settings
from .disagreement_samples import DisagreementSamples
from .feedback import FeedbackStore
from .policy import Policy
from .quota import QuotaCounter
from .routing import RoutingTable
from .torchserve_client import TorchServeClient

EXTENSION = "toxicity_ui"


class LastModel:
    """The serving model's name and demo flag, from the latest prediction (per process)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._model = None

    def remember(self, model: dict) -> None:
        """model: the handler's description of the model that scored."""
        with self._lock:
            self._model = {"name": model.get("name", "unknown"), "demo": bool(model.get("demo", False))}

    def get(self) -> dict | None:
        with self._lock:
            return self._model


@dataclass
class Services:
    settings: Settings
    client: TorchServeClient
    in_flight: InFlightLimit
    rate_limiter: RateLimiter
    policy: Policy
    routing: RoutingTable
    comparer: BackgroundComparer
    api_keys: ApiKeys
    quota: QuotaCounter
    feedback: FeedbackStore
    last_model: LastModel = field(default_factory=LastModel)


def init_app(app, settings: Settings) -> Services:
    client = TorchServeClient(settings)
    policy = Policy.load(settings.policy_file or None)
    samples = DisagreementSamples(settings.samples_file, settings.rollout_max_samples,
                                  settings.rollout_sample_retention_hours)
    app.extensions[EXTENSION] = Services(
        settings=settings,
        client=client,
        in_flight=InFlightLimit(settings.max_in_flight),
        rate_limiter=RateLimiter(settings.rate_limit_per_minute),
        policy=policy,
        routing=RoutingTable(settings.routing_file),
        comparer=BackgroundComparer(client, policy.review, samples, settings.rollout_queue_size,
                                    settings.rollout_compare_workers, settings.rollout_compare_timeout_seconds,
                                    settings.rollout_shed_above_in_flight),
        api_keys=ApiKeys.load(settings.api_keys_file),
        quota=QuotaCounter(settings.quota_file),
        feedback=FeedbackStore(settings.feedback_file, settings.feedback_retention_days),
    )
    return app.extensions[EXTENSION]


def services() -> Services:
    return current_app.extensions[EXTENSION]
