"""The evaluation's metrics on a small file whose values are worked out by hand."""

import numpy as np
import pytest

from labels import LABELS
from toxmon.bias import bias_metrics, generalized_mean
from toxmon.evaluation import EvaluationFileError, calibration_error, evaluate, labelled_set
from toxmon.texts import from_csv

# toxic truth 1, 0, 1, 0 scored 0.9, 0.4, 0.35, 0.1; rows 1-2 are about group a, rows 3-4 about b.
SMALL = """id,comment_text,toxic,insult,identity,category
1,one,1,1,a,x
2,two,0,0,a,x
3,three,1,-1,b,y
4,four,0,0,b;c,y
"""
SCORES = [0.9, 0.4, 0.35, 0.1]


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text(SMALL)
    rows = from_csv(path)
    scores = {label: np.array(SCORES) for label in LABELS}
    return labelled_set(rows, list(rows[0].fields)), scores


def test_per_label_metrics_match_the_hand_computed_values(small):
    dataset, scores = small
    report = evaluate(dataset, scores, threshold=0.5)
    toxic = report["labels"]["toxic"]
    # Positive/negative pairs: 0.9>0.4, 0.9>0.1, 0.35<0.4, 0.35>0.1: 3 of 4 ranked right.
    assert toxic["roc_auc"] == pytest.approx(0.75)
    # Ranked P N P N: precision 1 at recall 1/2, 2/3 at recall 1.
    assert toxic["pr_auc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    # At 0.5 only 0.9 is flagged.
    assert toxic["confusion"] == {"tp": 1, "fp": 0, "fn": 1, "tn": 2}
    assert (toxic["precision"], toxic["recall"], toxic["f1"]) == pytest.approx((1.0, 0.5, 2 / 3))
    # Four bins of one row each: |1-0.9|, |0-0.4|, |1-0.35|, |0-0.1|, averaged.
    assert toxic["calibration_error"] == pytest.approx((0.1 + 0.4 + 0.65 + 0.1) / 4)
    assert toxic["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.01) / 4)
    # -1 means "not scored": row 3 is left out of insult, which then ranks 0.9 above 0.4 and 0.1.
    assert report["labels"]["insult"]["rows"] == 3 and report["labels"]["insult"]["roc_auc"] == 1.0
    assert report["mean_roc_auc"] == pytest.approx((0.75 + 1.0) / 2)
    assert set(report["labels"]) == {"toxic", "insult"}
    assert report["categories"]["x"] == {"rows": 2, "flagged": 1, "flag_rate": 0.5, "mean_top_score": 0.65}


def test_bias_metrics_match_the_hand_computed_values(small):
    dataset, scores = small
    bias = evaluate(dataset, scores, threshold=0.3)["bias"]
    a, b = bias["subgroups"]["a"], bias["subgroups"]["b"]
    assert a["subgroup_auc"] == 1.0          # within a: 0.9 above 0.4
    assert a["bpsn_auc"] == 0.0              # a's benign 0.4 above the background's toxic 0.35
    assert a["bnsp_auc"] == 1.0              # a's toxic 0.9 above the background's benign 0.1
    assert a["benign_flagged"] == 1          # 0.4 >= 0.3
    assert b["subgroup_auc"] == 1.0 and b["bpsn_auc"] == 1.0 and b["bnsp_auc"] == 0.0
    assert bias["subgroups"]["c"]["subgroup_auc"] is None  # no toxic row about c: undefined, not 0
    assert bias["generalized_means"]["bpsn_auc"] == 0.0
    assert bias["overall_auc"] == pytest.approx(0.75)


def test_generalized_mean_lets_the_worst_subgroup_dominate():
    # ((0.5**-5 + 1**-5) / 2) ** (-1/5) = 16.5 ** -0.2
    assert generalized_mean([0.5, 1.0]) == pytest.approx(16.5 ** -0.2)
    assert generalized_mean([0.9, 0.9, None]) == pytest.approx(0.9)
    assert generalized_mean([None]) is None


def test_final_score_weights_overall_and_bias_as_the_challenge_did():
    truth = np.array([1, 0, 1, 0, 1, 0], dtype=float)
    scores = np.array([0.9, 0.7, 0.6, 0.2, 0.8, 0.65])
    identities = [{"a"}, {"a"}, {"b"}, {"b"}, set(), set()]
    bias = bias_metrics(truth, scores, identities, 0.5)
    # Overall: positives 0.9, 0.6, 0.8 against negatives 0.7, 0.2, 0.65: 3 + 1 + 3 of 9 pairs.
    assert bias["overall_auc"] == pytest.approx(7 / 9)
    # a: within 0.9 > 0.7 (1); its benign 0.7 against the background's toxic 0.6, 0.8 (1/2);
    #    its toxic 0.9 against the background's benign 0.2, 0.65 (1).
    # b: within 0.6 > 0.2 (1); benign 0.2 against 0.9, 0.8 (1); toxic 0.6 against 0.7, 0.65 (0).
    assert bias["generalized_means"] == pytest.approx(
        {"subgroup_auc": 1.0, "bpsn_auc": 16.5 ** -0.2, "bnsp_auc": 0.0})
    # 0.25 x overall + 0.75 x the mean of the three means (1, 0.5708, 0).
    assert bias["final_score"] == pytest.approx(0.25 * 7 / 9 + 0.25 * (1 + 16.5 ** -0.2))
    assert bias["final_score"] == pytest.approx(0.5871, abs=1e-4)


def test_calibration_error_is_zero_when_scores_are_the_positive_rate():
    truth = np.array([1, 0, 0, 0] * 5, dtype=float)
    assert calibration_error(truth, np.full(20, 0.25)) == pytest.approx(0.0)


def test_a_file_without_label_columns_is_refused(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("comment_text\nhello\n")
    rows = from_csv(path)
    with pytest.raises(EvaluationFileError, match="no label columns"):
        labelled_set(rows, list(rows[0].fields))


def test_jigsaw_identity_columns_count_from_half(tmp_path):
    path = tmp_path / "bias.csv"
    path.write_text("comment_text,toxic,muslim,female\nx,0.8,0.6,0.0\ny,0.1,0.4,1.0\n")
    rows = from_csv(path)
    dataset = labelled_set(rows, list(rows[0].fields))
    assert dataset.identities == [{"muslim"}, {"female"}]
    assert list(dataset.truth["toxic"]) == [1.0, 0.0]


def test_a_benign_row_flagged_on_any_label_counts_against_its_group():
    truth = np.array([1, 0, 0], dtype=float)
    toxic_scores = np.array([0.9, 0.2, 0.1])
    verdict_scores = np.array([0.9, 0.7, 0.1])  # row 2 is flagged for another label, say insult
    bias = bias_metrics(truth, toxic_scores, [{"a"}, {"a"}, set()], 0.5, verdict_scores)
    assert bias["subgroups"]["a"]["benign_flagged"] == 1
    assert bias_metrics(truth, toxic_scores, [{"a"}, {"a"}, set()], 0.5)["subgroups"]["a"]["benign_flagged"] == 0


# --- the policy's decisions (moderation_report.py) and the held-out protocol -------------------

MODERATION_CSV = """comment_text,toxic,insult,identity_hate,identity,category
Proud to be deaf,0,0,0,deaf,slogan
Deaf people rock,0,0,0,deaf,slogan
You are not dumb,0,0,0,,negated_insult
You are not a fool,0,0,0,,negated_insult
You moron,1,1,0,,insult_no_group
Deaf people are vermin,1,1,1,deaf,hate
cannot be scored,0,0,0,,slogan
"""


def moderation_of(tmp_path, rows_scores):
    from toxmon.moderation_report import moderation
    path = tmp_path / "set.csv"
    path.write_text(MODERATION_CSV)
    rows = from_csv(path)
    dataset = labelled_set(rows, list(rows[0].fields))
    scores = {label: np.array([s.get(label, 0.0) if s is not None else np.nan for s in rows_scores])
              for label in LABELS}
    return moderation(dataset, scores, [row.text for row in rows])


def test_the_policys_decisions_by_category_and_the_groups_flagged(tmp_path):
    """Decisions by the shipped policy (toxic review 0.5 / block 0.85; identity_hate 0.3 / 0.6);
    a row that could not be scored counts nowhere."""
    report = moderation_of(tmp_path, [
        {"toxic": 0.6},                       # a benign slogan about a group sent to review
        {"toxic": 0.1},
        {"toxic": 0.2},                       # negated insults: one allowed, one blocked
        {"toxic": 0.9, "insult": 0.9},
        {"toxic": 0.95, "insult": 0.95, "identity_hate": 0.4},   # no group named, yet identity_hate
        {"toxic": 0.99, "insult": 0.9, "identity_hate": 0.9},
        None,
    ])
    assert report["by_category"] == {
        "hate": {"rows": 1, "allow": 0, "review": 0, "block": 1},
        "insult_no_group": {"rows": 1, "allow": 0, "review": 0, "block": 1},
        "negated_insult": {"rows": 2, "allow": 1, "review": 0, "block": 1},
        "slogan": {"rows": 2, "allow": 1, "review": 1, "block": 0}}
    groups = report["benign_about_groups"]
    assert groups["rows"] == 2 and [r["text"] for r in groups["reaching_review"]] == ["Proud to be deaf"]
    hate = report["identity_hate_without_group"]
    assert hate["rows"] == 1 and hate["max_score"] == pytest.approx(0.4)
    assert [r["text"] for r in hate["reaching_review"]] == ["You moron"]
    # Most wrong first, by the label furthest from its truth: 0.9 from 0, 0.6 from 0, 0.4 from 0.
    assert [r["text"] for r in report["most_wrong"][:3]] == ["You are not a fool", "Proud to be deaf", "You moron"]


def test_the_held_out_protocol_names_each_target_missed(tmp_path):
    from toxmon.evaluation_page import page, shortfalls
    report = {"labels": {"toxic": {"roc_auc": 0.9}}, "mean_roc_auc": 0.9,
              "model": {"name": "m", "version": "1", "precision": "fp32"},
              "moderation": moderation_of(tmp_path, [{"toxic": 0.6}, {}, {}, {"toxic": 0.9}, {"identity_hate": 0.4},
                                                     {"identity_hate": 0.9}, None])}
    missed = shortfalls(report)
    assert len(missed) == 4 and "Proud to be deaf" in missed[0] and "0.5" in missed[1]
    assert "You moron" in missed[2] and "0.9" in missed[3]
    text = page(report, report)
    assert text.count("**no**") == 4 and "## Most wrong on the held-out set" in text
    fixed = {**report, "labels": {"toxic": {"roc_auc": 0.99}},
             "moderation": moderation_of(tmp_path, [{}, {}, {}, {}, {"toxic": 0.9, "insult": 0.9},
                                                    {"identity_hate": 0.9}, None])}
    assert shortfalls(fixed) == []
