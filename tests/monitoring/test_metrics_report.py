"""The stress-test picture: one command turns a time window in Prometheus into a PNG."""

import json
import subprocess
import sys

from support.servers import ROOT


def test_report_renders_every_panel_with_data(monitored_stack, tmp_path):
    output = tmp_path / "report.png"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "metrics_report.py"),
                             "--prometheus", f"http://127.0.0.1:{monitored_stack.prometheus}",
                             "--last", "2m", "--output", str(output)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["empty"] == [], f"panels without data: {summary['empty']}"
    assert len(summary["points"]) == 11
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and output.stat().st_size > 20_000


def test_report_fails_clearly_when_prometheus_is_unreachable(tmp_path):
    from support.servers import free_port
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "metrics_report.py"),
                             "--prometheus", f"http://127.0.0.1:{free_port()}", "--last", "1m",
                             "--output", str(tmp_path / "x.png")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stderr.startswith("error:")
