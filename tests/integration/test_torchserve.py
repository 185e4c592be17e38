"""The handler inside a real TorchServe, with the demo archive built by `make archive`."""

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from toxmon.model.compare_precision import MAX_DIFF
from labels import LABELS
from support.http import metric_sum, post_concurrently, post_json, scrape

HELDOUT = json.loads((Path(__file__).parents[2] / "toxmon" / "model" / "texts" / "heldout.json").read_text())


def test_model_is_ready_with_two_workers(torchserve):
    status = torchserve.process.poll()
    assert status is None
    import time
    from toxmon import torchserve_process
    # Ready means one READY worker; the second may still be loading (TorchServe shows it
    # as UNLOADING until then) when this is the first test to use the server.
    deadline = time.monotonic() + 120
    while True:
        model = torchserve_process.model_status(torchserve.management_url)
        if [w["status"] for w in model["workers"]] == ["READY", "READY"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert model["modelName"] == "toxic-bert"
    from toxmon.model.handler_files import shipped_model_config
    shipped = shipped_model_config()  # TorchServe serves the archive's batching, as written there
    assert (model["batchSize"], model["maxBatchDelay"]) == (shipped["batchSize"], shipped["maxBatchDelay"])
    assert [w["status"] for w in model["workers"]] == ["READY", "READY"]


def test_toxic_text_scores_high_and_benign_text_low(torchserve):
    toxic = post_json(torchserve.predictions_url, {"text": "You are a stupid worthless idiot."})
    benign = post_json(torchserve.predictions_url, {"text": "Thank you for the lovely dinner."})
    assert toxic.status_code == benign.status_code == 200
    toxic, benign = toxic.json(), benign.json()
    assert toxic["is_toxic"] and toxic["scores"]["toxic"] > 0.8 and toxic["scores"]["insult"] > 0.5
    assert not benign["is_toxic"] and max(benign["scores"].values()) < 0.2
    assert toxic["model"]["demo"] is True and toxic["model"]["version"] == "1.0"


def test_plain_text_body_is_accepted(torchserve):
    reply = torchserve_post_text(torchserve, "I will kill you.")
    assert reply.status_code == 200 and reply.json()["scores"]["threat"] > 0.5


def torchserve_post_text(torchserve, text):
    import requests
    return requests.post(torchserve.predictions_url, data=text.encode(),
                         headers={"Content-Type": "text/plain; charset=utf-8"}, timeout=30)


def test_answers_match_an_in_process_fp32_transformers_run(torchserve, demo_model_dir):
    """The archive's default `auto` serves int8 here (it agreed with fp32 when archived)."""
    texts = HELDOUT["toxic"][:4] + HELDOUT["benign"][:4] + ["word " * 400]
    tokenizer = AutoTokenizer.from_pretrained(demo_model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(demo_model_dir).eval()
    for text in texts:  # one at a time: the same padding as a batch of one
        with torch.inference_mode():
            encoded = tokenizer([text], truncation=True, max_length=256, return_tensors="pt")
            expected = torch.sigmoid(model(**encoded).logits)[0].tolist()
        served = post_json(torchserve.predictions_url, {"text": text}).json()
        assert served["model"]["precision"] == "int8"
        assert [served["scores"][label] for label in LABELS] == pytest.approx(expected, abs=MAX_DIFF)


def test_concurrent_requests_are_batched(torchserve):
    before = scrape(torchserve.metrics_url)
    replies = post_concurrently(torchserve.predictions_url, [{"text": f"message number {i}"}
                                                             for i in range(32)])
    assert all(r.status_code == 200 for r in replies)
    after = scrape(torchserve.metrics_url)
    requests_delta = (metric_sum(after, "toxicity_handler_requests_total")
                      - metric_sum(before, "toxicity_handler_requests_total"))
    batches_delta = (metric_sum(after, "toxicity_handler_batches_total")
                     - metric_sum(before, "toxicity_handler_batches_total"))
    assert requests_delta == 32
    assert requests_delta / batches_delta > 1, "no request was batched with another"


def test_bad_requests_in_a_batch_get_4xx_and_neighbours_200(torchserve):
    bodies = []
    for i in range(8):
        bodies += [{"text": f"a perfectly normal sentence {i}"}, {"text": "   "}, {"nope": 1}]
    before = scrape(torchserve.metrics_url)
    replies = post_concurrently(torchserve.predictions_url, bodies, workers=24)
    after = scrape(torchserve.metrics_url)
    for body, reply in zip(bodies, replies):
        if "nope" in body:
            assert reply.status_code == 400
            assert reply.json()["error"]["message"] == "missing field 'text' (or 'texts')"
        elif body["text"].strip():
            assert reply.status_code == 200 and "scores" in reply.json()
        else:
            assert reply.status_code == 422
    mixed = (metric_sum(after, "toxicity_handler_mixed_batches_total")
             - metric_sum(before, "toxicity_handler_mixed_batches_total"))
    assert mixed >= 1, "no batch held both a refused and a scored request"


# Valid JSON whose text no tokenizer should see, or that has nothing to score.
HOSTILE = [{"text": "\ud800 poison"}, {"text": "ok \udfff"}, {"text": "\u0000\u0001"},
           {"text": "\u200b\u200b\ufeff"}, {"text": "\u2028\u3000"}, {"text": "x" * 100_001}]


def test_hostile_requests_sharing_batches_never_fail_ordinary_ones(torchserve):
    """The poison pill: a lone surrogate once made the tokenizer fail every request of its batch."""
    before = scrape(torchserve.metrics_url)
    for round_ in range(3):
        bodies = []
        for i in range(12):
            bodies += [{"text": f"an ordinary message {round_}-{i}"}, HOSTILE[i % len(HOSTILE)]]
        replies = post_concurrently(torchserve.predictions_url, bodies, workers=24)
        for body, reply in zip(bodies, replies):
            if body["text"].startswith("an ordinary"):
                assert reply.status_code == 200 and "scores" in reply.json(), (body, reply.text[:200])
            else:
                assert reply.status_code in (413, 422), (body["text"][:20], reply.status_code)
                assert reply.json()["error"]["message"]
    after = scrape(torchserve.metrics_url)
    mixed = (metric_sum(after, "toxicity_handler_mixed_batches_total")
             - metric_sum(before, "toxicity_handler_mixed_batches_total"))
    assert mixed >= 1, "hostile and ordinary requests never shared a batch: the test proved nothing"
    assert metric_sum(after, "toxicity_handler_isolated_failures_total") == 0, "refused up front, not isolated"


def test_prometheus_endpoint_has_builtin_and_custom_metrics(torchserve):
    """Each counter moves by what this test sent (the shared server has served other tests before)."""
    before = scrape(torchserve.metrics_url)
    assert post_json(torchserve.predictions_url, {"text": "You idiot."}).status_code == 200
    assert post_json(torchserve.predictions_url, {"text": ""}).status_code == 422
    after = scrape(torchserve.metrics_url)

    def delta(name, **labels):
        return metric_sum(after, name, **labels) - metric_sum(before, name, **labels)
    assert delta("ts_inference_requests_total", model_name="toxic-bert") == 2
    assert delta("ts_inference_latency_microseconds", model_name="toxic-bert") > 0
    assert delta("ts_queue_latency_microseconds", model_name="toxic-bert") > 0
    assert delta("toxicity_handler_requests_total") == 2
    assert delta("toxicity_verdicts_total", Label="toxic") == 1 and delta("toxicity_verdicts_total", Label="threat") == 0
    assert delta("toxicity_handler_input_errors_total", Status="422") == 1
    assert "# TYPE toxicity_handler_batch_size gauge" in after


def test_the_metrics_endpoint_passes_promtool(torchserve):
    """What Prometheus's own tooling says of TorchServe's exposition, custom metrics included."""
    from support.promtool import exposition_problems
    assert exposition_problems(scrape(torchserve.metrics_url)) == ""


def test_torchserve_listens_on_loopback_only(torchserve):
    """The sockets the running TorchServe holds, read from the kernel: none on another address."""
    from support.sockets import listening_addresses
    addresses = listening_addresses(torchserve.process.pid)
    ports = {torchserve.ports.inference, torchserve.ports.management, torchserve.ports.metrics}
    assert ports <= {port for _, port in addresses}, addresses
    assert {host for host, _ in addresses} == {"127.0.0.1"}, addresses


def test_explanation_requests_never_fail_the_predictions_batched_with_them(torchserve):
    """BaseHandler routes a batch by its first request: an /explanations call once made TorchServe
    answer 503 to every prediction that shared its batch."""
    import requests
    explanations = f"{torchserve.inference_url}/explanations/toxic-bert"

    def send(index):
        with requests.Session() as session:
            url = explanations if index % 6 == 0 else torchserve.predictions_url
            return url, session.post(url, json={"text": f"hello {index}"}, timeout=120)

    from concurrent.futures import ThreadPoolExecutor
    for _ in range(3):
        with ThreadPoolExecutor(max_workers=24) as pool:
            for url, reply in pool.map(send, range(24)):
                expected = 501 if url == explanations else 200
                assert reply.status_code == expected, (url, reply.status_code, reply.text[:200])


def test_model_registration_is_disabled(torchserve):
    """A registration that would succeed if the API were on: the archive already in the model store."""
    import requests
    reply = requests.post(f"{torchserve.management_url}/models",
                          params={"url": "toxic-bert.mar", "model_name": "registration-probe",
                                  "initial_workers": 0}, timeout=30)
    assert reply.status_code == 405, reply.text
    assert "registration-probe" not in requests.get(f"{torchserve.management_url}/models", timeout=10).text
