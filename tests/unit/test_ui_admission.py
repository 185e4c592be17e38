"""Load shedding at the UI: refused at once with 503/429 and Retry-After, never queued."""

import threading
import time

import pytest

from toxicity_ui import create_app
from toxicity_ui.admission import RateLimiter
from toxicity_ui.errors import ApiError


def test_in_flight_limit_refuses_beyond_capacity_then_recovers(ui_settings, fake_torchserve):
    app = create_app(ui_settings.replace(max_in_flight=2, read_timeout_seconds=5))
    fake_torchserve.mode = "slow:1.0"
    results = []

    def call():
        results.append(app.test_client().post("/api/v1/toxicity", json={"text": "hello"}))

    slow = [threading.Thread(target=call) for _ in range(2)]
    for thread in slow:
        thread.start()
    time.sleep(0.3)  # both slots taken by slow calls
    started = time.monotonic()
    refused = app.test_client().post("/api/v1/toxicity", json={"text": "hello"})
    assert time.monotonic() - started < 0.5, "a refusal must not wait for a slot"
    assert refused.status_code == 503 and refused.get_json()["error"]["code"] == "overloaded"
    assert refused.headers["Retry-After"] == "1"
    assert app.test_client().get("/healthz").status_code == 200  # health is not shed
    for thread in slow:
        thread.join()
    assert [r.status_code for r in results] == [200, 200]
    fake_torchserve.mode = "ok"
    assert app.test_client().post("/api/v1/toxicity", json={"text": "hello"}).status_code == 200


def test_rate_limit_answers_429_with_retry_after(ui_settings):
    app = create_app(ui_settings.replace(rate_limit_per_minute=60))  # burst of 10
    client = app.test_client()
    statuses = [client.post("/api/v1/toxicity", json={"text": "hi"}).status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
    reply = client.post("/api/v1/toxicity", json={"text": "hi"})
    assert reply.get_json()["error"]["code"] == "rate_limited" and int(reply.headers["Retry-After"]) >= 1
    other = client.post("/api/v1/toxicity", json={"text": "hi"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200, "the limit is per client"


def test_rate_limit_allows_a_minute_s_worth_once_bursts_have_spread_out(monkeypatch):
    """60 a minute: 10 at once, then the next 10 only after the 10 s burst window has moved on,
    and never more than 60 in one minute. The clock is moved, not waited for."""
    now = [1_000_000.0]
    monkeypatch.setattr("time.time", lambda: now[0])
    limiter = RateLimiter(per_minute=60)
    for _ in range(10):
        limiter.check("a")
    with pytest.raises(ApiError) as caught:
        limiter.check("a")
    assert caught.value.status == 429 and 1 <= caught.value.retry_after <= 10
    for _ in range(5):  # five more bursts of 10, 10 s apart: 60 in the minute
        now[0] += 10.5
        for _ in range(10):
            limiter.check("a")
    now[0] += 5
    with pytest.raises(ApiError):  # the burst window has room again, the minute has not
        limiter.check("a")
    limiter.check("b")  # every client has its own windows


def test_limits_are_off_by_default(ui_settings):
    assert ui_settings.max_in_flight == 0 and ui_settings.rate_limit_per_minute == 0
