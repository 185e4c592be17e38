"""Grafana dashboards: structure checks, then every query run against a real Prometheus."""

import json

import pytest
import yaml

from monitoring.conftest import query
from support.dashboards import DASHBOARDS, data_panels, panel_queries
from support.servers import ROOT

GRAFANA = ROOT / "monitoring" / "grafana"


def all_queries(alerts: bool = False):
    """Every dashboard query as a test parameter; those over ALERTS only if asked."""
    for path, title, ref, expr in panel_queries():
        if ("ALERTS" in expr) == alerts:
            yield pytest.param(expr, id=f"{path.stem}:{title}:{ref}")


def real_series(expr: str) -> str:
    """The query without its fallback (`or vector(0)`, `or 0 * ...`), which has data by itself."""
    return expr.split(" or ")[0]


def test_there_is_an_overview_dashboard():
    assert [p.name for p in DASHBOARDS] == ["toxicity-overview.json"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_structure(path):
    dashboard = json.loads(path.read_text())
    assert dashboard["uid"] and dashboard["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    assert any(v["name"] == "instance" for v in dashboard["templating"]["list"])
    for panel in data_panels(dashboard):
        assert panel["datasource"]["uid"] == "prometheus", panel["title"]
        assert panel["fieldConfig"]["defaults"].get("unit"), f"{panel['title']} has no unit"
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}, panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]


def test_provisioning_points_at_the_dashboards_and_the_datasource():
    datasource = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert datasource["datasources"][0]["uid"] == "prometheus"
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "toxicity-monitor.yml").read_text())
    assert provider["providers"][0]["type"] == "file"


@pytest.mark.parametrize("expr", list(all_queries()))
def test_every_dashboard_query_has_real_data(monitored_stack, expr):
    """Each query's own series, not its fallback zero: a misspelt metric must fail here."""
    result = query(monitored_stack.prometheus, real_series(expr).replace("$instance", ".+"))
    assert result, f"no data for {real_series(expr)}"


@pytest.mark.parametrize("expr", list(all_queries()))
def test_no_panel_says_no_data_on_a_healthy_stack(monitored_stack, expr):
    """The query as Grafana runs it, over a stack that served ordinary traffic only: a labelled
    counter whose series appear only with their first increment (an error, a block) would leave
    the panel empty where the answer is 0."""
    assert monitored_stack.healthy_results[expr], f"no data for {expr} on a stack without errors"


def test_only_alert_counts_fall_back_to_a_bare_zero():
    """`or vector(0)` draws a zero with no data behind it; only "no alert" is a true zero."""
    for param in [*all_queries(), *all_queries(alerts=True)]:
        expr = param.values[0]
        assert "vector(0)" not in expr or "ALERTS" in expr, f"{expr}: a zero with no data behind it"


# The alert panels' queries are run with an alert firing in tests/monitoring/test_alert_path.py.
ALERT_PANEL_QUERIES = [param.values[0] for param in all_queries(alerts=True)]


def test_all_targets_up_and_no_alert_firing_or_pending(monitored_stack):
    targets = query(monitored_stack.prometheus, "up")
    assert {t["metric"]["job"]: t["value"][1] for t in targets} == {
        "torchserve": "1", "ui": "1", "node": "1", "alertmanager": "1", "prometheus": "1"}
    # Prometheus evaluates the rules every second here: any alert on its way is pending by now.
    # The host alerts are left out: they watch this machine, which the suite itself keeps busy.
    alerts = query(monitored_stack.prometheus, 'ALERTS{alertname!~"CPUVeryHigh|MemoryAboutToRunOut|DiskFillingUp"}')
    assert alerts == [], [a["metric"] for a in alerts]
    assert query(monitored_stack.prometheus, "prometheus_rule_evaluation_failures_total > 0") == []


def test_the_rollout_row_is_drawn_from_the_dashboards_own_queries(monitored_stack, tmp_path):
    """How the README's picture of the rollout panels is made: every line has data."""
    import subprocess
    from support.servers import TOXMON
    output = tmp_path / "rollout.png"
    result = subprocess.run([TOXMON, "metrics-report", "--prometheus", f"http://127.0.0.1:{monitored_stack.prometheus}",
                             "--last", "2m", "--dashboard-row", "Rollout", "--output", str(output)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    points = json.loads(result.stdout)["points"]
    assert {name.split(":")[0] for name in points} == {"Calls per version", "Latency per version (p95)",
                                                       "Disagreement rate", "Score difference by label (p95)",
                                                       "Disagreements by label and direction",
                                                       "Comparisons by outcome and routing mode"}
    assert output.read_bytes()[:4] == b"\x89PNG"
    unknown = subprocess.run([TOXMON, "metrics-report", "--prometheus", f"http://127.0.0.1:{monitored_stack.prometheus}",
                              "--last", "2m", "--dashboard-row", "No such row", "--output", str(output)],
                             capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 1 and "no dashboard row" in unknown.stderr
