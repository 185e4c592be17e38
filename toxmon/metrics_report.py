"""Render the key metrics of a time window (a stress run) from Prometheus into one PNG.

    toxmon metrics-report --prometheus http://127.0.0.1:9090 --last 10m --output report.png
    toxmon metrics-report --start 2026-11-22T03:00:00Z --end 2026-11-22T03:10:00Z ...

Six panels: request rate, latency percentiles, errors, CPU, memory, batch size; or, with
--dashboard-row, the panels of one row of the Grafana dashboard, drawn from its own queries
(no Grafana runs here: this is how docs/rollout-panels.png is made).
The rate window comes from the scrape interval Prometheus really uses (at
least 4x it, as Grafana's $__rate_interval): a window shorter than two scrapes
holds one sample and draws nothing. Longer runs get a wider window, so a
90-second smoke run and an hour-long soak both come out readable.
It exits 1 when a panel has no data: such a picture would not show the run.
"""

import argparse
import datetime
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import requests  # noqa: E402


@dataclass
class Panel:
    title: str
    unit: str
    queries: dict  # legend -> PromQL with {w} for the rate window
    every_series: bool = False  # draw each series of a query (legend: Grafana's {{label}} format)


DASHBOARD = Path("monitoring") / "grafana" / "dashboards" / "toxicity-overview.json"  # in the checkout
UNITS = {"reqps": "requests/s", "s": "seconds", "percentunit": "fraction", "short": "count", "percent": "%"}


def dashboard_panels(row_title: str, dashboard: Path | None = None) -> list[Panel]:
    """The panels of the dashboard row whose title starts with `row_title`, with their queries."""
    from .checkout import root
    dashboard = dashboard or root() / DASHBOARD
    panels, taken, found = json.loads(dashboard.read_text())["panels"], [], False
    for panel in panels:
        if panel["type"] == "row":
            if found:
                break
            found = panel["title"].startswith(row_title)
            continue
        if found:
            unit = panel["fieldConfig"]["defaults"].get("unit", "")
            queries = {target.get("legendFormat") or target["refId"]:
                       target["expr"].replace("$instance", ".+").replace("[5m]", "[{w}]")
                       for target in panel["targets"]}
            taken.append(Panel(panel["title"], UNITS.get(unit, unit), queries, every_series=True))
    if not taken:
        raise RuntimeError(f"no dashboard row titled {row_title!r} with panels in {dashboard.name}")
    return taken


def series_legend(template: str, labels: dict) -> str:
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda match: labels.get(match.group(1), ""), template)


SCORING = 'endpoint=~"/|/api/v1/toxicity", method="POST"'
PANELS = [
    Panel("Request rate", "requests/s", {
        "UI scoring": f"sum(rate(toxicity_ui_requests_total{{{SCORING}}}[{{w}}]))",
        "TorchServe": "sum(rate(ts_inference_requests_total[{w}]))"}),
    Panel("UI latency", "seconds", {
        f"p{q}": f"histogram_quantile(0.{q}, sum by (le) (rate(toxicity_ui_request_duration_seconds_bucket"
                 f"{{endpoint=~\"/|/api/v1/toxicity\"}}[{{w}}])))" for q in (50, 95, 99)}),
    # No error is a real zero only where scoring requests were scraped: `or vector(0)` would draw
    # a zero line with no data at all behind it.
    Panel("Errors", "requests/s", {
        f"UI {kind}": f'sum(rate(toxicity_ui_requests_total{{{SCORING}, status=~"{kind[0]}.."}}[{{w}}])) '
                      f'or 0 * sum(rate(toxicity_ui_requests_total{{{SCORING}}}[{{w}}]))' for kind in ("5xx", "4xx")}),
    Panel("CPU busy", "fraction of all cores", {
        "host": '1 - avg(rate(node_cpu_seconds_total{mode="idle"}[{w}]))'}),
    Panel("Memory used", "GiB", {
        "host": "(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes) / 2^30"}),
    Panel("TorchServe batch size", "requests per batch", {
        "average": "sum(rate(toxicity_handler_requests_total[{w}])) / sum(rate(toxicity_handler_batches_total[{w}]))",
        "last": "max(toxicity_handler_batch_size)"}),
]


def parse_time(value: str) -> float:
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def parse_duration(value: str) -> float:
    """90s, 10m, 2h, 1m30s (Prometheus writes durations this way too)."""
    parts = re.findall(r"(\d+)(ms|[smh])", value)
    if not parts or "".join(number + unit for number, unit in parts) != value:
        raise argparse.ArgumentTypeError(f"{value!r}: use e.g. 90s, 10m, 2h")
    return sum(int(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit] for number, unit in parts)


