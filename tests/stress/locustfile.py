"""Simulated people using Toxicity Monitor: they open the page, submit the form, call the API.

Run against a running stack (`make run`), e.g. the brief's scenario:
    locust -f tests/stress/locustfile.py --headless --host http://127.0.0.1:5000 \
           --users 5 --spawn-rate 5 --run-time 5m --slo-p95-ms 300
Each user does one action every WAIT_SECONDS (default 3 s), so 5 users make
100 requests per minute. `make stress` runs this and the step-up capacity run.

The SLO hook makes locust exit non-zero when the failure ratio or the p95
latency exceed their limits (--slo-max-fail-ratio, --slo-p95-ms).
"""

import json
import logging
import os
import random
import re
from pathlib import Path

from locust import HttpUser, constant_throughput, events, task

TEXTS = json.loads((Path(__file__).parents[2] / "toxmon" / "model" / "texts" / "varied.json").read_text())
ALL_TEXTS = TEXTS["toxic"] + TEXTS["benign"]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
WAIT_SECONDS = float(os.environ.get("STRESS_WAIT_SECONDS", "3"))


@events.init_command_line_parser.add_listener
def slo_arguments(parser):
    parser.add_argument("--slo-max-fail-ratio", type=float, default=0.0, help="highest failure ratio allowed")
    parser.add_argument("--slo-p95-ms", type=float, default=300.0, help="highest p95 latency allowed (ms)")


@events.quitting.add_listener
def enforce_slo(environment, **_kwargs):
    total = environment.stats.total
    options = environment.parsed_options
    p95 = total.get_response_time_percentile(0.95) or 0
    verdicts = []
    if total.num_requests == 0:
        verdicts.append("no request was made")
    if total.fail_ratio > options.slo_max_fail_ratio:
        verdicts.append(f"failure ratio {total.fail_ratio:.2%} > {options.slo_max_fail_ratio:.2%}")
    if p95 > options.slo_p95_ms:
        verdicts.append(f"p95 {p95:.0f} ms > {options.slo_p95_ms:.0f} ms")
    if verdicts:
        logging.error("SLO FAILED: %s", "; ".join(verdicts))
        environment.process_exit_code = 1
    else:
        logging.info("SLO met: %d requests, failure ratio %.2f%%, p95 %.0f ms",
                     total.num_requests, total.fail_ratio * 100, p95)


class ToxicityUser(HttpUser):
    """One person: mostly API calls from their tools, some form submits, some page loads."""
    wait_time = constant_throughput(1 / WAIT_SECONDS)

    def on_start(self):
        self.csrf_token = None

    @task(1)
    def open_page(self):
        with self.client.get("/", name="GET /", catch_response=True) as reply:
            match = CSRF.search(reply.text or "")
            if reply.status_code != 200 or not match:
                reply.failure(f"page: status {reply.status_code}, CSRF token found: {bool(match)}")
                return
            self.csrf_token = match.group(1)

    @task(2)
    def submit_form(self):
        if self.csrf_token is None:
            self.open_page()
            return
        with self.client.post("/", data={"text": random.choice(ALL_TEXTS), "csrf_token": self.csrf_token}, name="POST / (form)",
                              catch_response=True) as reply:
            if reply.status_code != 200 or 'id="verdict"' not in reply.text:
                reply.failure(f"form: status {reply.status_code}")

    @task(3)
    def call_api(self):
        with self.client.post("/api/v1/toxicity", json={"text": random.choice(ALL_TEXTS)}, name="POST /api/v1/toxicity",
                              catch_response=True) as reply:
            try:
                body = reply.json()
                assert reply.status_code == 200 and len(body["scores"]) == 6
            except (ValueError, KeyError, AssertionError):
                reply.failure(f"api: status {reply.status_code}: {reply.text[:200]}")
