"""Who is calling an API: their key (api_keys.py), its quota (quota.py), and what the
per-client rate limit counts them by."""

from flask import g, request

from .api_keys import ApiKey
from .services import services


def presented_key() -> str | None:
    """As Google's clients send it (?key=, x-goog-api-key), or the native X-API-Key header."""
    return request.args.get("key") or request.headers.get("x-goog-api-key") or request.headers.get("X-API-Key")


def authenticate() -> ApiKey:
    """The caller's key, counted against its quota; refuses a missing, unknown or spent key."""
    service = services()
    key = service.api_keys.identify(presented_key())
    g.api_key_name = key.name
    service.quota.take(key.name, key.quota_per_minute)
    return key


def rate_limit_client(key: ApiKey) -> str:
    """With keys, the rate limit counts per key; without, per address."""
    if services().api_keys.required:
        return f"key:{key.name}"
    return request.remote_addr or "unknown"
