"""The compose stack's default alert receiver: logs notifications, refuses garbage."""

import json
import logging

import pytest
import requests

from support.local_http import LocalHttpServer
from toxicity_ui.alert_log import AlertLogHandler


@pytest.fixture
def alert_log():
    with LocalHttpServer(AlertLogHandler) as server:
        yield server.base_url


def test_logs_each_alert_of_a_notification(alert_log, caplog):
    notification = {"status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": "TorchServeDown", "severity": "critical"},
         "annotations": {"summary": "TorchServe is down"}, "startsAt": "2026-01-01T00:00:00Z"}]}
    with caplog.at_level(logging.WARNING, logger="alert_log"):
        reply = requests.post(f"{alert_log}/alerts", json=notification, timeout=5)
    assert reply.status_code == 200 and reply.json() == {"received": 1}
    [record] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "alert_log"]
    assert record["labels"]["alertname"] == "TorchServeDown" and record["summary"] == "TorchServe is down"


@pytest.mark.parametrize("body, status", [(b"not json", 400), (b'{"no": "alerts"}', 400), (b"", 400),
                                          (b'{"alerts": 5}', 400), (b'{"alerts": ["x"]}', 400),
                                          (b'{"alerts": []}', 200)])
def test_refuses_what_is_not_a_notification(alert_log, body, status):
    assert requests.post(f"{alert_log}/alerts", data=body, timeout=5).status_code == status


def test_health_and_unknown_paths(alert_log):
    assert requests.get(f"{alert_log}/healthz", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{alert_log}/nope", timeout=5).status_code == 404
    assert requests.post(f"{alert_log}/nope", data=b"{}", timeout=5).status_code == 404


@pytest.mark.parametrize("length, status", [("abc", 400), ("-5", 400), ("1e3", 400), (str(2 * 1024 * 1024), 413)])
def test_a_bad_content_length_is_a_client_error_not_a_crash(alert_log, length, status, capsys):
    import http.client
    from urllib.parse import urlparse
    url = urlparse(alert_log)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    connection.putrequest("POST", "/alerts")
    connection.putheader("Content-Length", length)
    connection.endheaders()
    reply = connection.getresponse()
    assert reply.status == status and json.loads(reply.read())["error"]
    connection.close()
    assert "Traceback" not in capsys.readouterr().err
    assert requests.get(f"{alert_log}/healthz", timeout=5).status_code == 200


def test_the_receiver_starts_where_gunicorn_never_made_the_metrics_directory(tmp_path):
    """The compose stack runs it from the UI image, with PROMETHEUS_MULTIPROC_DIR set and no gunicorn."""
    import os
    import subprocess
    import sys
    from support.servers import ROOT
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "not-made-yet"), "PYTHONPATH": str(ROOT / "ui")}
    result = subprocess.run([sys.executable, "-c", "import toxicity_ui.alert_log"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
