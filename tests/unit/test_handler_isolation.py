"""No request can hurt another: hostile texts through the real handler and the real tokenizer.

The tokenizer (Rust `tokenizers`) raises for a whole batch when one text cannot be
encoded as UTF-8; these tests prove that such a text, or one the model fails on,
gets its own error while every neighbour in the batch is scored.
"""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import request_parsing
from request_parsing import InputError, check_text, extract_text
from toxmon.model.offline_context import OfflineContext
from support.hostile_text import any_text
from toxic_handler import ToxicHandler

BASE = ("toxic-bert", "Model")
ORDINARY = {"body": {"text": "an ordinary sentence about the weather"}}


@pytest.fixture(scope="module")
def handler(tiny_model_dir):
    handler = ToxicHandler()
    handler.initialize(OfflineContext(tiny_model_dir))
    return handler


def handle(handler, requests, headers=None):
    context = OfflineContext(handler.context.system_properties["model_dir"])
    context.headers = headers or {}
    handler.context = context
    return handler.handle(requests, context), context


@pytest.mark.parametrize("text, status, message", [
    ("\ud800 poison", 422, "unpaired surrogate (U+D800) at character 0"),
    ("fine until \udfff", 422, "unpaired surrogate (U+DFFF) at character 11"),
    ("\u0000\u0001", 422, "no visible characters"),
    ("\u200b\u200b\ufeff", 422, "no visible characters"),          # zero-width spaces and a BOM
    ("\u2028 \u3000\t", 422, "text is empty"),                      # Unicode white space only
])
def test_texts_without_anything_to_score_are_refused(text, status, message):
    with pytest.raises(InputError) as refused:
        extract_text({"body": {"text": text}}, max_chars=1000)
    assert refused.value.status == status and message in refused.value.message


@pytest.mark.parametrize("text", ["a\u200bb", "\u0000x", "naïve café", "日本語", "🙂", "\u0301"])
def test_texts_with_one_visible_character_are_accepted(text):
    assert check_text(text) == text


def test_a_lone_surrogate_gets_422_and_its_neighbours_are_scored(handler):
    batch = [ORDINARY, {"body": {"text": "\ud800 poison"}}, {"body": "plain text body"}]
    responses, context = handle(handler, batch)
    assert "scores" in responses[0] and "scores" in responses[2]
    assert context.statuses[1][0] == 422 and "surrogate" in context.statuses[1][1]
    assert context.metrics.values[("toxicity_handler_mixed_batches_total", BASE)] == 1


def test_a_text_the_tokenizer_refuses_is_isolated_from_its_batch(handler, monkeypatch):
    """Without the up-front check the real tokenizer raises for the whole batch: isolation saves it."""
    monkeypatch.setattr(request_parsing, "check_text", lambda text: text)
    texts = ["first good text", "\ud800 poison", "second good text", "\udc00 another"]
    responses, context = handle(handler, [{"body": {"text": t}} for t in texts])
    for index in (0, 2):
        alone, _ = handle(handler, [{"body": {"text": texts[index]}}])
        assert responses[index]["scores"] == pytest.approx(alone[0]["scores"], abs=1e-6)
    for index in (1, 3):
        assert context.statuses[index][0] == 422 and "tokenizer cannot read" in context.statuses[index][1]
    assert context.metrics.values[("toxicity_handler_isolated_failures_total", BASE + ("tokenize",))] == 2


@pytest.mark.parametrize("explained", [[0], [1], [0, 2]])
def test_explanation_requests_get_501_and_never_take_the_batch_with_them(handler, explained):
    """BaseHandler sends the whole batch down the explanation path when request 0 asked for one."""
    texts = ["first text", "second text", "third text"]
    headers = {index: {"explain": "True"} for index in explained}
    responses, context = handle(handler, [{"body": {"text": t}} for t in texts], headers)
    for index, text in enumerate(texts):
        if index in explained:
            assert context.statuses[index][0] == 501 and "/predictions" in context.statuses[index][1]
        else:
            assert "scores" in responses[index] and index not in context.statuses


class FailsOnRowsWith:
    """The real runner, except that it raises for any batch holding `token_id` (a model fault)."""

    def __init__(self, runner, token_id):
        self.runner, self.token_id, self.calls = runner, token_id, []

    def logits(self, inputs):
        self.calls.append(len(inputs["input_ids"]))
        if (inputs["input_ids"] == self.token_id).any():
            raise RuntimeError("simulated kernel failure")
        return self.runner.logits(inputs)


def test_a_text_the_model_fails_on_gets_500_and_the_others_are_scored(handler, monkeypatch):
    poison = handler.tokenizer.token_to_id("volcano")
    monkeypatch.setattr(handler, "runner", FailsOnRowsWith(handler.runner, poison))
    texts = ["calm words", "the volcano erupted", "more calm words"]
    responses, context = handle(handler, [{"body": {"text": t}} for t in texts])
    assert handler.runner.calls == [3, 1, 1, 1]  # the batch, then each text alone
    assert "scores" in responses[0] and "scores" in responses[2]
    assert context.statuses[1] == (500, "the model failed on this text (RuntimeError)")
    assert context.metrics.values[("toxicity_handler_isolated_failures_total", BASE + ("model",))] == 1


def test_when_every_text_fails_alone_the_fault_is_the_models(handler, monkeypatch):
    monkeypatch.setattr(handler, "runner", FailsOnRowsWith(handler.runner, handler.tokenizer.token_to_id("[CLS]")))
    with pytest.raises(RuntimeError, match="simulated kernel failure"):
        handle(handler, [ORDINARY, ORDINARY])


SHORT_TEXT = any_text(max_size=200)
HOSTILE_TEXT = st.one_of(
    SHORT_TEXT,
    # past max_length (truncated, still scored) and past max_chars (413)
    st.builds(lambda text, times: text * times, SHORT_TEXT.filter(bool), st.integers(50, 2_000)),
)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(hostile=HOSTILE_TEXT, shape=st.sampled_from(["json", "str", "bytes"]))
def test_no_text_can_fail_its_neighbours(handler, hostile, shape):
    if shape == "json":
        request = {"body": {"text": hostile}}
    elif shape == "str":
        request = {"body": hostile}
    else:
        request = {"body": hostile.encode("utf-8", "surrogatepass")}
    responses, context = handle(handler, [ORDINARY, request, ORDINARY])
    assert "scores" in responses[0] and "scores" in responses[2], context.statuses
    assert responses[0]["scores"] == responses[2]["scores"]
    if "scores" in responses[1]:
        assert 1 not in context.statuses and all(0 <= v <= 1 for v in responses[1]["scores"].values())
    else:
        assert context.statuses[1][0] in (400, 413, 422) and responses[1]["error"]["message"]
    assert not any(key[0] == "toxicity_handler_isolated_failures_total" for key in context.metrics.values), \
        "a hostile text reached the tokenizer unchecked"
