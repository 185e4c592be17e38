"""The brief's stress scenario against a running stack, then the picture of its metrics.

    toxmon stress --host http://127.0.0.1:5000 --duration 5m --p95-ms 300 --capacity

1. steady: 5 locust users, one action every 3 s each (100 requests/minute), for
   --duration; locust exits non-zero when the SLO (--p95-ms, no failure) is missed;
2. with --capacity, the step-up run (tests/stress/capacity_shape.py), informative;
3. when Prometheus answers at --prometheus, the metrics PNG of the whole run
   (toxmon metrics-report), so the report shows what the monitoring saw.
Reports land in --output-dir: locust CSV/HTML and metrics.png.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from .checkout import root
from .metrics_report import prometheus_is_up

ROOT = root()
STRESS = ROOT / "tests" / "stress"


def locust(host: str, output: Path, name: str, files: list[str], extra: list[str], env: dict | None = None) -> int:
    locustfiles = ",".join(str(STRESS / file) for file in files)
    command = [sys.executable, "-m", "locust", "-f", locustfiles, "--headless", "--host", host,
               "--csv", str(output / name), "--html", str(output / f"{name}.html"), "--only-summary",
               "--stop-timeout", "10", *extra]
    return subprocess.run(command, env={**os.environ, **(env or {})}).returncode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="toxmon stress", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=f"http://127.0.0.1:{os.environ.get('UI_PORT', 5000)}")
    parser.add_argument("--duration", default="5m", help="steady run length (locust's --run-time)")
    parser.add_argument("--p95-ms", type=float, default=300)
    parser.add_argument("--capacity", action="store_true", help="also run the step-up capacity run")
    parser.add_argument("--prometheus", default=f"http://127.0.0.1:{os.environ.get('PROMETHEUS_PORT', 9090)}")
    parser.add_argument("--settle-seconds", type=float, default=30,
                        help="wait before the picture: two scrapes at the shipped 15 s interval")
    parser.add_argument("--output-dir", type=Path,
                        default=ROOT / "build" / "stress" / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
    args = parser.parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()

    print(f"== steady: 100 requests/minute for {args.duration} ==", flush=True)
    steady = locust(args.host, args.output_dir, "steady", ["locustfile.py"],
                    ["--users", "5", "--spawn-rate", "5", "--run-time", args.duration,
                     "--slo-p95-ms", str(args.p95_ms), "--slo-max-fail-ratio", "0"])
    if args.capacity:
        print("== step-up capacity run (informative: SLO not enforced) ==", flush=True)
        locust(args.host, args.output_dir, "capacity", ["locustfile.py", "capacity_shape.py"],
               ["--slo-p95-ms", "100000", "--slo-max-fail-ratio", "1"], env={"STRESS_WAIT_SECONDS": "1"})

    report = 0
    if prometheus_is_up(args.prometheus):
        # Wait for the scrapes after the last request, so the run's end is in Prometheus too.
        time.sleep(args.settle_seconds)
        report = subprocess.run([sys.executable, "-m", "toxmon.metrics_report",
                                 "--prometheus", args.prometheus, "--start", str(started),
                                 "--output", str(args.output_dir / "metrics.png"),
                                 "--title", f"Toxicity Monitor under the stress test ({args.duration} steady)"]
                                ).returncode
    else:
        print(f"Prometheus is not running at {args.prometheus}: no metrics picture (start it with `make monitor`)")
    print(f"reports: {args.output_dir}")
    return steady or report


if __name__ == "__main__":
    sys.exit(main())
