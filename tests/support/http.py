"""Small HTTP helpers shared by the tests (requests, one pooled session)."""

import re
from concurrent.futures import ThreadPoolExecutor

import requests

SESSION = requests.Session()


def post_json(url: str, body, timeout: float = 60) -> requests.Response:
    return SESSION.post(url, json=body, timeout=timeout)


def post_concurrently(url: str, bodies: list, workers: int = 16) -> list[requests.Response]:
    """Send every body at once from separate connections, so TorchServe can batch them."""
    def send(body):
        with requests.Session() as session:  # one connection per in-flight request
            if isinstance(body, (bytes, str)):
                return session.post(url, data=body, headers={"Content-Type": "text/plain"}, timeout=120)
            return session.post(url, json=body, timeout=120)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(send, bodies))


def scrape(url: str) -> str:
    reply = SESSION.get(url, timeout=10)
    reply.raise_for_status()
    return reply.text


def metric_sum(exposition: str, name: str, **labels) -> float:
    """Sum a metric's samples in Prometheus text format, filtered by labels."""
    total = 0.0
    pattern = re.compile(rf"^{re.escape(name)}(\{{[^}}]*\}})?\s+(\S+)$", re.M)
    for match in pattern.finditer(exposition):
        sample_labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(sample_labels.get(k) == v for k, v in labels.items()):
            total += float(match.group(2))
    return total
