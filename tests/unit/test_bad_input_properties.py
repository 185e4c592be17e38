"""Bad input at scale: arbitrary bytes and JSON of every shape never crash parsing or the API.

Every answer is a documented status with a JSON error body; no 500.
"""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from request_parsing import InputError, extract_text

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=20)
API_STATUSES = {200, 400, 413, 415, 422}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_handler_parsing_of_arbitrary_bytes(body):
    try:
        text = extract_text({"body": body}, max_chars=1000)
    except InputError as error:
        assert error.status in (400, 413, 422) and error.message
    else:
        assert isinstance(text, str) and text.strip() and len(text) <= 1000


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_handler_parsing_of_any_json_value(value):
    for shape in (value, json.dumps(value), {"text": value}):
        try:
            text = extract_text({"body": shape}, max_chars=1000)
        except InputError as error:
            assert error.status in (400, 413, 422)
        else:
            assert isinstance(text, str)


def api_contract(reply):
    assert reply.status_code in API_STATUSES, reply.status_code
    body = reply.get_json()
    if reply.status_code == 200:
        assert len(body["scores"]) == 6
    else:
        assert set(body) == {"error"} and body["error"]["message"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=3000), content_type=st.sampled_from(
    ["application/json", "text/plain", "application/octet-stream", "application/json; charset=latin-1", ""]))
def test_api_with_arbitrary_bodies(ui, body, content_type):
    api_contract(ui.post("/api/v1/toxicity", data=body, content_type=content_type))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(JSON_VALUES)
def test_api_with_any_json_and_any_text_field(ui, value):
    api_contract(ui.post("/api/v1/toxicity", json=value))
    api_contract(ui.post("/api/v1/toxicity", json={"text": value}))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=6000))
def test_api_with_any_unicode_text(ui, text):
    reply = ui.post("/api/v1/toxicity", json={"text": text})
    api_contract(reply)
    if reply.status_code == 200:
        assert text.strip() and len(text) <= 5000


def test_deeply_nested_json_is_a_400_not_a_crash(ui):
    for depth in (1000, 20000):
        api_contract(ui.post("/api/v1/toxicity", data="[" * depth + "]" * depth, content_type="application/json"))
        api_contract(ui.post("/api/v1/toxicity", data='{"text": ' + "[" * depth, content_type="application/json"))
    assert ui.get("/healthz").status_code == 200
