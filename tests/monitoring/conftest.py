import contextlib
import time
from dataclasses import dataclass

import pytest
import requests

from toxmon import monitoring
from support.servers import CANDIDATE_VERSION, free_port, running_ui


def local_targets(ts_ports, ui_url, ports):
    return monitoring.Targets(
        torchserve=f"127.0.0.1:{ts_ports.metrics}", ui=ui_url.removeprefix("http://"),
        node=f"127.0.0.1:{ports.node}", alertmanager=f"127.0.0.1:{ports.alertmanager}",
        prometheus=f"127.0.0.1:{ports.prometheus}")


@contextlib.contextmanager
def running_monitoring(run_dir, ts_ports, ui_url, webhook_url, **options):
    """Prometheus, Alertmanager and node-exporter on free ports, fast intervals, always stopped."""
    ports = monitoring.MonitoringPorts(free_port(), free_port(), free_port())
    run_dir.mkdir(parents=True, exist_ok=True)
    options = {"scrape_interval": "1s", "evaluation_interval": "1s", **options}
    try:
        monitoring.start(run_dir, ports, local_targets(ts_ports, ui_url, ports), webhook_url, **options)
        # Prometheus applies discovered targets only every few seconds after start.
        wait_until(lambda: len(query(ports.prometheus, "up")) == 5, 60, message="all targets scraped")
        yield ports
    finally:
        monitoring.stop(run_dir)


def query(prometheus_port, expr):
    reply = requests.get(f"http://127.0.0.1:{prometheus_port}/api/v1/query", params={"query": expr}, timeout=10)
    body = reply.json()
    assert body["status"] == "success", body
    return body["data"]["result"]


def wait_until(check, timeout, interval=1.0, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{message} not met within {timeout} s")


@dataclass
class MonitoredStack:
    prometheus: int               # the port of a Prometheus scraping the stack every second
    healthy_results: dict         # each dashboard query, as written, over ordinary traffic only


# Ordinary traffic: what a healthy stack serves (no error, nothing refused). "I hate you": the two
# demo builds disagree on it (toxic and insult), so every rollout panel has data.
ORDINARY_TEXTS = ("You stupid idiot.", "I will hurt you.", "Have a lovely day.", "I hate you")


@pytest.fixture(scope="module")  # stopped after each module, so later tests get the CPU back
def monitored_stack(torchserve, tmp_path_factory):
    """Monitoring that scrapes the shared TorchServe and a UI of its own every second, part of
    the traffic in shadow mode (the candidate version compared in the background).

    First only ordinary traffic, and every dashboard query is run as written: a panel of a
    healthy stack must never say "No data" (a labelled counter without its series would).
    Then errors of every kind, for the tests of each query's own series."""
    from support.dashboards import dashboard_queries
    ui_dir = tmp_path_factory.mktemp("monitored-ui")
    with running_ui(torchserve.ports, ui_dir) as ui, shadow_mode(ui_dir / "rollout" / "routing.json"), \
            running_monitoring(tmp_path_factory.mktemp("monitoring"), torchserve.ports, ui.url,
                               f"http://127.0.0.1:{free_port()}/alerts") as ports:
        api = f"{ui.url}/api/v1/toxicity"
        for round_ in range(3):  # traffic spread over scrapes, so rates have two points
            for text in ORDINARY_TEXTS:
                assert requests.post(api, json={"text": text}, timeout=30).status_code == 200
            assert requests.post(api, json={"texts": ["You stupid idiot.", "Have a lovely day."], "explain": True},
                                 timeout=30).status_code == 200
            assert requests.post(f"{ui.url}/v1alpha1/comments:analyze", timeout=30, json={
                "comment": {"text": "You stupid idiot."}, "requestedAttributes": {"TOXICITY": {}}}).status_code == 200
            time.sleep(2)
        wait_for_traffic(ports)
        healthy = {expr: query(ports.prometheus, expr.replace("$instance", ".+")) for expr in dashboard_queries()}
        # TorchServe's own 4xx and 5xx series exist only after one (the UI stops bad input before
        # it): a body without text (400) and an /explanations request, which this model answers
        # with 501, make them without hurting anything.
        for url, status in ((torchserve.predictions_url, 400),
                            (f"{torchserve.inference_url}/explanations/toxic-bert", 501)):
            assert requests.post(url, json={"nope": "why?"}, timeout=30).status_code == status
        for round_ in range(3):
            for text in ("", "word " * 600, *ORDINARY_TEXTS):
                requests.post(api, json={"text": text}, timeout=30)
            time.sleep(2)
        wait_for_traffic(ports)
        yield MonitoredStack(ports.prometheus, healthy)


def wait_for_traffic(ports):
    wait_until(lambda: query(ports.prometheus, "job:ts_inference_requests:rate5m > 0"), 60,
               message="TorchServe traffic visible in Prometheus")
    wait_until(lambda: query(ports.prometheus, "job:toxicity_ui_rollout_disagreement_ratio:rate15m > 0"), 60,
               message="shadow comparisons visible in Prometheus")


@contextlib.contextmanager
def shadow_mode(routing_file):
    """The shared UI in shadow mode for a while; back to primary on exit, for the other tests."""
    from toxicity_ui.routing import Routing, write_routing_file
    write_routing_file(str(routing_file), Routing("shadow", CANDIDATE_VERSION))
    time.sleep(1.2)  # each UI worker re-reads the routing file within a second
    try:
        yield
    finally:
        routing_file.unlink(missing_ok=True)
        time.sleep(1.2)
