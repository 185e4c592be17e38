"""Load shedding at the UI: a bound on scoring requests in flight, and an optional
per-client rate limit. Beyond either, callers get 503 or 429 with Retry-After at
once, instead of waiting in a queue that grows without bound.

Both are per gunicorn worker process (no shared state to keep consistent):
with W workers the effective limits are W times the configured ones. The rate
limit uses the `limits` library rather than a hand-written token bucket: it is
what Flask-Limiter counts with, and moving the counters to Redis or memcached
(one limit across workers and replicas) is a change of its storage, not of this
code. Flask-Limiter itself was not taken: its decorators and its own 429 page
would sit beside errors.py, and both the page and the API already pass through
admit() in scoring.py.
"""

import math
import threading
import time

import limits

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
    """`per_minute` requests per client address, in bursts of at most a sixth of it per
    10 seconds. Counted by `limits` (the library under Flask-Limiter) with moving windows
    in memory, which it expires by itself, so idle clients cost nothing."""

    def __init__(self, per_minute: int):
        self._items = [] if per_minute <= 0 else [
            limits.RateLimitItemPerSecond(max(1, per_minute // 6), 10),  # the burst
            limits.RateLimitItemPerMinute(per_minute)]
        self._limiter = limits.strategies.MovingWindowRateLimiter(limits.storage.MemoryStorage())

    def check(self, client: str) -> None:
        for item in self._items:
            if not self._limiter.hit(item, client):
                reset_at, _ = self._limiter.get_window_stats(item, client)
                raise rate_limited(max(1, math.ceil(reset_at - time.time())))
