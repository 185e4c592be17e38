"""Hostile text through the whole real path: the UI under gunicorn, TorchServe with batching on,
the real handler and tokenizer. No fake TorchServe: the real tokenizer sees every text."""

import requests
from hypothesis import HealthCheck, given, settings

from support.hostile_text import any_text
from support.http import post_concurrently

ANY_TEXT = any_text(max_size=120)


def test_a_lone_surrogate_through_the_ui_is_the_clients_fault(ui_server):
    reply = requests.post(f"{ui_server.url}/api/v1/toxicity", data='{"text": "\\ud800 poison"}',
                          headers={"Content-Type": "application/json"}, timeout=30)
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "invalid_text"
    assert "Retry-After" not in reply.headers  # retrying the same text cannot help


def test_hostile_and_ordinary_texts_sent_together_through_the_ui(ui_server):
    hostile = ["\ud800 poison", "\u0000\u0001", "\u200b\u200b", "\u2028\u3000"]
    bodies = [{"text": f"ordinary message {i}"} if i % 2 else {"text": hostile[i // 2 % len(hostile)]}
              for i in range(24)]
    replies = post_concurrently(f"{ui_server.url}/api/v1/toxicity", bodies, workers=24)
    for body, reply in zip(bodies, replies):
        if body["text"].startswith("ordinary"):
            assert reply.status_code == 200, reply.text[:200]
        else:
            assert reply.status_code == 422 and reply.json()["error"]["code"] in ("invalid_text", "empty_text")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ANY_TEXT)
def test_any_text_gets_scores_or_a_clear_4xx_never_a_5xx(ui_server, text):
    reply = requests.post(f"{ui_server.url}/api/v1/toxicity", json={"text": text}, timeout=30)
    assert reply.status_code in (200, 422), (repr(text), reply.status_code, reply.text[:200])
    if reply.status_code == 200:
        assert len(reply.json()["scores"]) == 6
    else:
        assert reply.json()["error"]["code"] in ("invalid_text", "empty_text")
