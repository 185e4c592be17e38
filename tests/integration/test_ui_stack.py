"""The UI under gunicorn in front of a real TorchServe with the demo archive."""

import time

import requests

from support.http import metric_sum, post_concurrently, scrape
from support.servers import free_torchserve_ports, running_torchserve, running_ui


def test_api_round_trip_through_the_real_stack(ui_server):
    reply = requests.post(f"{ui_server.url}/api/v1/toxicity",
                          json={"text": "You are a worthless idiot."}, timeout=30)
    assert reply.status_code == 200
    body = reply.json()
    assert body["verdict"]["is_toxic"] and "insult" in body["verdict"]["labels"]
    assert body["demo"] is True and body["model"] == "toxic-bert-demo"
    benign = requests.post(f"{ui_server.url}/api/v1/toxicity",
                           json={"text": "The museum opens at nine tomorrow."}, timeout=30).json()
    assert benign["verdict"]["is_toxic"] is False


def test_ui_and_torchserve_metrics_agree_on_the_request_count(ui_server, torchserve):
    ui_metrics, ts_metrics = f"{ui_server.url}/metrics", torchserve.metrics_url
    ui_before, ts_before = scrape(ui_metrics), scrape(ts_metrics)
    replies = post_concurrently(f"{ui_server.url}/api/v1/toxicity",
                                [{"text": f"sentence number {i}"} for i in range(20)], workers=8)
    assert all(r.status_code == 200 for r in replies)
    ui_after, ts_after = scrape(ui_metrics), scrape(ts_metrics)
    ui_count = (metric_sum(ui_after, "toxicity_ui_requests_total", endpoint="/api/v1/toxicity", status="200")
                - metric_sum(ui_before, "toxicity_ui_requests_total", endpoint="/api/v1/toxicity", status="200"))
    ts_count = (metric_sum(ts_after, "ts_inference_requests_total")
                - metric_sum(ts_before, "ts_inference_requests_total"))
    assert ui_count == ts_count == 20


def test_the_uis_metrics_under_gunicorn_pass_promtool(ui_server):
    """The exposition gunicorn's workers aggregate, plus the scrape-time collectors (the model's
    state, the routing): each family once, as a Prometheus scrape needs it."""
    from support.promtool import exposition_problems
    assert requests.post(f"{ui_server.url}/api/v1/toxicity", json={"text": "hello"}, timeout=30).status_code == 200
    exposition = scrape(f"{ui_server.url}/metrics")
    assert "toxicity_ui_rollout_mode" in exposition and "toxicity_model_ready" in exposition
    assert exposition_problems(exposition) == ""


def wait_for_status(url, status, timeout=60):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = requests.get(url, timeout=5).status_code
        except requests.RequestException:
            last = None
        if last == status:
            return
        time.sleep(0.5)
    raise AssertionError(f"{url} stayed at {last}, expected {status}")


def test_readiness_flips_with_torchserve_and_the_ui_survives(demo_store, tmp_path):
    ports = free_torchserve_ports()
    with running_ui(ports, tmp_path / "ui") as ui:
        api = f"{ui.url}/api/v1/toxicity"
        wait_for_status(f"{ui.url}/readyz", 503)  # nothing started yet
        reply = requests.post(api, json={"text": "hello"}, timeout=30)
        assert reply.status_code == 503 and reply.json()["error"]["code"] == "model_unavailable"
        assert reply.headers["Retry-After"]

        with running_torchserve(demo_store, tmp_path / "ts1", ports=ports):
            wait_for_status(f"{ui.url}/readyz", 200)
            assert requests.post(api, json={"text": "hello"}, timeout=30).status_code == 200

        wait_for_status(f"{ui.url}/readyz", 503)
        stopped = requests.post(api, json={"text": "hello"}, timeout=30)
        assert stopped.status_code == 503 and int(stopped.headers["Retry-After"]) >= 1
        assert requests.get(f"{ui.url}/healthz", timeout=5).status_code == 200
        assert ui.process.poll() is None

        with running_torchserve(demo_store, tmp_path / "ts2", ports=ports):
            wait_for_status(f"{ui.url}/readyz", 200)
            assert requests.post(api, json={"text": "hello"}, timeout=30).status_code == 200
