"""A light closed-loop HTTP load generator: N threads, each with one keep-alive connection.

Deliberately small (http.client, no framework): on two cores the load
generator shares the CPU with the servers it measures, so it must cost little
and the same for every configuration.
"""

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    concurrency: int
    seconds: float
    latencies_ms: list = field(default_factory=list)
    errors: int = 0
    statuses: dict = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]

    def summary(self) -> dict:
        return {"concurrency": self.concurrency, "requests": self.requests,
                "rps": round(len(self.latencies_ms) / self.seconds, 2) if self.seconds else 0.0,
                "p50_ms": _round(self.percentile(50)), "p95_ms": _round(self.percentile(95)),
                "p99_ms": _round(self.percentile(99)), "errors": self.errors, "statuses": self.statuses}


def _round(value):
    return None if value is None else round(value, 1)


def run_load(url: str, texts: list[str], concurrency: int, duration: float, timeout: float = 60,
             per_call: int = 1, options: dict | None = None, body=None) -> LoadResult:
    """Send POST {"text": ...} (or, per_call > 1, {"texts": [...]} of that many texts, and
    `options` such as {"explain": true} in either; or body(text), another API's request) from
    `concurrency` threads for `duration` seconds."""
    parts = urlsplit(url)
    options = options or {}
    if body is not None:
        bodies = [json.dumps(body(text)).encode() for text in texts]
    elif per_call == 1:
        bodies = [json.dumps({"text": text, **options}).encode() for text in texts]
    else:
        bodies = [json.dumps({"texts": [texts[(i + j) % len(texts)] for j in range(per_call)], **options}).encode()
                  for i in range(len(texts))]
    result = LoadResult(concurrency=concurrency, seconds=duration)
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def worker(offset: int):
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        latencies, errors, statuses, index = [], 0, {}, offset
        while time.monotonic() < deadline:
            payload = bodies[index % len(bodies)]
            index += 1
            started = time.perf_counter()
            try:
                connection.request("POST", parts.path, body=payload, headers={"Content-Type": "application/json"})
                reply = connection.getresponse()
                reply.read()
                status = reply.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
                status = 0
            elapsed = (time.perf_counter() - started) * 1000
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                latencies.append(elapsed)
            else:
                errors += 1
        connection.close()
        with lock:
            result.latencies_ms.extend(latencies)
            result.errors += errors
            for status, count in statuses.items():
                result.statuses[str(status)] = result.statuses.get(str(status), 0) + count

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result
