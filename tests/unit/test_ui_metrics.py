"""The UI's /metrics after traffic: names, types and labels as Prometheus expects."""

from support.http import metric_sum


def test_metrics_have_the_right_types_and_labels(ui, fake_torchserve):
    # Metrics are process-wide, so compare against a scrape taken before the traffic.
    before = ui.get("/metrics").get_data(as_text=True)

    def delta(text, name, **labels):
        return metric_sum(text, name, **labels) - metric_sum(before, name, **labels)

    ui.post("/api/v1/toxicity", json={"text": "you idiot"})
    ui.post("/api/v1/toxicity", json={"text": "have a nice day"})
    ui.post("/api/v1/toxicity", json={"text": ""})
    ui.post("/api/v1/toxicity", json={"texts": ["that is dumb", "you idiot", "hi"], "explain": True})
    fake_torchserve.mode = "status:503"
    ui.post("/api/v1/toxicity", json={"text": "hello"})
    text = ui.get("/metrics").get_data(as_text=True)

    for name, kind in [("toxicity_ui_requests", "counter"),
                       ("toxicity_ui_request_duration_seconds", "histogram"),
                       ("toxicity_ui_model_server_duration_seconds", "histogram"),
                       ("toxicity_ui_requests_in_progress", "gauge"),
                       ("toxicity_ui_text_length_characters", "histogram"),
                       ("toxicity_ui_predictions", "counter"),
                       ("toxicity_ui_decisions", "counter"),
                       ("toxicity_ui_decision_labels", "counter"),
                       ("toxicity_ui_text_windows", "histogram"),
                       ("toxicity_ui_explained_texts", "counter"),
                       ("toxicity_ui_batch_texts", "histogram"),
                       ("toxicity_ui_exceptions", "counter")]:
        assert f"# TYPE {name}{'_total' if kind == 'counter' else ''} {kind}" in text, name

    endpoint = "/api/v1/toxicity"
    assert delta(text, "toxicity_ui_requests_total", endpoint=endpoint, status="200") == 3
    assert delta(text, "toxicity_ui_requests_total", endpoint=endpoint, status="422") == 1
    assert delta(text, "toxicity_ui_requests_total", endpoint=endpoint, status="503") == 1
    assert delta(text, "toxicity_ui_request_duration_seconds_count", endpoint=endpoint) == 5
    assert delta(text, "toxicity_ui_model_server_duration_seconds_count", outcome="ok") == 3
    assert delta(text, "toxicity_ui_model_server_duration_seconds_count",
                      outcome="model_unavailable") == 1
    assert delta(text, "toxicity_ui_predictions_total", verdict="toxic") == 3
    assert delta(text, "toxicity_ui_predictions_total", verdict="not_toxic") == 2
    assert delta(text, "toxicity_ui_decisions_total", decision="block") == 2
    assert delta(text, "toxicity_ui_decisions_total", decision="review") == 1
    assert delta(text, "toxicity_ui_decisions_total", decision="allow") == 2
    assert delta(text, "toxicity_ui_decision_labels_total", decision="block", label="insult") == 2
    assert delta(text, "toxicity_ui_decision_labels_total", decision="review", label="toxic") == 1
    assert delta(text, "toxicity_ui_explained_texts_total") == 3
    assert delta(text, "toxicity_ui_batch_texts_count") == 1 and delta(text, "toxicity_ui_batch_texts_sum") == 3
    assert delta(text, "toxicity_ui_text_windows_count") == 5
    assert delta(text, "toxicity_ui_exceptions_total", type="empty_text") == 1
    assert delta(text, "toxicity_ui_exceptions_total", type="model_unavailable") == 1
    assert delta(text, "toxicity_ui_text_length_characters_count") == 5
    assert metric_sum(text, "toxicity_ui_requests_in_progress", endpoint=endpoint) == 0
    assert 'le="0.01"' in text and 'le="10.0"' in text
