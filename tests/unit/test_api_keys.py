"""API keys and their quotas, for both APIs: the keys file, the refusals, and one count per key
shared by every worker process."""

import multiprocessing

import pytest

from toxicity_ui.api_keys import ANONYMOUS, ApiKeys, KeysFileError
from toxicity_ui.errors import ApiError
from toxicity_ui.quota import QuotaCounter

FORUM_KEY = "forum-0123456789abcdef"
RESEARCH_KEY = "research-0123456789abcdef"


@pytest.fixture
def keys_file(tmp_path):
    path = tmp_path / "keys.yaml"
    path.write_text(f"keys:\n  - name: forum\n    key: {FORUM_KEY}\n    quota_per_minute: 3\n"
                    f"  - name: research\n    key: {RESEARCH_KEY}\n")
    return path


@pytest.fixture
def keyed_ui(ui_settings, keys_file):
    from toxicity_ui import create_app
    return create_app(ui_settings.replace(api_keys_file=str(keys_file))).test_client()


def test_without_a_keys_file_everyone_is_anonymous_and_the_log_says_so(caplog):
    keys = ApiKeys.load("")
    assert not keys.required and keys.identify(None).name == ANONYMOUS and keys.identify("anything").name == ANONYMOUS
    assert "every call is accepted" in caplog.text


def test_a_key_is_known_by_its_name_and_quota(keys_file):
    keys = ApiKeys.load(str(keys_file))
    assert keys.identify(FORUM_KEY).name == "forum" and keys.identify(FORUM_KEY).quota_per_minute == 3
    assert keys.identify(RESEARCH_KEY).quota_per_minute == 0
    for presented, code in ((None, "missing_api_key"), ("", "missing_api_key"), ("forum-guess", "invalid_api_key")):
        with pytest.raises(ApiError) as refused:
            keys.identify(presented)
        assert refused.value.code == code


@pytest.mark.parametrize("content, problem", [
    ("keys: []", "expected 'keys:'"),
    ("keys:\n  - {name: a, key: short}", "at least 16"),
    ("keys:\n  - {name: 'a b', key: 0123456789abcdefgh}", "name must be"),
    ("keys:\n  - {name: a, key: 0123456789abcdefgh, quota_per_minute: -1}", "whole number"),
    ("keys:\n  - {name: a, key: 0123456789abcdefgh}\n  - {name: a, key: 0123456789abcdefgx}", "repeats"),
    ("keys: [", "cannot read"),
])
def test_a_broken_keys_file_stops_the_start_with_its_reason(tmp_path, content, problem):
    path = tmp_path / "keys.yaml"
    path.write_text(content)
    with pytest.raises(KeysFileError, match=problem):
        ApiKeys.load(str(path))


def test_a_missing_keys_file_stops_the_start(tmp_path):
    with pytest.raises(KeysFileError, match="cannot read"):
        ApiKeys.load(str(tmp_path / "absent.yaml"))


def test_both_apis_take_the_key_the_ways_clients_send_it(keyed_ui):
    body = {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}}
    assert keyed_ui.post(f"/v1alpha1/comments:analyze?key={RESEARCH_KEY}", json=body).status_code == 200
    assert keyed_ui.post("/v1alpha1/comments:analyze", json=body,
                         headers={"x-goog-api-key": RESEARCH_KEY}).status_code == 200
    assert keyed_ui.post("/api/v1/toxicity", json={"text": "hello"},
                         headers={"X-API-Key": RESEARCH_KEY}).status_code == 200


def test_refusals_are_googles_on_perspective_and_401_on_the_native_api(keyed_ui):
    body = {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}}
    missing = keyed_ui.post("/v1alpha1/comments:analyze", json=body)
    assert missing.status_code == 403 and missing.get_json()["error"]["status"] == "PERMISSION_DENIED"
    wrong = keyed_ui.post("/v1alpha1/comments:analyze?key=not-a-key", json=body)
    assert wrong.status_code == 400
    assert wrong.get_json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    native = keyed_ui.post("/api/v1/toxicity", json={"text": "hello"}, headers={"X-API-Key": "not-a-key"})
    assert native.status_code == 401 and native.get_json()["error"]["code"] == "invalid_api_key"
    assert keyed_ui.post("/api/v1/toxicity", json={"text": "hello"}).get_json()["error"]["code"] == "missing_api_key"


