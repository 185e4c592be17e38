"""API keys and quotas, and the feedback store, through a UI of their own under gunicorn (two
worker processes, as `make run` starts it) in front of the shared TorchServe."""

import os
import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from support.servers import running_ui

QUOTA = 40
LIMITED_KEY = "limited-5d41402abc4b2a76b9719d911017c592"
UNLIMITED_KEY = "unlimited-7d793037a0760186574b0282f2f435e7"
ANALYZE = {"comment": {"text": "Thanks for the lovely photo"}, "requestedAttributes": {"TOXICITY": {}}}


def keys_file(directory):
    path = directory / "keys.yaml"
    path.write_text(f"keys:\n  - name: limited\n    key: {LIMITED_KEY}\n    quota_per_minute: {QUOTA}\n"
                    f"  - name: unlimited\n    key: {UNLIMITED_KEY}\n")
    return path


@pytest.fixture(scope="module")
def keyed_ui(torchserve, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("keyed-ui")
    with running_ui(torchserve.ports, run_dir, {"API_KEYS_FILE": str(keys_file(run_dir))}) as ui:
        yield ui


def start_of_a_minute():
    """The quota counts calendar minutes: start where the next 15 s stay in one."""
    if time.time() % 60 > 40:
        time.sleep(60 - time.time() % 60 + 0.1)


def test_32_clients_get_exactly_the_quota_and_no_call_under_it_is_refused(keyed_ui):
    start_of_a_minute()
    url = f"{keyed_ui.url}/v1alpha1/comments:analyze"

    def call(number):
        key = LIMITED_KEY if number % 2 == 0 else UNLIMITED_KEY
        reply = requests.post(f"{url}?key={key}", json=ANALYZE, timeout=60)
        return key, reply.status_code, reply.headers.get("Retry-After"), reply.json()

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(call, range(4 * QUOTA)))  # 2 x QUOTA calls for each key
    limited = [answer for answer in answers if answer[0] == LIMITED_KEY]
    unlimited = [answer for answer in answers if answer[0] == UNLIMITED_KEY]
    assert sorted(status for _, status, _, _ in limited) == [200] * QUOTA + [429] * QUOTA
    assert {status for _, status, _, _ in unlimited} == {200}
    for _, status, retry_after, body in limited:
        if status == 429:
            assert body["error"]["status"] == "RESOURCE_EXHAUSTED" and 1 <= int(retry_after) <= 60


def test_unknown_and_missing_keys_are_refused_as_google_refuses_them(keyed_ui):
    url = f"{keyed_ui.url}/v1alpha1/comments:analyze"
    wrong = requests.post(f"{url}?key=not-a-key-of-ours", json=ANALYZE, timeout=30)
    assert wrong.status_code == 400 and wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    missing = requests.post(url, json=ANALYZE, timeout=30)
    assert missing.status_code == 403 and missing.json()["error"]["status"] == "PERMISSION_DENIED"
    native = requests.post(f"{keyed_ui.url}/api/v1/toxicity", json={"text": "hi"}, timeout=30)
    assert native.status_code == 401
    assert requests.post(f"{keyed_ui.url}/api/v1/toxicity", json={"text": "hi"}, timeout=30,
                         headers={"X-API-Key": UNLIMITED_KEY}).status_code == 200


def test_keys_reach_neither_the_log_nor_the_metrics(keyed_ui):
    requests.post(f"{keyed_ui.url}/v1alpha1/comments:analyze?key={UNLIMITED_KEY}", json=ANALYZE, timeout=30)
    requests.post(f"{keyed_ui.url}/v1alpha1/comments:analyze", json=ANALYZE, timeout=30,
                  headers={"x-goog-api-key": UNLIMITED_KEY})
    exposition = requests.get(f"{keyed_ui.url}/metrics", timeout=10).text
    assert 'key="unlimited"' in exposition
    log = (keyed_ui.run_dir / "ui.log").read_text()
    assert "comments:analyze" in log  # the log is being written
    for key in (LIMITED_KEY, UNLIMITED_KEY, "not-a-key-of-ours"):
        assert key not in log and key not in exposition
    assert "API keys: 2 configured (limited, unlimited)" in log


def test_acknowledged_feedback_survives_a_kill_9_of_the_ui(torchserve, tmp_path):
    with running_ui(torchserve.ports, tmp_path) as ui:
        tokens = [f"survivor-{number}" for number in range(20)]

        def suggest(token):
            return requests.post(f"{ui.url}/v1alpha1/comments:suggestscore", timeout=30, json={
                "comment": {"text": f"Moderators said this one is fine ({token})."}, "clientToken": token,
                "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}}}).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(suggest, tokens)) == {200}
        os.killpg(ui.process.pid, signal.SIGKILL)  # the master and its workers, no shutdown at all
        ui.process.wait(10)
    with sqlite3.connect(tmp_path / "feedback.sqlite") as connection:
        kept = {token for token, in connection.execute("SELECT client_token FROM feedback")}
    assert kept == set(tokens)
