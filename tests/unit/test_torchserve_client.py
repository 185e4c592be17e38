"""The UI's TorchServe client against a fake server: every failure maps to our own error."""

import pytest

from support.servers import free_port
from toxicity_ui.config import Settings
from toxicity_ui.errors import ApiError
from toxicity_ui.torchserve_client import TorchServeClient


def client_for(url, **changes):
    settings = Settings(torchserve_inference_url=url, torchserve_management_url=url,
                        connect_timeout_seconds=0.5, read_timeout_seconds=0.5, secret_key="x")
    return TorchServeClient(settings.replace(**changes))


def test_prediction_round_trip_sends_json(fake_torchserve):
    prediction = client_for(fake_torchserve.url).predict("you idiot")
    assert prediction.results[0]["scores"]["toxic"] == 0.95 and prediction.model["name"] == "fake-model"
    path, headers, body = fake_torchserve.requests[-1]
    assert path == "/predictions/toxic-bert"
    assert headers["Content-Type"] == "application/json"
    assert body == b'{"text": "you idiot"}'


def test_many_texts_travel_in_one_call_with_the_explanation_request(fake_torchserve):
    prediction = client_for(fake_torchserve.url).predict_many(["you idiot", "hello"], explain_at={"insult": 0.5})
    assert [r["scores"]["insult"] for r in prediction.results] == [0.95, 0.02]
    assert prediction.results[0]["explanation"]["insult"][0]["text"] == "idiot"
    assert fake_torchserve.predictions == 1
    assert fake_torchserve.requests[-1][2] == \
        b'{"texts": ["you idiot", "hello"], "explain": true, "explain_at": {"insult": 0.5}}'


@pytest.mark.parametrize("answer", [
    {"results": [], "model": {}},                                   # fewer results than texts
    {"results": [{"scores": {}}, {"scores": {}}], "model": {}},     # no scores
    {"results": [{"error": "boom"}, {"error": {"code": 422}}], "model": {}},  # a malformed error
    {"results": [{"error": {"code": 422, "message": "m"}}] * 2},    # no model
])
def test_a_malformed_many_texts_answer_is_a_502(fake_torchserve, answer):
    fake_torchserve.mode = "json:" + __import__("json").dumps(answer)
    with pytest.raises(ApiError) as caught:
        client_for(fake_torchserve.url).predict_many(["a", "b"])
    assert (caught.value.status, caught.value.code) == (502, "model_server_error")


@pytest.mark.parametrize("mode, status, code", [
    ("status:503", 503, "model_unavailable"),     # no worker / queue full
    ("status:507", 503, "model_unavailable"),     # worker out of memory
    ("status:404", 503, "model_unavailable"),     # model not registered (yet)
    ("status:500", 502, "model_server_error"),
    ("status:400", 502, "model_server_error"),
    ("status:413", 413, "text_too_long"),
    ("status:422", 422, "invalid_text"),          # the handler could not score this text: no retry
    ("status:504", 504, "model_timeout"),
    ("garbage", 502, "model_server_error"),
    ("wrong_shape", 502, "model_server_error"),
    ("hangup", 503, "model_unavailable"),
])
def test_torchserve_failures_map_to_api_errors(fake_torchserve, mode, status, code):
    fake_torchserve.mode = mode
    with pytest.raises(ApiError) as caught:
        client_for(fake_torchserve.url).predict("hello")
    assert (caught.value.status, caught.value.code) == (status, code)
    assert "Traceback" not in caught.value.message and "secret" not in caught.value.message


def test_unavailable_errors_tell_clients_when_to_retry(fake_torchserve):
    fake_torchserve.mode = "status:503"
    with pytest.raises(ApiError) as caught:
        client_for(fake_torchserve.url).predict("hello")
    assert caught.value.retry_after == 5


def test_read_timeout_is_504_and_never_retried(fake_torchserve):
    fake_torchserve.mode = "slow:1.5"
    with pytest.raises(ApiError) as caught:
        client_for(fake_torchserve.url).predict("hello")
    assert caught.value.status == 504
    assert fake_torchserve.predictions == 1  # a slow model is not hit twice


def test_connection_refused_is_503():
    with pytest.raises(ApiError) as caught:
        client_for(f"http://127.0.0.1:{free_port()}").predict("hello")
    assert caught.value.status == 503


@pytest.mark.parametrize("worker_status, ready", [("READY", True), ("UNLOADING", False)])
def test_readiness_follows_the_worker_state(fake_torchserve, worker_status, ready):
    fake_torchserve.worker_status = worker_status
    assert client_for(fake_torchserve.url).model_ready()[0] is ready


def test_readiness_is_false_when_unreachable_or_broken(fake_torchserve):
    assert client_for(f"http://127.0.0.1:{free_port()}").model_ready() == (False, "model server unreachable")
    fake_torchserve.mode = "status:500"
    assert client_for(fake_torchserve.url).model_ready()[0] is False
