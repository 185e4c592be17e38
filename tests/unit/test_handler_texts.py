"""Many texts per request, long texts as windows, length grouping and occlusion, through the
real handler and the real tokenizer with the tiny model (no server needed).

Where a test needs a model that reacts to one word, the runner is the real one except that it
raises the insult logit for rows holding that word's token (MarkedRunner): the tiny model's
random weights react to nothing in particular.
"""

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from handler_settings import HandlerSettings
from labels import LABELS
from toxmon.model.offline_context import OfflineContext
from toxic_handler import ToxicHandler
from windows import group_by_length

BASE = ("toxic-bert", "Model")
INSULT = LABELS.index("insult")
BENIGN = "We walked along the river and talked about the garden and the weather. "


def make_handler(model_dir, **settings):
    handler = ToxicHandler()
    handler.initialize(OfflineContext(model_dir, settings))
    return handler


def handle(handler, bodies):
    context = OfflineContext(handler.context.system_properties["model_dir"])
    handler.context = context
    return handler.handle([{"body": body} for body in bodies], context), context


class MarkedRunner:
    """The real runner, plus a large insult logit for every row that holds `token_id`."""

    def __init__(self, runner, token_id):
        self.runner, self.token_id, self.rows = runner, token_id, []

    def logits(self, inputs):
        self.rows.append(inputs["input_ids"].shape)
        logits = self.runner.logits(inputs).copy()
        logits[(inputs["input_ids"] == self.token_id).any(axis=1), INSULT] = 8.0
        return logits


@pytest.fixture
def windowed(tiny_model_dir):
    return make_handler(tiny_model_dir, max_length=16, window_overlap=4)


@pytest.fixture
def marked(windowed):
    windowed.runner = MarkedRunner(windowed.runner, windowed.tokenizer.token_to_id("idiot"))
    return windowed


def test_a_long_text_is_scored_whole_each_label_taking_its_maximum_over_windows(windowed, tiny_model_dir):
    text = BENIGN * 6
    [response], _ = handle(windowed, [{"text": text}])
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    windows = tokenizer(text, truncation=True, max_length=16, stride=4, return_overflowing_tokens=True)["input_ids"]
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir).eval()
    with torch.inference_mode():
        per_window = torch.cat([torch.sigmoid(model(input_ids=torch.tensor([ids])).logits) for ids in windows])
    assert response["windows"] == len(windows) > 5
    assert [response["scores"][label] for label in LABELS] == pytest.approx(per_window.max(0).values.tolist(), abs=1e-5)
    for i, label in enumerate(LABELS):
        assert response["drivers"][label]["window"] == int(per_window[:, i].argmax())
    # Every token once: windows share 4 tokens and repeat [CLS]/[SEP].
    assert response["tokens"] == len(tokenizer(text)["input_ids"])


def test_an_insult_at_the_very_end_of_a_long_text_is_found_and_pointed_at(marked):
    text = BENIGN * 20 + "You are an idiot."
    [response], context = handle(marked, [{"text": text}])
    assert response["scores"]["insult"] > 0.99 and response["is_toxic"]
    driver = response["drivers"]["insult"]
    assert driver["window"] >= response["windows"] - 2  # the last two windows share the insult
    assert "idiot" in text[driver["start"]:driver["end"]]
    assert driver["start"] > len(text) - 120  # a window of 14 tokens, not the whole text
    assert context.metrics.values[("toxicity_handler_long_texts_total", BASE)] == 1


def test_explanation_names_the_word_behind_the_label(marked):
    text = "You are a stupid idiot"
    [response], context = handle(marked, [{"text": text, "explain": True}])
    spans = response["explanation"]["insult"]
    assert spans[0]["text"] == "idiot" and (spans[0]["start"], spans[0]["end"]) == (17, 22)
    assert spans[0]["weight"] > 1 and all(span["weight"] > 0 for span in spans)
    assert set(response["explanation"]) == {label for label, score in response["scores"].items() if score >= 0.5}
    assert context.metrics.values[("toxicity_handler_explained_texts_total", BASE)] == 1


def test_explanation_of_a_long_text_points_into_its_driving_window(marked):
    text = BENIGN * 10 + "Honestly you are an idiot."
    [response], _ = handle(marked, [{"text": text, "explain": True, "explain_at": {"insult": 0.9}}])
    assert response["explanation"]["insult"][0]["text"] == "idiot"
    assert response["explanation"]["insult"][0]["start"] == text.index("idiot")


