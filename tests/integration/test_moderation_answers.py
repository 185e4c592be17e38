"""Answers a moderator can act on, through the real stack: the UI under gunicorn in front of a
real TorchServe serving the demo archive (windows, batching and occlusion in the real handler)."""

import requests

from support.http import metric_sum, scrape

BENIGN = ("We walked along the river and talked about the garden, the weather and the new "
          "library that opens in town next spring. ")
LONG_WITH_INSULT_AT_THE_END = BENIGN * 38 + "You are a stupid idiot."  # 4,9xx characters


def score(ui_server, body):
    reply = requests.post(f"{ui_server.url}/api/v1/toxicity", json=body, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_an_insult_at_the_very_end_of_a_long_text_is_flagged_and_pointed_at(ui_server):
    text = LONG_WITH_INSULT_AT_THE_END
    assert 4_500 < len(text) <= 5_000
    body = score(ui_server, {"text": text})
    assert body["windows"] > 4
    assert body["verdict"]["decision"] in ("review", "block") and "insult" in body["verdict"]["labels"]
    driver = body["drivers"]["insult"]
    assert driver["window"] >= body["windows"] - 2 and driver["end"] == len(text)
    assert driver["start"] > len(text) - 1_500  # one window of the end, not the whole text
    # The benign part alone, just as long, is allowed: the end made the difference.
    assert score(ui_server, {"text": BENIGN * 40})["verdict"]["decision"] == "allow"


def test_the_top_word_for_insult_is_stupid_or_idiot(ui_server):
    body = score(ui_server, {"text": "You are a stupid idiot", "explain": True})
    spans = body["explanation"]["insult"]
    assert spans[0]["text"] in ("stupid", "idiot") and spans[0]["weight"] > 0
    assert "You are a stupid idiot"[spans[0]["start"]:spans[0]["end"]] == spans[0]["text"]


def test_a_long_text_is_explained_inside_its_driving_window(ui_server):
    text = LONG_WITH_INSULT_AT_THE_END
    body = score(ui_server, {"text": text, "explain": True})
    top = body["explanation"]["insult"][0]
    assert top["text"] in ("stupid", "idiot") and top["start"] > len(text) - 30


def test_many_texts_in_one_call_match_one_call_each(ui_server, torchserve):
    texts = ["You are a worthless idiot.", "The museum opens at nine tomorrow.", "", "Thanks, that helped!",
             LONG_WITH_INSULT_AT_THE_END]
    before = scrape(torchserve.metrics_url)
    body = score(ui_server, {"texts": texts})
    after = scrape(torchserve.metrics_url)
    assert metric_sum(after, "ts_inference_requests_total") - metric_sum(before, "ts_inference_requests_total") == 1
    results = body["results"]
    assert results[2]["error"]["code"] == "empty_text"
    for text, result in zip(texts, results):
        if text:
            alone = score(ui_server, {"text": text})
            assert result["verdict"]["decision"] == alone["verdict"]["decision"]
            # int8 quantizes activations per pass, so neighbours in a pass move a score slightly.
            for label, value in alone["scores"].items():
                assert abs(result["scores"][label] - value) < 0.005, (text[:30], label)
    assert [r["verdict"]["decision"] != "allow" for r in results if "verdict" in r] == [True, False, False, True]


def test_decisions_are_counted_by_verdict_and_label(ui_server):
    before = scrape(f"{ui_server.url}/metrics")
    score(ui_server, {"texts": ["You are a worthless idiot.", "The museum opens at nine tomorrow."]})
    after = scrape(f"{ui_server.url}/metrics")

    def delta(name, **labels):
        return metric_sum(after, name, **labels) - metric_sum(before, name, **labels)

    assert delta("toxicity_ui_decisions_total", decision="allow") == 1
    assert delta("toxicity_ui_decisions_total", decision="block") + delta("toxicity_ui_decisions_total",
                                                                          decision="review") == 1
    assert delta("toxicity_ui_decision_labels_total", label="insult") == 1


def test_an_explanation_names_what_makes_the_score(ui_server):
    """The explanation's top span removed from the text, the label falls below its review threshold."""
    text = "Thanks for fixing the page, you idiot."
    body = score(ui_server, {"text": text, "explain": True})
    review = body["policy"]["insult"]["review"]
    assert body["scores"]["insult"] >= review, body["scores"]
    top = body["explanation"]["insult"][0]
    without = text[:top["start"]] + text[top["end"]:]
    assert score(ui_server, {"text": without})["scores"]["insult"] < review, (top, without)


def test_an_explained_long_text_stays_within_its_documented_cost_in_rows(torchserve):
    """docs/api.md: an explained text of W windows costs at most W + min(W, 6) x 16 + 64 forward
    rows; counted by the handler (toxicity_handler_forward_rows_total), every label asked for.
    (Without the cap of 2 explained passages this text costs 163 rows against a bound of 149.)"""
    import yaml
    from support.servers import ROOT
    settings = yaml.safe_load((ROOT / "handler" / "model-config.yaml").read_text())["handler"]
    passages_per_window = 2 * (settings["max_length"] - 2) // settings["explain_context_tokens"] + 1
    occlusion_rows = settings["explain_max_passages"] * settings["explain_max_words"]
    assert (passages_per_window, occlusion_rows) == (16, 64), "the documented figures changed: update docs/api.md"
    every_label = {label: 0.001 for label in ("toxic", "severe_toxic", "obscene", "threat", "insult",
                                              "identity_hate")}
    before = scrape(torchserve.metrics_url)
    # Harm in several places, so the labels peak in different passages and the cap on explained
    # passages is what keeps the cost down.
    harms = ("I will kill you and your family. ", "Shut up, you disgusting stupid pig. ",
             "People like you are filthy animals. ", "You are a worthless idiot. ")
    text = "".join(BENIGN * 10 + harm for harm in harms)[:5_000]
    assert len(text) > 4_500
    reply = requests.post(torchserve.predictions_url, json={"text": text, "explain": True,
                                                            "explain_at": every_label}, timeout=120)
    after = scrape(torchserve.metrics_url)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    # Every label asked for (the worst case); those whose passage would be a third one go unexplained.
    assert 2 <= len(body["explanation"]) <= len(every_label), body["explanation"].keys()
    windows = body["windows"]
    rows = metric_sum(after, "toxicity_handler_forward_rows_total") - \
        metric_sum(before, "toxicity_handler_forward_rows_total")
    bound = windows + min(windows, 6) * passages_per_window + occlusion_rows
    print(f"explained 5,000 characters: {windows} windows, {rows:.0f} forward rows (bound {bound})")
    assert windows < rows <= bound
