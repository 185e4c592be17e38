"""The alert path end to end: TorchServe stops, the alert reaches Alertmanager and the
webhook; TorchServe returns, the alert resolves. Real Prometheus and Alertmanager."""

import contextlib
import re

import requests

from toxmon import monitoring
from monitoring.conftest import query, running_monitoring, wait_until
from support.servers import free_torchserve_ports, running_torchserve, running_ui
from support.webhook_sink import WebhookSink


def shorten_for_clauses(run_dir):
    """The real rules with every `for:` cut to 2 s, so the test takes seconds, not minutes."""
    rules = run_dir / "alerts.yml"
    rules.write_text(re.sub(r"for: \d+[smh]", "for: 2s", rules.read_text()))


def active_alertmanager_alerts(port, name):
    reply = requests.get(f"http://127.0.0.1:{port}/api/v2/alerts", params={"active": "true"}, timeout=5)
    return [a for a in reply.json() if a["labels"]["alertname"] == name]


def test_torchserve_down_alert_fires_and_resolves(demo_store, tmp_path, monkeypatch):
    render = monitoring.render_prometheus_config

    def render_with_short_for(run_dir, *args, **kwargs):
        path = render(run_dir, *args, **kwargs)
        shorten_for_clauses(run_dir)
        return path

    monkeypatch.setattr(monitoring, "render_prometheus_config", render_with_short_for)
    ts_ports = free_torchserve_ports()
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(WebhookSink())
        first_torchserve = contextlib.ExitStack()
        stack.callback(first_torchserve.close)
        first_torchserve.enter_context(running_torchserve(demo_store, tmp_path / "ts1", ports=ts_ports))
        ui = stack.enter_context(running_ui(ts_ports, tmp_path / "ui"))
        ports = stack.enter_context(running_monitoring(tmp_path / "monitoring", ts_ports, ui.url, sink.url,
                                                       group_wait="1s"))
        wait_until(lambda: query(ports.prometheus, 'up{job="torchserve"} == 1'), 30, message="TorchServe up")
        assert active_alertmanager_alerts(ports.alertmanager, "TorchServeDown") == []

        first_torchserve.close()  # TorchServe goes down
        alert = wait_until(lambda: active_alertmanager_alerts(ports.alertmanager, "TorchServeDown"), 90,
                           message="TorchServeDown in Alertmanager")[0]
        assert alert["labels"]["severity"] == "critical"
        assert "TorchServe metrics endpoint" in alert["annotations"]["summary"]
        # An absolute link that opens: this checkout's runbook, at the alert's own section.
        assert alert["annotations"]["runbook_url"] == f"{monitoring.runbook_base_url()}#torchservedown"
        assert alert["annotations"]["runbook_url"].startswith("file:///")
        assert "## TorchServeDown" in (monitoring.MONITORING / "runbook.md").read_text()
        wait_until(lambda: sink.alerts("TorchServeDown", "firing"), 60, message="webhook told of the alert")
        # The dashboard's alert panels count what is firing now: their real series have data.
        from monitoring.test_dashboards import ALERT_PANEL_QUERIES, real_series
        assert ALERT_PANEL_QUERIES
        for expr in ALERT_PANEL_QUERIES:
            if "firing" in expr:
                assert query(ports.prometheus, real_series(expr)), expr

        stack.enter_context(running_torchserve(demo_store, tmp_path / "ts2", ports=ts_ports))
        wait_until(lambda: sink.alerts("TorchServeDown", "resolved"), 90, message="webhook told of resolution")
        wait_until(lambda: not active_alertmanager_alerts(ports.alertmanager, "TorchServeDown"), 60,
                   message="alert no longer active")
