"""Faults under load: a slow model, a killed worker. Every request gets a result or a
clear error within the timeout; none vanishes; the service comes back by itself."""

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import yaml

from toxmon import torchserve_process
from support.http import metric_sum, scrape
from support.servers import ROOT, free_torchserve_ports, make, running_torchserve, running_ui

CLEAR_ERRORS = {"model_unavailable", "model_server_error", "model_timeout", "overloaded"}


def slow_archive(model_dir, name, **serving):
    """The demo archive with the handler's test-only delay (3 s per batch), built with
    `make archive` from a model config changed by `serving` (workers, batching)."""
    config = yaml.safe_load((ROOT / "handler" / "model-config.yaml").read_text())
    config["handler"]["test_delay_seconds"] = 3
    config.update(serving)
    config_path = ROOT / "build" / "test" / f"model-config-{name}.yaml"
    config_path.write_text(yaml.safe_dump(config))
    store = ROOT / "build" / "test" / f"model-store-{name}"
    make("archive", "MODEL_SOURCE=demo", f"MODEL_DIR={model_dir}", f"ARCHIVE_DIR={store}", f"MODEL_CONFIG={config_path}")
    return store


@pytest.fixture(scope="module")
def slow_store(demo_model_dir):
    return slow_archive(demo_model_dir, "slow")


@pytest.fixture(scope="module")
def slow_serial_store(demo_model_dir):
    """The queue is under test, not batching or worker count: one worker taking one request at a time."""
    return slow_archive(demo_model_dir, "slow-serial", minWorkers=1, maxWorkers=1, batchSize=1, maxBatchDelay=1)


def post(url, text="hello", timeout=30):
    """(status, JSON body, seconds, headers); status None when no HTTP answer came."""
    started = time.monotonic()
    try:
        reply = requests.post(url, json={"text": text}, timeout=timeout)
        return reply.status_code, reply.json(), time.monotonic() - started, reply.headers
    except requests.RequestException as error:
        return None, {"exception": type(error).__name__}, time.monotonic() - started, {}


def handler_requests(ports) -> float:
    """Requests that reached the handler, from TorchServe's own metrics."""
    return metric_sum(scrape(f"http://127.0.0.1:{ports.metrics}/metrics"), "toxicity_handler_requests_total")


def test_slow_model_gives_504_at_the_timeout_and_sheds_the_rest(slow_store, tmp_path):
    ports = free_torchserve_ports()
    env = {"READ_TIMEOUT_SECONDS": "1", "MAX_IN_FLIGHT": "3", "UI_WORKERS": "1", "UI_THREADS": "8"}
    with running_torchserve(slow_store, tmp_path / "ts", ports=ports), \
            running_ui(ports, tmp_path / "ui", extra_env=env) as ui:
        api = f"{ui.url}/api/v1/toxicity"
        with ThreadPoolExecutor(max_workers=6) as pool:
            pending = [pool.submit(post, api) for _ in range(6)]
            time.sleep(0.3)
            started = time.monotonic()
            health = requests.get(f"{ui.url}/healthz", timeout=5)
            assert health.status_code == 200 and time.monotonic() - started < 0.5, "UI workers exhausted"
            outcomes = [future.result() for future in pending]
        statuses = sorted(status for status, _, _, _ in outcomes)
        assert statuses == [503, 503, 503, 504, 504, 504], outcomes
        for status, body, seconds, headers in outcomes:
            assert body["error"]["code"] == ("model_timeout" if status == 504 else "overloaded")
            assert seconds < 3, "no caller waits past the timeout"
            if status == 503:
                assert int(headers["Retry-After"]) >= 1
        assert ui.process.poll() is None and requests.get(f"{ui.url}/healthz", timeout=5).status_code == 200
        # The slow model is never called twice: the three timed-out requests reached it once each
        # (the shed ones never), counted by the handler once the slow batches are done.
        deadline = time.monotonic() + 30
        while handler_requests(ports) < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(7)  # long enough for a retried request to reach the 3-second model too
        assert handler_requests(ports) == 3


