import pytest

from request_parsing import InputError, extract_text

LIMIT = 1000


@pytest.mark.parametrize("request_body, expected", [
    ({"body": {"text": "hello"}}, "hello"),                 # JSON parsed by TorchServe
    ({"body": b'{"text": "hello"}'}, "hello"),              # JSON left as bytes
    ({"body": '{"text": "hello"}'}, "hello"),               # JSON as str
    ({"body": "plain words"}, "plain words"),               # text/plain
    ({"body": b"plain bytes"}, "plain bytes"),              # octet-stream
    ({"data": {"text": "via data"}}, "via data"),           # the other key TorchServe uses
    ({"body": {"text": "caf\u00e9 \U0001F600"}}, "caf\u00e9 \U0001F600"),
    ({"body": "[not an object] is text"}, "[not an object] is text"),
])
def test_accepts_every_shape_torchserve_hands_over(request_body, expected):
    assert extract_text(request_body, LIMIT) == expected


@pytest.mark.parametrize("request_body, status, message", [
    ({}, 400, "no body"),
    ({"body": None}, 400, "no body"),
    (None, 400, "empty request"),
    ({"body": {}}, 400, "missing field 'text'"),
    ({"body": {"txt": "x"}}, 400, "missing field 'text'"),
    ({"body": {"text": 5}}, 400, "must be a string"),
    ({"body": {"text": None}}, 400, "must be a string"),
    ({"body": {"text": ["a"]}}, 400, "must be a string"),
    ({"body": [1, 2]}, 400, "got a JSON list"),
    ({"body": 42}, 400, "got a JSON int"),
    ({"body": True}, 400, "got a JSON bool"),
    ({"body": b"{not json"}, 400, "malformed JSON"),
    ({"body": "{\"a\": " * 100_000}, 400, "malformed JSON"),  # deep nesting must not crash
    ({"body": b"\xff\xfe\x00"}, 400, "not valid UTF-8"),
    ({"body": {"text": ""}}, 422, "empty"),
    ({"body": {"text": " \n\t "}}, 422, "empty"),
    ({"body": b""}, 422, "empty"),
    ({"body": {"text": "x" * (LIMIT + 1)}}, 413, "limit is 1000"),
])
def test_rejects_bad_input_with_a_clear_status(request_body, status, message):
    with pytest.raises(InputError) as caught:
        extract_text(request_body, LIMIT)
    assert caught.value.status == status
    assert message in caught.value.message
