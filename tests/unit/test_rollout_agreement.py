"""Comparing two versions: disagreements by direction, the kept samples' bounds, the queue."""

import time

import pytest

from support.http import metric_sum
from toxicity_ui import metrics
from toxicity_ui.agreement import compare
from toxicity_ui.background_compare import BackgroundComparer, CompareJob
from toxicity_ui.disagreement_samples import DisagreementSamples
from toxicity_ui.errors import model_unavailable
from toxicity_ui.routing import Route
from toxicity_ui.torchserve_client import Prediction

LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
REVIEW = {label: 0.5 for label in LABELS}


def scores(**values):
    return {label: values.get(label, 0.01) for label in LABELS}


def test_a_label_flagged_by_one_version_only_is_a_disagreement_with_its_direction():
    comparison = compare(scores(toxic=0.4, insult=0.9), scores(toxic=0.6, insult=0.2), REVIEW)
    assert comparison.disagreements == {"toxic": "candidate_flags", "insult": "candidate_clears"}
    assert comparison.differences["insult"] == pytest.approx(0.7)
    assert not comparison.agrees
    same_side = compare(scores(toxic=0.51), scores(toxic=0.99), REVIEW)
    assert same_side.agrees and same_side.differences["toxic"] == pytest.approx(0.48)


def test_samples_are_bounded_expire_and_can_be_switched_off(tmp_path):
    store = DisagreementSamples(str(tmp_path / "samples.sqlite"), max_samples=3, retention_hours=1)
    for number in range(5):
        store.add("shadow", {"primary": "1.0", "candidate": "2.0"}, f"text {number}",
                  {"toxic": "candidate_flags"}, scores(), scores(toxic=0.9))
    kept = store.recent(10)
    assert [row["text"] for row in kept] == ["text 4", "text 3", "text 2"]
    assert kept[0]["labels"] == {"toxic": "candidate_flags"} and kept[0]["candidate_scores"]["toxic"] == 0.9
    expired = DisagreementSamples(store.path, max_samples=3, retention_hours=1 / 3600 / 100)
    time.sleep(0.05)
    assert expired.recent(10) == []
    off = DisagreementSamples(str(tmp_path / "off.sqlite"), max_samples=10, retention_hours=0)
    off.add("shadow", {}, "never kept", {"toxic": "candidate_flags"}, scores(), scores())
    assert not (tmp_path / "off.sqlite").exists()


class ScriptedClient:
    """Answers the background call as told: a prediction, an error, or after a delay."""

    def __init__(self, answer=None, error=None, delay=0.0):
        self.answer, self.error, self.delay = answer, error, delay
        self.calls = []

    def predict_many(self, texts, explain_at=None, version=None, read_timeout=None):
        self.calls.append((texts, version, read_timeout))
        time.sleep(self.delay)
        if self.error:
            raise self.error
        return self.answer

    def predict(self, text, explain_at=None, version=None, read_timeout=None):
        return self.predict_many([text], explain_at, version, read_timeout)


def prediction(version, *per_text):
    return Prediction([{"scores": s} for s in per_text], {"version": version}, 0.01)


def outcome_count(outcome):
    return metrics.COMPARISONS.labels(outcome=outcome)._value.get()


SHADOW = Route("shadow", "primary", "2.0", True)


def test_the_candidate_is_asked_for_its_version_and_disagreements_are_kept(tmp_path):
    store = DisagreementSamples(str(tmp_path / "s.sqlite"))
    client = ScriptedClient(prediction("2.0", scores(toxic=0.9), scores()))
    comparer = BackgroundComparer(client, REVIEW, store, read_timeout=3.0)
    before = {outcome: outcome_count(outcome) for outcome in ("agree", "disagree")}
    comparer.submit(CompareJob(SHADOW, ["a", "b"], True, prediction("1.0", scores(), scores())))
    assert comparer.wait_idle(10)
    assert client.calls == [(["a", "b"], "2.0", 3.0)]
    assert outcome_count("disagree") - before["disagree"] == 1
    assert outcome_count("agree") - before["agree"] == 1
    [row] = store.recent()
    assert row["text"] == "a" and row["primary_version"] == "1.0" and row["candidate_version"] == "2.0"