def test_killed_workers_are_restarted_and_every_request_is_answered(demo_store, tmp_path):
    """Every worker SIGKILLed under steady load: the service is down, then back by itself."""
    ports = free_torchserve_ports()
    with running_torchserve(demo_store, tmp_path / "ts", ports=ports), \
            running_ui(ports, tmp_path / "ui", extra_env={"READ_TIMEOUT_SECONDS": "10"}) as ui:
        api = f"{ui.url}/api/v1/toxicity"
        management = ports.urls()["management"]
        old_pids = [w["pid"] for w in torchserve_process.model_status(management)["workers"]]
        assert len(old_pids) == 2
        sent, outcomes, stop = [0], [], threading.Event()  # outcomes: (started, status, body, seconds)

        def steady_load():
            while not stop.is_set():
                started = time.monotonic()
                sent[0] += 1
                outcomes.append((started, *post(api, "you are an idiot", timeout=20)))
                time.sleep(0.05)

        threads = [threading.Thread(target=steady_load) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        killed_at = time.monotonic()
        for pid in old_pids:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # wait for TorchServe to start new workers
            status = torchserve_process.model_status(management) or {}
            now = status.get("workers", [])
            if (len(now) == len(old_pids) and all(w.get("status") == "READY" for w in now)
                    and not set(old_pids) & {w.get("pid") for w in now}):
                recovered_at = time.monotonic()
                break
            time.sleep(0.5)
        else:
            pytest.fail("TorchServe did not replace the killed workers")
        # Traffic after the recovery: until 20 requests started after it have their answers
        # (requests caught in the outage may hold the senders for up to the UI's timeout first).
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and sum(1 for o in outcomes if o[0] > recovered_at) < 20:
            time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()

    assert len(outcomes) == sent[0], "a request vanished without an outcome"
    for _, status, body, seconds, _ in outcomes:
        assert status is not None, f"a request got no HTTP answer: {body}"
        assert status == 200 or body["error"]["code"] in CLEAR_ERRORS, (status, body)
        assert seconds < 12, "a caller waited past the timeout"
    # Requests under way while no worker was alive: each was answered above, by a clear error
    # or, when TorchServe brought new workers up within the UI's timeout, by a score after a wait.
    during = [status for started, status, _, seconds, _ in outcomes
              if started < recovered_at and started + seconds > killed_at]
    assert len(during) >= 4, "the outage saw no traffic"
    after = [status for started, status, _, _, _ in outcomes if started > recovered_at]
    assert len(after) >= 20 and set(after) == {200}, f"after recovery: {after}"


def test_full_job_queue_sheds_with_503_and_recovers(slow_serial_store, tmp_path):
    ports = free_torchserve_ports()
    with running_torchserve(slow_serial_store, tmp_path / "ts", ports=ports, settings={"job_queue_size": 2}), \
            running_ui(ports, tmp_path / "ui", extra_env={"READ_TIMEOUT_SECONDS": "20"}) as ui:
        api = f"{ui.url}/api/v1/toxicity"
        with ThreadPoolExecutor(max_workers=10) as pool:
            first = pool.submit(post, api)  # keeps the worker busy for 3 s
            time.sleep(0.5)
            burst = [pool.submit(post, api) for _ in range(8)]
            outcomes = [future.result() for future in burst] + [first.result()]
        shed = [o for o in outcomes if o[0] == 503]
        assert shed, "a full queue must shed load"
        for status, body, seconds, headers in shed:
            assert body["error"]["code"] == "model_unavailable" and seconds < 2, "shed at once"
            assert int(headers["Retry-After"]) >= 1, "the README promises when to retry"
        assert all(status in (200, 503) for status, _, _, _ in outcomes), outcomes
        assert post(api)[0] == 200, "service recovers when the load drops"


def test_a_slow_candidate_in_shadow_never_slows_a_user(demo_model_dir, demo_store, tmp_path):
    """A real candidate that takes 3 s per batch (the handler's test-only delay) and a 1 s
    comparison timeout: every user is answered by the primary in the primary's time, and each
    comparison is counted as failed."""
    import shutil
    import subprocess
    from support.servers import CANDIDATE_VERSION, TOXMON
    from toxicity_ui.routing import Routing, write_routing_file
    config = yaml.safe_load((ROOT / "handler" / "model-config.yaml").read_text())
    config["handler"]["test_delay_seconds"] = 3
    config_path = tmp_path / "slow-candidate-config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    store = tmp_path / "store"
    store.mkdir()
    shutil.copyfile(demo_store / "toxic-bert.mar", store / "toxic-bert.mar")
    built = subprocess.run([TOXMON, "archive", "--source", "demo", "--model-dir", str(demo_model_dir),
                            "--export-dir", str(store), "--name", "toxic-bert-candidate",
                            "--version", CANDIDATE_VERSION, "--workers", "1", "--config", str(config_path)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    ports = free_torchserve_ports()
    texts = ["you are an idiot", "have a lovely day", "I will hurt you", "thanks for the photo"] * 2
    with running_torchserve(store, tmp_path / "ts", ports=ports, candidate=True), \
            running_ui(ports, tmp_path / "ui", extra_env={"ROLLOUT_COMPARE_TIMEOUT_SECONDS": "1"}) as ui:
        torchserve_process.wait_ready(ports.urls()["management"], 120, version=CANDIDATE_VERSION)
        api = f"{ui.url}/api/v1/toxicity"
        primary_only = [post(api, text) for text in texts]
        write_routing_file(str(tmp_path / "ui" / "rollout" / "routing.json"), Routing("shadow", CANDIDATE_VERSION))
        time.sleep(1.2)  # each UI worker re-reads the routing file within a second
        before = scrape(f"{ui.url}/metrics")
        shadowed = [post(api, text) for text in texts]

        deadline = time.monotonic() + 60
        while compare_failures_in(scrape(f"{ui.url}/metrics"), before) < len(texts) and time.monotonic() < deadline:
            time.sleep(0.5)
        after = scrape(f"{ui.url}/metrics")
    assert [(status, body["model_version"]) for status, body, _, _ in shadowed] == [(200, "1.0")] * len(texts)
    slowest_primary = max(seconds for *_, seconds, _ in primary_only)
    slowest_shadowed = max(seconds for *_, seconds, _ in shadowed)
    # The candidate needs 3 s a call: a user who waited for it would take that long at least.
    assert slowest_shadowed < min(2.0, slowest_primary + 0.6), (slowest_primary, slowest_shadowed)
    timed_out = {"version": CANDIDATE_VERSION, "role": "candidate", "purpose": "compare", "outcome": "model_timeout"}
    assert metric_sum(after, "toxicity_ui_version_calls_total", **timed_out) - \
        metric_sum(before, "toxicity_ui_version_calls_total", **timed_out) == len(texts)
    assert compare_failures_in(after, before) == len(texts)


def compare_failures_in(after, before):
    return metric_sum(after, "toxicity_ui_rollout_comparisons_total", outcome="failed") - \
        metric_sum(before, "toxicity_ui_rollout_comparisons_total", outcome="failed")
