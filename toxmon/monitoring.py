"""Run Prometheus, Alertmanager and node-exporter locally (Debian's packages), on 127.0.0.1.

`make monitor` uses it to watch the stack that `make run` started; the tests
use it with short intervals. The configs are the ones in monitoring/, with
only the targets, intervals and the webhook URL rewritten for a local run.
"""

import argparse
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import supervise
from .checkout import root
from .torchserve_process import Ports

MONITORING = root() / "monitoring"
BINARIES = {"prometheus": "prometheus", "alertmanager": "prometheus-alertmanager",
            "node": "prometheus-node-exporter"}


@dataclass
class MonitoringPorts:
    prometheus: int = 9090
    alertmanager: int = 9093
    node: int = 9100

    @classmethod
    def from_env(cls) -> "MonitoringPorts":
        return cls(prometheus=int(os.environ.get("PROMETHEUS_PORT", 9090)),
                   alertmanager=int(os.environ.get("ALERTMANAGER_PORT", 9093)),
                   node=int(os.environ.get("NODE_EXPORTER_PORT", 9100)))


@dataclass
class Targets:
    """Where the monitored services listen, as host:port."""
    torchserve: str
    ui: str
    node: str
    alertmanager: str
    prometheus: str
    extra_jobs: dict = field(default_factory=dict)


def runbook_base_url() -> str:
    """Where the alerts' runbook links point: RUNBOOK_BASE_URL, else this checkout's runbook."""
    return os.environ.get("RUNBOOK_BASE_URL") or (MONITORING / "runbook.md").as_uri()


def render_prometheus_config(run_dir: Path, targets: Targets, scrape_interval: str | None = None,
                             evaluation_interval: str | None = None) -> Path:
    """The shipped config with local targets and the runbook's address; intervals as shipped
    unless a test asks for faster ones."""
    config = yaml.safe_load((MONITORING / "prometheus" / "prometheus.yml").read_text())
    config["global"]["external_labels"]["runbook"] = runbook_base_url()
    if scrape_interval:
        config["global"]["scrape_interval"] = scrape_interval
    if evaluation_interval:
        config["global"]["evaluation_interval"] = evaluation_interval
    config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] = [targets.alertmanager]
    for job in config["scrape_configs"]:
        job["static_configs"][0]["targets"] = [getattr(targets, job["job_name"])]
    for rules in config["rule_files"]:
        shutil.copy(MONITORING / "prometheus" / rules, run_dir / rules)
    path = run_dir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def render_alertmanager_config(run_dir: Path, webhook_url: str, group_wait: str | None = None) -> Path:
    config = yaml.safe_load((MONITORING / "alertmanager" / "alertmanager.yml").read_text())
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = webhook_url
    if group_wait:  # tests want alerts delivered in seconds, not the production 10-30 s
        config["route"]["group_wait"] = group_wait
        config["route"]["group_interval"] = group_wait
        for route in config["route"].get("routes", []):
            route["group_wait"] = group_wait
    path = run_dir / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _binary(name: str) -> str:
    binary = shutil.which(BINARIES[name])
    if binary is None:
        raise RuntimeError(f"{BINARIES[name]} is not installed: run `make system-deps`")
    return binary


def programs(run_dir: Path, ports: MonitoringPorts, prometheus_config: Path,
             alertmanager_config: Path) -> list[supervise.Program]:
    return [
        supervise.Program("node", [_binary("node"), f"--web.listen-address=127.0.0.1:{ports.node}"], run_dir),
        supervise.Program("alertmanager", [
            _binary("alertmanager"), f"--config.file={alertmanager_config}",
            f"--storage.path={run_dir / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{ports.alertmanager}",
            "--cluster.listen-address=",  # no clustering: it would bind every interface
        ], run_dir),
        supervise.Program("prometheus", [
            _binary("prometheus"), f"--config.file={prometheus_config}",
            f"--storage.tsdb.path={run_dir / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{ports.prometheus}", "--storage.tsdb.retention.time=7d",
        ], run_dir),
    ]


def start(run_dir: Path, ports: MonitoringPorts, targets: Targets, webhook_url: str,
          scrape_interval: str | None = None, evaluation_interval: str | None = None,
          group_wait: str | None = None) -> None:
    """Start the three under supervisord in `run_dir`; block until each answers."""
    run_dir = run_dir.resolve()
    for sub in ("prometheus-data", "alertmanager-data"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    prometheus_config = render_prometheus_config(run_dir, targets, scrape_interval, evaluation_interval)
    alertmanager_config = render_alertmanager_config(run_dir, webhook_url, group_wait)
    supervise.start(run_dir, programs(run_dir, ports, prometheus_config, alertmanager_config))
    try:
        for name, port, path in (("node", ports.node, "/metrics"),
                                 ("alertmanager", ports.alertmanager, "/-/ready"),
                                 ("prometheus", ports.prometheus, "/-/ready")):
            wait_http(f"http://127.0.0.1:{port}{path}", 60, name, run_dir)
    except Exception:
        supervise.stop(run_dir)
        raise


def wait_http(url: str, timeout: float, name: str, run_dir: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{name} did not answer {url} within {timeout:.0f} s; see {run_dir / 'logs' / name}.log")


def stop(run_dir: Path) -> bool:
    return supervise.stop(run_dir.resolve())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="toxmon monitor", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--run-dir", type=Path, default=root() / "build" / "run" / "monitoring")
    args = parser.parse_args(argv)
    if args.command == "stop":
        print("monitoring stopped" if stop(args.run_dir) else "monitoring was not running")
        return 0
    ports, ts_ports = MonitoringPorts.from_env(), Ports.from_env()
    ui_port = int(os.environ.get("UI_PORT", 5000))
    targets = Targets(torchserve=f"127.0.0.1:{ts_ports.metrics}", ui=f"127.0.0.1:{ui_port}",
                      node=f"127.0.0.1:{ports.node}", alertmanager=f"127.0.0.1:{ports.alertmanager}",
                      prometheus=f"127.0.0.1:{ports.prometheus}")
    webhook = os.environ.get("ALERT_WEBHOOK_URL", "http://127.0.0.1:9095/alerts")
    try:
        start(args.run_dir, ports, targets, webhook)
    except (RuntimeError, TimeoutError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Prometheus:    http://127.0.0.1:{ports.prometheus}/  (targets: /targets, alerts: /alerts)")
    print(f"Alertmanager:  http://127.0.0.1:{ports.alertmanager}/")
    print(f"node-exporter: http://127.0.0.1:{ports.node}/metrics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
