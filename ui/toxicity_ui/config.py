"""UI settings, read from environment variables with defaults for a local run."""

import os
import secrets
import logging
from dataclasses import dataclass, fields
from pathlib import Path

from .model_names import MODEL_NAME
from .version import VERSION

logger = logging.getLogger(__name__)


def _env(name: str, default, cast=str):
    value = os.environ.get(name)
    return default if value in (None, "") else cast(value)


@dataclass(frozen=True)
class Settings:
    torchserve_inference_url: str = "http://127.0.0.1:8080"
    torchserve_management_url: str = "http://127.0.0.1:8081"
    model_name: str = MODEL_NAME
    connect_timeout_seconds: float = 2.0
    read_timeout_seconds: float = 60.0   # long texts and explanations take seconds on plain CPUs
    connect_retries: int = 2            # connection errors only; a sent request is never retried
    max_text_chars: int = 5000
    # {"texts": [...]}: texts per call, and characters of all of them together.
    max_batch_texts: int = 64
    max_batch_chars: int = 20_000
    max_body_bytes: int = 256 * 1024
    # The allow / review / block thresholds per label; unset: the packaged policy.yaml.
    policy_file: str = ""
    # Load shedding per worker process: scoring calls in flight (0: no limit), and
    # requests per minute per client address on the API and form (0: off).
    max_in_flight: int = 0
    rate_limit_per_minute: int = 0
    # Rollouts (docs/rollouts.md): the routing file `toxmon rollout` writes (unset: the primary
    # version answers everything), where disagreeing texts are kept (unset: next to the routing
    # file), how many and how long (0 hours: none), and the background comparisons' bounds
    # per worker process.
    routing_file: str = ""
    # Where the candidate version answers when it is not in the primary's TorchServe (a cluster
    # runs it as its own Deployment); unset: TorchServe's /predictions/toxic-bert/<version>.
    candidate_inference_url: str = ""
    rollout_samples_file: str = ""
    rollout_max_samples: int = 200
    rollout_sample_retention_hours: float = 72.0
    rollout_queue_size: int = 32
    rollout_compare_workers: int = 1
    rollout_compare_timeout_seconds: float = 10.0
    # Comparisons are shed while a worker process has more user calls than this in flight
    # (0: only when the queue is full); docs/rollouts.md has the measurements.
    rollout_shed_above_in_flight: int = 1
    # API keys (api_keys.py): unset, every call is accepted. The per-key counters are one SQLite
    # file for all worker processes (gunicorn.conf.py makes one per run; unset: one per process).
    api_keys_file: str = ""
    quota_file: str = ""
    # Perspective's suggested scores (feedback.py), and how long they are kept.
    feedback_file: str = "feedback.sqlite"
    feedback_retention_days: float = 365.0
    # Proxies in front of the UI whose X-Forwarded-* headers are trusted (0: none, the local
    # default; behind one ingress: 1). They decide the client's address and the discovery URL.
    proxy_hops: int = 0
    # Where the guides the page links to are (the checkout's docs/; the image's /app/docs).
    docs_dir: str = str(Path(__file__).resolve().parents[2] / "docs")
    secret_key: str = ""
    app_version: str = VERSION

    @classmethod
    def from_env(cls) -> "Settings":
        defaults = cls()
        secret = _env("SECRET_KEY", "")
        if not secret:
            logger.warning("SECRET_KEY is not set: using a random key (forms break across processes)")
            secret = secrets.token_hex(32)
        return cls(
            torchserve_inference_url=_env("TORCHSERVE_INFERENCE_URL", defaults.torchserve_inference_url),
            torchserve_management_url=_env("TORCHSERVE_MANAGEMENT_URL", defaults.torchserve_management_url),
            model_name=_env("MODEL_NAME", defaults.model_name),
            connect_timeout_seconds=_env("CONNECT_TIMEOUT_SECONDS", defaults.connect_timeout_seconds, float),
            read_timeout_seconds=_env("READ_TIMEOUT_SECONDS", defaults.read_timeout_seconds, float),
            connect_retries=_env("CONNECT_RETRIES", defaults.connect_retries, int),
            max_text_chars=_env("MAX_TEXT_CHARS", defaults.max_text_chars, int),
            max_batch_texts=_env("MAX_BATCH_TEXTS", defaults.max_batch_texts, int),
            max_batch_chars=_env("MAX_BATCH_CHARS", defaults.max_batch_chars, int),
            max_body_bytes=_env("MAX_BODY_BYTES", defaults.max_body_bytes, int),
            policy_file=_env("POLICY_FILE", defaults.policy_file),
            max_in_flight=_env("MAX_IN_FLIGHT", defaults.max_in_flight, int),
            rate_limit_per_minute=_env("RATE_LIMIT_PER_MINUTE", defaults.rate_limit_per_minute, int),
            routing_file=_env("ROUTING_FILE", defaults.routing_file),
            candidate_inference_url=_env("CANDIDATE_INFERENCE_URL", defaults.candidate_inference_url),
            rollout_samples_file=_env("ROLLOUT_SAMPLES_FILE", defaults.rollout_samples_file),
            rollout_max_samples=_env("ROLLOUT_MAX_SAMPLES", defaults.rollout_max_samples, int),
            rollout_sample_retention_hours=_env("ROLLOUT_SAMPLE_RETENTION_HOURS",
                                                defaults.rollout_sample_retention_hours, float),
            rollout_queue_size=_env("ROLLOUT_QUEUE_SIZE", defaults.rollout_queue_size, int),
            rollout_compare_workers=_env("ROLLOUT_COMPARE_WORKERS", defaults.rollout_compare_workers, int),
            rollout_compare_timeout_seconds=_env("ROLLOUT_COMPARE_TIMEOUT_SECONDS",
                                                 defaults.rollout_compare_timeout_seconds, float),
            rollout_shed_above_in_flight=_env("ROLLOUT_SHED_ABOVE_IN_FLIGHT",
                                              defaults.rollout_shed_above_in_flight, int),
            api_keys_file=_env("API_KEYS_FILE", defaults.api_keys_file),
            quota_file=_env("QUOTA_FILE", defaults.quota_file),
            feedback_file=_env("FEEDBACK_FILE", defaults.feedback_file),
            feedback_retention_days=_env("FEEDBACK_RETENTION_DAYS", defaults.feedback_retention_days, float),
            proxy_hops=_env("PROXY_HOPS", defaults.proxy_hops, int),
            docs_dir=_env("DOCS_DIR", defaults.docs_dir),
            secret_key=secret,
            app_version=_env("APP_VERSION", defaults.app_version),
        )

    @property
    def samples_file(self) -> str:
        if self.rollout_samples_file or not self.routing_file:
            return self.rollout_samples_file
        from .disagreement_samples import default_path
        return default_path(self.routing_file)

    def replace(self, **changes) -> "Settings":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return Settings(**{**values, **changes})
