"""UI settings, read from environment variables with defaults for a local run."""

import os
import secrets
import logging
from dataclasses import dataclass, fields

from .version import VERSION

logger = logging.getLogger(__name__)


def _env(name: str, default, cast=str):
    value = os.environ.get(name)
    return default if value in (None, "") else cast(value)


@dataclass(frozen=True)
class Settings:
    torchserve_inference_url: str = "http://127.0.0.1:8080"
    torchserve_management_url: str = "http://127.0.0.1:8081"
    model_name: str = "toxic-bert"
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
            secret_key=secret,
            app_version=_env("APP_VERSION", defaults.app_version),
        )

    def replace(self, **changes) -> "Settings":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return Settings(**{**values, **changes})