def scrape_interval_seconds(prometheus: str) -> float:
    """The longest scrape interval of the active targets, as Prometheus reports it."""
    reply = requests.get(f"{prometheus}/api/v1/targets", params={"state": "active"}, timeout=30)
    targets = reply.json().get("data", {}).get("activeTargets", [])
    intervals = [parse_duration(t["scrapeInterval"]) for t in targets if t.get("scrapeInterval")]
    if not intervals:
        raise RuntimeError("Prometheus reports no active target with a scrape interval")
    return max(intervals)


def rate_window(span: float, step: float, scrape_interval: float) -> str:
    """At least 4 scrapes (Grafana's $__rate_interval), a step plus a scrape, and 1/20 of the span."""
    return f"{int(max(4 * scrape_interval, step + scrape_interval, span / 20))}s"


def query_range(prometheus: str, expr: str, start: float, end: float, step: float) -> list:
    reply = requests.get(f"{prometheus}/api/v1/query_range",
                         params={"query": expr, "start": start, "end": end, "step": step}, timeout=30)
    body = reply.json()
    if body.get("status") != "success":
        raise RuntimeError(f"Prometheus refused {expr!r}: {body.get('error')}")
    return body["data"]["result"]


def render(prometheus: str, start: float, end: float, output: Path, title: str,
           panels: list[Panel] = PANELS) -> dict:
    """Draw the report; return how many points each panel line got (empty lines are named)."""
    span = end - start
    step = max(1.0, span / 300)
    scrape = scrape_interval_seconds(prometheus)
    window = rate_window(span, step, scrape)
    rows = (len(panels) + 1) // 2
    figure, axes = plt.subplots(rows, 2, figsize=(14, 3.7 * rows), sharex=True, squeeze=False)
    points = {}
    for axis, panel in zip(axes.flat, panels):
        for legend, template in panel.queries.items():
            series = query_range(prometheus, template.replace("{w}", window), start, end, step)
            drawn = series[:8] if panel.every_series else series[:1]
            points[f"{panel.title}: {legend}"] = 0
            for one in drawn:
                values = [(float(t), float(v)) for t, v in one["values"] if v not in ("NaN", "+Inf")]
                points[f"{panel.title}: {legend}"] += len(values)
                if values:
                    times = [datetime.datetime.fromtimestamp(t, datetime.timezone.utc) for t, _ in values]
                    label = series_legend(legend, one["metric"]) if panel.every_series else legend
                    axis.plot(times, [v for _, v in values], label=label, linewidth=1.6)
        axis.set_title(panel.title, fontsize=12, loc="left")
        axis.set_ylabel(panel.unit)
        axis.grid(alpha=0.3)
        axis.set_ylim(bottom=0)
        if axis.lines:
            axis.legend(loc="upper left", fontsize=9)
        axis.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S", tz=datetime.timezone.utc))
    started = datetime.datetime.fromtimestamp(start, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    figure.suptitle(f"{title}\n{started}, {span / 60:.1f} min, scrape every {scrape:g} s, rate window {window}",
                    fontsize=13)
    for axis in list(axes.flat)[len(panels):]:
        axis.set_visible(False)
    figure.autofmt_xdate()
    figure.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=90)
    plt.close(figure)
    return points


def prometheus_is_up(prometheus: str) -> bool:
    try:
        return requests.get(f"{prometheus}/-/ready", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="toxmon metrics-report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--prometheus", default="http://127.0.0.1:9090")
    parser.add_argument("--start", help="unix time or ISO 8601")
    parser.add_argument("--end", help="unix time or ISO 8601 (default: now)")
    parser.add_argument("--last", type=parse_duration, help="instead of --start: this long before --end")
    parser.add_argument("--output", type=Path, default=Path("build/reports/metrics.png"))
    parser.add_argument("--title", default="Toxicity Monitor under load")
    parser.add_argument("--dashboard-row", metavar="TITLE",
                        help="draw the panels of this row of the Grafana dashboard instead (e.g. Rollout)")
    args = parser.parse_args(argv)
    end = parse_time(args.end) if args.end else datetime.datetime.now().timestamp()
    if args.start:
        start = parse_time(args.start)
    elif args.last:
        start = end - args.last
    else:
        parser.error("give --start or --last")
    try:
        panels = dashboard_panels(args.dashboard_row) if args.dashboard_row else PANELS
        points = render(args.prometheus.rstrip("/"), start, end, args.output, args.title, panels)
    except (requests.RequestException, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    empty = [name for name, count in points.items() if count == 0]
    print(json.dumps({"output": str(args.output), "points": points, "empty": empty}, indent=2))
    if empty:  # the picture would not show the run: say so rather than hand over blank panels
        print(f"error: panels without data: {', '.join(empty)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
