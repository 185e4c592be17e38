"""The UI under each routing mode, against a stand-in TorchServe whose versions misbehave on cue:
who answers, what the user sees when the candidate fails, and the client id's checks."""

import time

import pytest

from support.http import metric_sum
from toxicity_ui import create_app
from toxicity_ui.routing import Routing, in_canary, write_routing_file
from toxicity_ui.services import EXTENSION


def routed_app(settings, tmp_path):
    """An app whose routing file the test writes; the switch is seen on the next call."""
    path = tmp_path / "rollout" / "routing.json"
    app = create_app(settings.replace(routing_file=str(path)))
    app.extensions[EXTENSION].routing.check_interval = 0

    def switch(routing: Routing):
        write_routing_file(str(path), routing)
    return app.test_client(), switch, app.extensions[EXTENSION]


@pytest.fixture
def routed(ui_settings, tmp_path):
    return routed_app(ui_settings, tmp_path)


def versions_seen(fake):
    return [path.rsplit("/", 1)[-1] if path.count("/") >= 3 else "default"
            for path, _, _ in fake.requests if path.startswith("/predictions/")]


def test_without_a_routing_file_the_default_version_answers(ui, fake_torchserve):
    assert ui.post("/api/v1/toxicity", json={"text": "hi"}).get_json()["model_version"] == "9.9"
    assert versions_seen(fake_torchserve) == ["default"]


def test_canary_answers_each_client_from_its_side(routed, fake_torchserve):
    client, switch, _ = routed
    switch(Routing("canary", "2.0", 50))
    for name in ("ann", "bob", "cy", "dee", "eve", "fay"):
        expected = "2.0" if in_canary(f"id:{name}", Routing("canary", "2.0", 50)) else "9.9"
        for _ in range(2):
            answer = client.post("/api/v1/toxicity", json={"text": "hi"}, headers={"X-Client-Id": name})
            assert answer.get_json()["model_version"] == expected, name


def test_a_canary_the_candidate_cannot_answer_falls_back_to_the_primary(routed, fake_torchserve):
    client, switch, service = routed
    switch(Routing("canary", "2.0", 100))
    fake_torchserve.version_modes["2.0"] = "status:503"
    before = client.get("/metrics").get_data(as_text=True)
    answer = client.post("/api/v1/toxicity", json={"texts": ["you idiot", "hi"]})
    assert answer.status_code == 200 and answer.get_json()["model_version"] == "9.9"
    assert versions_seen(fake_torchserve)[:2] == ["2.0", "default"]
    assert service.comparer.wait_idle(10)
    after = client.get("/metrics").get_data(as_text=True)
    failed = {"version": "2.0", "role": "candidate", "purpose": "answer", "outcome": "model_unavailable"}
    assert metric_sum(after, "toxicity_ui_version_calls_total", **failed) - \
        metric_sum(before, "toxicity_ui_version_calls_total", **failed) == 1
    routed = {"mode": "canary", "role": "primary"}
    assert metric_sum(after, "toxicity_ui_rollout_routed_total", **routed) - \
        metric_sum(before, "toxicity_ui_rollout_routed_total", **routed) == 1


@pytest.mark.parametrize("status, code", [(413, "text_too_long"), (422, "invalid_text")])
def test_a_candidate_refusing_the_text_is_the_users_answer_in_canary(routed, fake_torchserve, status, code):
    """The text is the problem, not the version: the primary is not asked to score it again."""
    client, switch, _ = routed
    switch(Routing("canary", "2.0", 100))
    fake_torchserve.version_modes["2.0"] = f"status:{status}"
    answer = client.post("/api/v1/toxicity", json={"text": "hi"})
    assert answer.status_code == status and answer.get_json()["error"]["code"] == code
    assert versions_seen(fake_torchserve) == ["2.0"]


def test_a_candidate_timing_out_in_canary_is_not_retried_on_the_primary(routed, fake_torchserve):
    client, switch, _ = routed
    switch(Routing("canary", "2.0", 100))
    fake_torchserve.version_modes["2.0"] = "status:504"
    answer = client.post("/api/v1/toxicity", json={"text": "hi"})
    assert answer.status_code == 504  # a retry on the primary would double the user's wait
    assert answer.get_json()["error"]["code"] == "model_timeout"
    assert versions_seen(fake_torchserve) == ["2.0"]


def test_shadow_answers_from_the_primary_whatever_the_candidate_does(routed, fake_torchserve):
    client, switch, service = routed
    switch(Routing("shadow", "2.0"))
    before = client.get("/metrics").get_data(as_text=True)
    for mode in ("status:500", "garbage", "hangup", "ok"):
        fake_torchserve.version_modes["2.0"] = mode
        answer = client.post("/api/v1/toxicity", json={"text": "you idiot"})
        assert answer.status_code == 200 and answer.get_json()["model_version"] == "9.9", mode
        assert service.comparer.wait_idle(10)
    after = client.get("/metrics").get_data(as_text=True)

    def delta(name, **labels):
        return metric_sum(after, name, **labels) - metric_sum(before, name, **labels)
    assert delta("toxicity_ui_rollout_comparisons_total", outcome="failed") == 3
    assert delta("toxicity_ui_rollout_comparisons_total", outcome="agree") == 1
    assert delta("toxicity_ui_version_calls_total", version="9.9", role="primary", purpose="answer") == 4
    assert delta("toxicity_ui_version_calls_total", version="2.0", role="candidate", purpose="compare",
                 outcome="ok") == 1
    assert delta("toxicity_ui_rollout_score_difference_count", label="insult") == 1
    assert metric_sum(after, "toxicity_ui_rollout_mode", mode="shadow") == 1


