"""The Grafana dashboards' panels and queries, read from monitoring/grafana/dashboards."""

import json

from support.servers import ROOT

DASHBOARDS = sorted((ROOT / "monitoring" / "grafana" / "dashboards").glob("*.json"))


def data_panels(dashboard: dict) -> list:
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


def panel_queries():
    """(dashboard file, panel title, refId, expr) of every query of every dashboard."""
    for path in DASHBOARDS:
        for panel in data_panels(json.loads(path.read_text())):
            for target in panel["targets"]:
                yield path, panel["title"], target["refId"], target["expr"]


def dashboard_queries(alerts: bool = False) -> list[str]:
    """Every query; those over ALERTS (empty while nothing is wrong) only if asked."""
    return [expr for *_, expr in panel_queries() if ("ALERTS" in expr) == alerts]