def test_explain_at_sets_which_labels_are_explained(marked):
    [response], _ = handle(marked, [{"text": "you idiot", "explain": True,
                                     "explain_at": {label: 0.999 for label in LABELS}}])
    assert list(response["explanation"]) == ["insult"]


def explained(tiny_model_dir, text, **settings):
    handler = make_handler(tiny_model_dir, threshold=0.99, **settings)  # only the marked insult is explained
    handler.runner = MarkedRunner(handler.runner, handler.tokenizer.token_to_id("idiot"))
    [response], _ = handle(handler, [{"text": text, "explain": True}])
    return response, [shape[0] for shape in handler.runner.rows]


def test_a_long_window_is_explained_in_its_strongest_passage(tiny_model_dir):
    text = "one two three four five six seven idiot"
    response, rows = explained(tiny_model_dir, text, explain_context_tokens=4)
    assert rows == [1, 2, 4]  # the text; its two passages of 4 tokens; the 4 words of the second
    top = response["explanation"]["insult"][0]
    assert (top["start"], top["end"], top["text"]) == (text.index("idiot"), len(text), "idiot")
    assert list(response["explanation"]) == ["insult"]


def test_a_passage_of_many_words_is_occluded_in_runs(tiny_model_dir):
    response, rows = explained(tiny_model_dir, "one two three four five six seven idiot", explain_max_words=3)
    assert rows == [1, 3]  # one passage: 8 words in 3 runs
    assert response["explanation"]["insult"][0]["text"] == "seven idiot"


def test_explained_passages_per_text_are_capped(marked):
    marked.settings.explain_max_passages = 1
    marked.settings.explain_context_tokens = 4
    every_label = {label: 0.001 for label in LABELS}
    text = "one two three four five six seven idiot"
    [response], _ = handle(marked, [{"text": text, "explain": True, "explain_at": every_label}])
    # Only the strongest label's passage is explained (with every label whose best passage it is).
    assert "insult" in response["explanation"]
    assert all(span["start"] >= text.index("five") for spans in response["explanation"].values() for span in spans)


def test_without_explain_there_is_no_explanation_and_no_extra_pass(marked):
    [response], _ = handle(marked, [{"text": "You are a stupid idiot"}])
    assert "explanation" not in response and len(marked.runner.rows) == 1


def test_many_texts_are_answered_in_order_each_with_its_own_error(windowed):
    texts = ["first fine text", "", "second fine text", 7, "x" * 200_000]
    [response], context = handle(windowed, [{"texts": texts}])
    results = response["results"]
    assert [r.get("error", {}).get("code") for r in results] == [None, 422, None, 400, 413]
    assert response["model"]["name"] == "tiny" and context.statuses == {}
    for index in (0, 2):
        [alone], _ = handle(windowed, [{"text": texts[index]}])
        assert results[index]["scores"] == pytest.approx(alone["scores"], abs=1e-5)


def test_many_texts_ride_one_forward_pass_with_the_batchs_other_requests(tiny_model_dir):
    handler = make_handler(tiny_model_dir)
    handler.runner = MarkedRunner(handler.runner, -1)
    responses, context = handle(handler, [{"texts": [f"text number {i}" for i in range(10)]}, {"text": "alone"}])
    assert len(responses[0]["results"]) == 10 and "scores" in responses[1]
    assert handler.runner.rows == [(11, 5)]
    assert context.metrics.values[("toxicity_handler_texts_total", BASE)] == 11


@pytest.mark.parametrize("body, status, message", [
    ({"texts": []}, 400, "non-empty list"),
    ({"texts": "not a list"}, 400, "non-empty list"),
    ({"texts": ["a"] * 65}, 413, "65 texts in one request, the limit is 64"),
    ({"text": "a", "texts": ["b"]}, 400, "either field 'text'"),
    ({"text": "a", "explain": "yes"}, 400, "'explain' must be true or false"),
    ({"text": "a", "explain_at": {"rude": 0.5}}, 400, "'explain_at' must map labels"),
    ({"text": "a", "explain_at": {"insult": 1.5}}, 400, "'explain_at' must map labels"),
])
def test_a_bad_request_for_many_texts_is_refused_whole(windowed, body, status, message):
    [response, neighbour], context = handle(windowed, [body, {"text": "neighbour"}])
    assert context.statuses[0][0] == status and message in context.statuses[0][1]
    assert response["error"]["code"] == status and "scores" in neighbour