def test_in_canary_the_primary_is_asked_and_the_direction_is_still_the_candidates(tmp_path):
    client = ScriptedClient(prediction("1.0", scores(insult=0.9)))
    comparer = BackgroundComparer(client, REVIEW, DisagreementSamples(""))
    canary = Route("canary", "candidate", "2.0", True)
    label = metrics.DISAGREEMENTS.labels(label="insult", direction="candidate_clears")
    before = label._value.get()
    comparer.submit(CompareJob(canary, ["you"], False, prediction("2.0", scores(insult=0.1))))
    assert comparer.wait_idle(10)
    assert client.calls[0][1] is None  # the primary: TorchServe's default version
    assert label._value.get() - before == 1


def test_a_failing_candidate_is_counted_and_the_thread_carries_on():
    client = ScriptedClient(error=model_unavailable())
    comparer = BackgroundComparer(client, REVIEW, DisagreementSamples(""))
    before = outcome_count("failed")
    comparer.submit(CompareJob(SHADOW, ["a", "b", "c"], True, prediction("1.0", scores(), scores(), scores())))
    comparer.submit(CompareJob(SHADOW, ["d"], False, prediction("1.0", scores())))
    assert comparer.wait_idle(10)
    assert outcome_count("failed") - before == 4


def test_a_text_the_candidate_refused_is_a_failed_comparison_not_a_crash():
    answer = Prediction([{"error": {"code": 422, "message": "no"}}, {"scores": scores()}], {"version": "2.0"}, 0.0)
    comparer = BackgroundComparer(ScriptedClient(answer), REVIEW, DisagreementSamples(""))
    before = (outcome_count("failed"), outcome_count("agree"))
    comparer.submit(CompareJob(SHADOW, ["x", "y"], True, prediction("1.0", scores(), scores())))
    assert comparer.wait_idle(10)
    assert (outcome_count("failed") - before[0], outcome_count("agree") - before[1]) == (1, 1)


def test_a_full_queue_drops_comparisons_without_waiting():
    slow = ScriptedClient(prediction("2.0", scores()), delay=0.5)
    comparer = BackgroundComparer(slow, REVIEW, DisagreementSamples(""), queue_size=1)
    before = outcome_count("dropped")
    started = time.perf_counter()
    accepted = [comparer.submit(CompareJob(SHADOW, ["t"], False, prediction("1.0", scores())))
                for _ in range(6)]
    assert time.perf_counter() - started < 0.4  # submitting never waits for the candidate
    assert accepted[0] and not all(accepted)
    assert outcome_count("dropped") - before == accepted.count(False)
    assert comparer.wait_idle(10)


def test_the_queue_depth_is_exported(ui):
    text = ui.get("/metrics").get_data(as_text=True)
    assert "# TYPE toxicity_ui_rollout_queue_depth gauge" in text
    assert metric_sum(text, "toxicity_ui_rollout_mode", mode="primary") == 1


def test_comparisons_are_shed_while_the_process_is_busy_with_users():
    client = ScriptedClient(prediction("2.0", scores()))
    comparer = BackgroundComparer(client, REVIEW, DisagreementSamples(""), shed_above_in_flight=1)
    before = outcome_count("dropped")
    job = CompareJob(SHADOW, ["t"], False, prediction("1.0", scores()))
    with comparer.user_call():
        assert comparer.submit(job)  # one user call in flight: not busy
        with comparer.user_call():
            assert not comparer.submit(job)  # two: the comparison gives way
    assert comparer.submit(job)
    assert comparer.wait_idle(10)
    assert outcome_count("dropped") - before == 1 and len(client.calls) == 2
