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
