"""Which model version answers a call: the rollout's routing, read from one file.

The routing file (ROUTING_FILE, JSON, written by `toxmon rollout`) holds the mode:
- primary: TorchServe's default version answers everything;
- canary: a share of clients (sticky: the same client always lands on the same side)
  is answered by the candidate version, and the primary scores those calls in the
  background so the two can be compared;
- shadow: the primary answers everything and the candidate scores every call in the
  background; its results are never shown.

Every gunicorn worker re-reads the file when it changes (checked at most once a second),
so a switch needs no restart. A missing file means primary; a file that cannot be read or
is invalid means primary too, logged once: a broken rollout must not break the service.
"""

import hashlib
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

MODES = ("primary", "canary", "shadow")
# The candidate version goes into TorchServe's URL path: letters, digits, dots, dashes only.
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
BUCKETS = 10_000  # canary shares in steps of 0.01 %


class RoutingError(ValueError):
    pass


@dataclass(frozen=True)
class Routing:
    mode: str = "primary"
    candidate: str | None = None
    canary_percent: float = 0.0

    @classmethod
    def from_dict(cls, data) -> "Routing":
        if not isinstance(data, dict):
            raise RoutingError("the routing must be a JSON object")
        mode = data.get("mode", "primary")
        if mode not in MODES:
            raise RoutingError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        candidate = data.get("candidate")
        if candidate is not None and (not isinstance(candidate, str) or not VERSION_PATTERN.match(candidate)):
            raise RoutingError(f"candidate must be a model version such as 2.0, not {candidate!r}")
        if mode != "primary" and candidate is None:
            raise RoutingError(f"mode {mode} needs a candidate version")
        percent = data.get("canary_percent", 0)
        if isinstance(percent, bool) or not isinstance(percent, (int, float)) or not 0 <= percent <= 100:
            raise RoutingError(f"canary_percent must be a number from 0 to 100, not {percent!r}")
        return cls(mode, candidate, float(percent))

    def as_dict(self) -> dict:
        return {"mode": self.mode, "candidate": self.candidate, "canary_percent": self.canary_percent}


@dataclass(frozen=True)
class Route:
    mode: str
    answered_by: str          # "primary" or "candidate"
    candidate: str | None     # the candidate version, when the mode has one
    compare: bool             # score the call with the other version too, in the background

    @property
    def answer_version(self) -> str | None:
        """The version to ask TorchServe for; None: its default version, the primary."""
        return self.candidate if self.answered_by == "candidate" else None

    @property
    def compare_version(self) -> str | None:
        return None if self.answered_by == "candidate" else self.candidate


PRIMARY_ONLY = Route("primary", "primary", None, False)


def in_canary(client_key: str, routing: Routing) -> bool:
    """Sticky: a client's bucket depends only on its key and the candidate, so raising the
    share keeps everyone already in the canary there, and a new candidate draws anew."""
    digest = hashlib.sha256(f"{routing.candidate}\0{client_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS < routing.canary_percent * BUCKETS / 100


def route(routing: Routing, client_key: str) -> Route:
    if routing.mode == "shadow":
        return Route("shadow", "primary", routing.candidate, True)
    if routing.mode == "canary":
        if in_canary(client_key, routing):
            return Route("canary", "candidate", routing.candidate, True)
        return Route("canary", "primary", routing.candidate, False)
    return PRIMARY_ONLY


def read_routing_file(path: str) -> Routing:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return Routing()
    except (OSError, ValueError) as error:
        raise RoutingError(f"cannot read {path}: {error}") from None
    return Routing.from_dict(data)


def write_routing_file(path: str, routing: Routing, **extra) -> None:
    """Atomically (a rename), so a worker never reads half a file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump({**routing.as_dict(), **extra}, handle, indent=2)
        handle.write("\n")
    os.chmod(temporary, 0o644)  # the UI may run as another user (the container's)
    os.replace(temporary, path)


class RoutingTable:
    """The current routing of this process, following the file."""

    def __init__(self, path: str, check_interval: float = 1.0):
        self.path = path
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._routing = Routing()
        self._seen = "unread"    # (mtime, size, inode) of the file read last; None: no file
        self._checked = -float("inf")

    def current(self) -> Routing:
        if not self.path:
            return self._routing
        now = time.monotonic()
        if now - self._checked >= self.check_interval:
            with self._lock:
                if now - self._checked >= self.check_interval:
                    self._refresh()
                    self._checked = now
        return self._routing

    def _refresh(self) -> None:
        try:
            stat = os.stat(self.path)
            seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            seen = None
        if seen == self._seen:
            return
        self._seen = seen
        try:
            routing = read_routing_file(self.path)
        except RoutingError as error:
            logger.error("routing file ignored, every call goes to the primary version: %s", error)
            routing = Routing()
        if routing != self._routing:
            logger.info("routing: %s", json.dumps(routing.as_dict()))
        self._routing = routing

    def route(self, client_key: str) -> Route:
        return route(self.current(), client_key)


class RoutingCollector:
    """The routing in force, read at scrape time: a gauge set by the worker that last served
    a call would go stale in a worker that has served none since the switch."""

    def __init__(self, table: RoutingTable):
        self.table = table

    def collect(self):
        routing = self.table.current()
        mode = GaugeMetricFamily("toxicity_ui_rollout_mode", "The routing mode in force (1)", labels=["mode"])
        for name in MODES:
            mode.add_metric([name], int(routing.mode == name))
        yield mode
        yield GaugeMetricFamily("toxicity_ui_rollout_canary_percent", "Share of clients the candidate answers",
                                value=routing.canary_percent if routing.mode == "canary" else 0)
