"""The stress-test picture: one command turns a time window in Prometheus into a PNG."""

import subprocess

import pytest

from support.servers import TOXMON


# The picture drawn from a real stress run at the shipped scrape interval is tested in
# tests/stress/test_stress_smoke.py.


@pytest.mark.parametrize("span, scrape, window", [
    (180, 15, "60s"),     # a 3-minute run at the shipped interval: 4 scrapes, not 15 s (one sample)
    (180, 1, "9s"),
    (3600, 15, "180s"),   # an hour: wider for readability
    (60, 60, "240s"),
])
def test_rate_window_holds_at_least_four_scrapes(span, scrape, window):
    from toxmon.metrics_report import rate_window
    assert rate_window(span, max(1.0, span / 300), scrape) == window


def test_report_fails_clearly_when_prometheus_is_unreachable(tmp_path):
    from support.servers import free_port
    result = subprocess.run([TOXMON, "metrics-report",
                             "--prometheus", f"http://127.0.0.1:{free_port()}", "--last", "1m",
                             "--output", str(tmp_path / "x.png")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stderr.startswith("error:")
