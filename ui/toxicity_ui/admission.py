"""Load shedding at the UI: a bound on scoring requests in flight, and an optional
per-client rate limit. Beyond either, callers get 503 or 429 with Retry-After at
once, instead of waiting in a queue that grows without bound.

Both are per gunicorn worker process (no shared state to keep consistent):
with W workers the effective limits are W times the configured ones.
"""

import threading
import time
from collections import OrderedDict

from .errors import overloaded, rate_limited


class InFlightLimit:
    """At most `limit` scoring calls at once; the rest are refused, not queued."""

    def __init__(self, limit: int):
        self._slots = threading.BoundedSemaphore(limit) if limit > 0 else None

    def __enter__(self):
        if self._slots is not None and not self._slots.acquire(blocking=False):
            raise overloaded()
        return self

    def __exit__(self, *exc):
        if self._slots is not None:
            self._slots.release()


class RateLimiter:
    """A token bucket per client address: `per_minute` requests, bursts up to `burst`."""

    MAX_CLIENTS = 10_000  # oldest buckets are dropped beyond this, so memory stays bounded

    def __init__(self, per_minute: int, burst: int | None = None):
        self.rate = per_minute / 60.0
        self.burst = burst or max(1, per_minute // 6)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        if self.rate <= 0:
            return
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[client] = (tokens, now)
                raise rate_limited(max(1, int((1 - tokens) / self.rate + 0.999)))
            self._buckets[client] = (tokens - 1, now)
            while len(self._buckets) > self.MAX_CLIENTS:
                self._buckets.popitem(last=False)