def test_window_limits_refuse_a_text_or_a_whole_request(tiny_model_dir):
    handler = make_handler(tiny_model_dir, max_length=16, window_overlap=4, max_windows=3, max_request_windows=5)
    long = BENIGN * 3  # about 45 tokens: 4 windows of 14
    [one, many, fits], context = handle(handler, [{"text": long}, {"texts": ["short", "short", "short", "short",
                                                                             "short", "short"]},
                                                  {"texts": ["short", long]}])
    assert context.statuses[0][0] == 413 and "windows of 16 tokens, the limit is 3" in context.statuses[0][1]
    assert context.statuses[1][0] == 413 and "the limit per request is 5" in context.statuses[1][1]
    assert "scores" in fits["results"][0] and fits["results"][1]["error"]["code"] == 413


def test_length_grouping_scores_the_same_in_fewer_padded_tokens(tiny_model_dir):
    texts = ["hi", "ok then", BENIGN * 4, "fine", BENIGN * 3]
    scores, shapes = {}, {}
    for grouping in (True, False):
        handler = make_handler(tiny_model_dir, length_grouping=grouping, group_overhead_tokens=48)
        handler.runner = MarkedRunner(handler.runner, -1)
        [response], _ = handle(handler, [{"texts": texts}])
        scores[grouping] = [r["scores"] for r in response["results"]]
        shapes[grouping] = handler.runner.rows
    for grouped, padded in zip(scores[True], scores[False]):
        assert grouped == pytest.approx(padded, abs=1e-5)
    assert len(shapes[False]) == 1 and len(shapes[True]) == 2
    padded_tokens = {grouping: sum(rows * width for rows, width in shapes[grouping]) for grouping in shapes}
    assert padded_tokens[True] < padded_tokens[False] / 2


@pytest.mark.parametrize("lengths, overhead, max_rows, groups", [
    ([5, 5, 5], 48, 64, [[0, 1, 2]]),
    ([100, 5, 6, 90], 48, 64, [[1, 2], [3, 0]]),
    ([5, 10, 15, 20], 4, 64, [[0], [1], [2], [3]]),
    ([7] * 5, 48, 2, [[0, 1], [2, 3], [4]]),
    ([], 48, 64, []),
])
def test_group_by_length(lengths, overhead, max_rows, groups):
    assert group_by_length(lengths, overhead, max_rows) == groups


def test_a_window_the_model_fails_on_fails_only_its_text(tiny_model_dir):
    handler = make_handler(tiny_model_dir, max_length=16, window_overlap=4)
    poison = handler.tokenizer.token_to_id("volcano")
    real = handler.runner

    class Fails:
        def logits(self, inputs):
            if (inputs["input_ids"] == poison).any():
                raise RuntimeError("simulated kernel failure")
            return real.logits(inputs)

    handler.runner = Fails()
    [response], context = handle(handler, [{"texts": ["calm", BENIGN * 3 + "the volcano", "calm too"]}])
    codes = [r.get("error", {}).get("code") for r in response["results"]]
    assert codes == [None, 500, None]
    assert context.metrics.values[("toxicity_handler_isolated_failures_total", BASE + ("model",))] == 1


@pytest.mark.parametrize("settings, message", [
    ({"window_overlap": 9, "max_length": 16}, "window_overlap"),
    ({"max_windows": 200}, "max_windows"),
    ({"length_grouping": "yes"}, "true or false"),
    ({"explain_top": 0}, "at least 1"),
])
def test_invalid_window_and_explanation_settings_are_refused(settings, message):
    from toxmon.model.handler_files import shipped_model_config
    with pytest.raises(ValueError, match=message):
        HandlerSettings.from_mapping({**shipped_model_config()["handler"], **settings})


def test_the_archives_settings_are_valid_and_bound_the_uis_longest_text():
    """5,000 characters (the UI's limit) can never need more windows than max_windows."""
    import yaml
    from pathlib import Path
    shipped = yaml.safe_load((Path(__file__).parents[2] / "handler" / "model-config.yaml").read_text())["handler"]
    settings = HandlerSettings.from_mapping(shipped)
    per_window = settings.max_length - 2 - settings.window_overlap
    worst = 1 + int(np.ceil((5000 - (settings.max_length - 2)) / per_window))  # one token per character
    assert worst <= settings.max_windows