def test_a_slow_candidate_times_out_in_the_background_only(ui_settings, fake_torchserve, tmp_path):
    """The candidate takes 4 s; the comparison gives up at its own 1.5 s timeout (the user's
    calls may wait 10 s here), and the user waits for neither."""
    client, switch, service = routed_app(ui_settings.replace(read_timeout_seconds=10.0), tmp_path)
    service.comparer.read_timeout = 1.5
    switch(Routing("shadow", "2.0"))
    fake_torchserve.version_modes["2.0"] = "slow:4"
    before = client.get("/metrics").get_data(as_text=True)
    started = time.monotonic()
    answer = client.post("/api/v1/toxicity", json={"text": "hi"})
    answered = time.monotonic() - started
    assert answer.status_code == 200 and answer.get_json()["model_version"] == "9.9"
    assert service.comparer.wait_idle(10)
    compared = time.monotonic() - started
    after = client.get("/metrics").get_data(as_text=True)
    assert answered < 1.0, f"the user waited {answered:.1f} s for the candidate"
    assert compared < 3.5, f"the comparison waited {compared:.1f} s: its timeout was not applied"
    timed_out = {"version": "2.0", "role": "candidate", "purpose": "compare", "outcome": "model_timeout"}
    assert metric_sum(after, "toxicity_ui_version_calls_total", **timed_out) - \
        metric_sum(before, "toxicity_ui_version_calls_total", **timed_out) == 1
    assert metric_sum(after, "toxicity_ui_rollout_comparisons_total", outcome="failed") - \
        metric_sum(before, "toxicity_ui_rollout_comparisons_total", outcome="failed") == 1


def test_a_stricter_candidate_in_shadow_is_counted_and_its_texts_kept(routed, fake_torchserve):
    client, switch, service = routed
    switch(Routing("shadow", "2.0"))
    fake_torchserve.version_scores["2.0"] = 0.45  # "dumb" 0.6 -> 1.0 insult stays review; "hi" 0.02 -> 0.47
    before = client.get("/metrics").get_data(as_text=True)
    client.post("/api/v1/toxicity", json={"texts": ["that is dumb", "hi there", "threat-free"]})
    assert service.comparer.wait_idle(10)
    after = client.get("/metrics").get_data(as_text=True)
    # 0.01 + 0.45 crosses the 0.30 review thresholds (severe_toxic, threat, identity_hate) on every text.
    assert metric_sum(after, "toxicity_ui_rollout_disagreements_total", label="threat",
                      direction="candidate_flags") - metric_sum(
        before, "toxicity_ui_rollout_disagreements_total", label="threat", direction="candidate_flags") == 3
    kept = service.comparer.samples.recent()
    assert {row["text"] for row in kept} == {"that is dumb", "hi there", "threat-free"}


@pytest.mark.parametrize("client_id", ["x" * 129, "tab\there", "caf\u00e9"])
def test_a_bad_client_id_is_refused_clearly(ui, fake_torchserve, client_id):
    answer = ui.post("/api/v1/toxicity", json={"text": "hi"}, headers={"X-Client-Id": client_id})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "invalid_header"
    assert fake_torchserve.predictions == 0


def test_a_broken_routing_file_leaves_the_service_on_the_primary(routed, fake_torchserve, tmp_path):
    client, switch, service = routed
    (tmp_path / "rollout").mkdir(exist_ok=True)
    (tmp_path / "rollout" / "routing.json").write_text('{"mode": "canary", "candidate": "../x"}')
    answer = client.post("/api/v1/toxicity", json={"text": "hi"})
    assert answer.status_code == 200 and versions_seen(fake_torchserve) == ["default"]


def test_a_candidate_in_a_torchserve_of_its_own_is_asked_there(ui_settings, fake_torchserve, tmp_path):
    """A cluster runs the candidate as its own Deployment: CANDIDATE_INFERENCE_URL points at it."""
    from support.fake_torchserve import FakeTorchServe
    path = tmp_path / "routing.json"
    write_routing_file(str(path), Routing("shadow", "2.0"))
    with FakeTorchServe() as candidate:
        app = create_app(ui_settings.replace(routing_file=str(path), candidate_inference_url=candidate.url))
        answer = app.test_client().post("/api/v1/toxicity", json={"text": "hi"})
        assert answer.get_json()["model_version"] == "9.9"
        assert app.extensions[EXTENSION].comparer.wait_idle(10)
        assert versions_seen(fake_torchserve) == ["default"] and versions_seen(candidate) == ["2.0"]


def test_an_empty_client_id_is_no_client_id(routed, fake_torchserve):
    """An empty X-Client-Id routes by the address, as no header does, not as a client named ''."""
    client, switch, _ = routed
    address, empty_name = "address:127.0.0.1", "id:"  # the test client's address
    percent = next(p for p in range(1, 100) if in_canary(address, Routing("canary", "2.0", p))
                   != in_canary(empty_name, Routing("canary", "2.0", p)))
    switch(Routing("canary", "2.0", percent))
    expected = "2.0" if in_canary(address, Routing("canary", "2.0", percent)) else "9.9"
    without = client.post("/api/v1/toxicity", json={"text": "hi"})
    empty = client.post("/api/v1/toxicity", json={"text": "hi"}, headers={"X-Client-Id": ""})
    assert empty.status_code == without.status_code == 200
    assert empty.get_json()["model_version"] == without.get_json()["model_version"] == expected