def test_a_key_over_its_quota_gets_429_with_retry_after_on_both_apis(keyed_ui):
    body = {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}}
    answers = [keyed_ui.post(f"/v1alpha1/comments:analyze?key={FORUM_KEY}", json=body) for _ in range(2)]
    answers.append(keyed_ui.post("/api/v1/toxicity", json={"text": "hello"}, headers={"X-API-Key": FORUM_KEY}))
    assert [answer.status_code for answer in answers] == [200, 200, 200]  # one quota for both APIs
    over = keyed_ui.post(f"/v1alpha1/comments:analyze?key={FORUM_KEY}", json=body)
    assert over.status_code == 429 and 1 <= int(over.headers["Retry-After"]) <= 60
    error = over.get_json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED" and error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    assert FORUM_KEY not in over.get_data(as_text=True)
    native = keyed_ui.post("/api/v1/toxicity", json={"text": "hello"}, headers={"X-API-Key": FORUM_KEY})
    assert native.status_code == 429 and native.get_json()["error"]["code"] == "quota_exceeded"
    # Another key is not touched by this one's quota.
    assert keyed_ui.post(f"/v1alpha1/comments:analyze?key={RESEARCH_KEY}", json=body).status_code == 200


def test_the_metrics_name_the_key_never_the_key_itself(keyed_ui):
    keyed_ui.post("/api/v1/toxicity", json={"text": "hello"}, headers={"X-API-Key": RESEARCH_KEY})
    keyed_ui.post("/api/v1/toxicity", json={"text": "hello"}, headers={"X-API-Key": "not-a-key"})
    exposition = keyed_ui.get("/metrics").get_data(as_text=True)
    assert 'toxicity_ui_api_calls_total{api="native",key="research",method="toxicity",status="200"}' in exposition
    assert 'key="refused",method="toxicity",status="401"' in exposition
    assert RESEARCH_KEY not in exposition and "not-a-key" not in exposition


def test_the_per_client_rate_limit_counts_per_key_when_keys_are_configured(ui_settings, keys_file):
    from toxicity_ui import create_app
    ui = create_app(ui_settings.replace(api_keys_file=str(keys_file), rate_limit_per_minute=6)).test_client()
    for _ in range(1):  # the burst: a sixth of 6 per 10 s
        assert ui.post("/api/v1/toxicity", json={"text": "hi"}, headers={"X-API-Key": RESEARCH_KEY}).status_code == 200
    assert ui.post("/api/v1/toxicity", json={"text": "hi"}, headers={"X-API-Key": RESEARCH_KEY}).status_code == 429
    # The same address with another key has its own count.
    assert ui.post("/api/v1/toxicity", json={"text": "hi"}, headers={"X-API-Key": FORUM_KEY}).status_code == 200


def _take_many(path, count, results):
    counter = QuotaCounter(path)
    allowed = 0
    for _ in range(count):
        try:
            counter.take("forum", 60, now=600.0)
            allowed += 1
        except ApiError:
            pass
    results.put(allowed)


def test_the_quota_is_one_count_for_every_worker_process(tmp_path):
    path = str(tmp_path / "quota.sqlite")
    results = multiprocessing.get_context("fork").Queue()
    workers = [multiprocessing.get_context("fork").Process(target=_take_many, args=(path, 50, results))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sum(results.get(timeout=5) for _ in workers) == 60  # 150 calls, a quota of 60


def test_a_new_minute_is_a_new_quota_and_retry_after_points_at_it(tmp_path):
    counter = QuotaCounter(str(tmp_path / "quota.sqlite"))
    counter.take("forum", 1, now=125.0)
    with pytest.raises(ApiError) as refused:
        counter.take("forum", 1, now=130.0)
    assert refused.value.retry_after == 50
    counter.take("forum", 1, now=180.0)  # the next minute
