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


def test_series_known_in_advance_exist_at_zero_before_any_traffic(ui):
    """A dashboard panel over a labelled counter says "No data" until the first increment:
    the label values known in advance are there from the start."""
    from toxicity_ui.errors import ERROR_CODES
    from toxicity_ui.policy import LABELS
    text = ui.get("/metrics").get_data(as_text=True)

    def has(name, **labels):
        import re
        wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
        return any(",".join(sorted(re.findall(r'\w+="[^"]*"', match))) == wanted
                   for match in re.findall(rf"^{name}\{{([^}}]*)\}}", text, re.M))
    for code in ERROR_CODES:
        assert has("toxicity_ui_exceptions_total", type=code), code
    for decision in ("allow", "review", "block"):
        assert has("toxicity_ui_decisions_total", decision=decision), decision
    for label in LABELS:
        assert has("toxicity_ui_decision_labels_total", decision="block", label=label), label
        assert has("toxicity_ui_rollout_disagreements_total", label=label, direction="candidate_clears"), label
        assert has("toxicity_ui_rollout_score_difference_count", label=label), label
    for outcome in ("agree", "disagree", "failed", "dropped"):
        assert has("toxicity_ui_rollout_comparisons_total", outcome=outcome), outcome


def test_every_error_code_the_ui_can_answer_is_known_in_advance():
    """ERROR_CODES is the list the series above are made from: no constructor may add a code
    without it (read from the sources, so a new one is caught)."""
    import re
    from pathlib import Path
    import toxicity_ui
    from toxicity_ui.errors import ERROR_CODES
    sources = "\n".join(path.read_text() for path in Path(toxicity_ui.__file__).parent.glob("*.py"))
    raised = set(re.findall(r'ApiError\(\s*\d{3},\s*"(\w+)"', sources))
    raised |= set(re.findall(r'EXCEPTIONS\.labels\(type="(\w+)"\)', sources))
    assert raised and raised <= set(ERROR_CODES), raised - set(ERROR_CODES)


def test_the_exposition_passes_promtool(ui, fake_torchserve):
    """A family given twice (a module-level metric and a scrape-time collector of one name)
    makes the scrape invalid: promtool says so."""
    from support.promtool import exposition_problems
    ui.post("/api/v1/toxicity", json={"text": "you idiot"})
    assert exposition_problems(ui.get("/metrics").get_data(as_text=True)) == ""
