"""Evaluate scores against a labelled file in the Jigsaw formats.

Labels: any of toxic-bert's six columns, 0/1 (fractions of annotators as in the
Unintended Bias data count from 0.5; -1, as in the Toxic Comment test labels, means
"not scored" and leaves the row out for that label). Identities: the Unintended Bias
columns (`male`, `muslim`, ... a mention from 0.5) or one `identity` column (names
separated by ";"). A `category` column, when present, gets a flag rate per category.

The metrics are scikit-learn's; only the expected calibration error, which it does
not provide, is computed here (equal-width bins, as in Guo et al. 2017).
"""

from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import (average_precision_score, brier_score_loss, confusion_matrix,
                             precision_recall_fscore_support, roc_auc_score)

from labels import LABELS

from .bias import BIAS_LABEL, bias_metrics

# The identity columns of the Jigsaw Unintended Bias in Toxicity Classification data.
JIGSAW_IDENTITIES = (
    "male", "female", "transgender", "other_gender", "heterosexual", "homosexual_gay_or_lesbian",
    "bisexual", "other_sexual_orientation", "christian", "jewish", "muslim", "hindu", "buddhist",
    "atheist", "other_religion", "black", "white", "asian", "latino", "other_race_or_ethnicity",
    "physical_disability", "intellectual_or_learning_disability", "psychiatric_or_mental_illness",
    "other_disability")
CALIBRATION_BINS = 10


class EvaluationFileError(Exception):
    """The labelled file cannot be evaluated as a whole (no label columns, no rows)."""


@dataclass
class LabelledSet:
    labels: list                      # label names present in the file
    truth: dict                       # label -> float array (1, 0, or nan for "not scored")
    identities: list = field(default_factory=list)   # per row: set of identity names
    categories: list = field(default_factory=list)   # per row: category or ""


def _label_value(raw) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return np.nan
    if value < 0:
        return np.nan
    return 1.0 if value >= 0.5 else 0.0


def _identities(fields: dict, identity_columns: list) -> set:
    found = set()
    for name in identity_columns:
        try:
            if float(fields.get(name) or 0) >= 0.5:
                found.add(name)
        except ValueError:
            pass
    if fields.get("identity"):
        found.update(part.strip() for part in fields["identity"].split(";") if part.strip())
    return found


def labelled_set(rows: list, header: list) -> LabelledSet:
    labels = [label for label in LABELS if label in header]
    if not labels:
        raise EvaluationFileError(f"no label columns: expected any of {', '.join(LABELS)}")
    identity_columns = [name for name in JIGSAW_IDENTITIES if name in header]
    return LabelledSet(
        labels=labels,
        truth={label: np.array([_label_value(row.fields.get(label)) for row in rows]) for label in labels},
        identities=[_identities(row.fields, identity_columns) for row in rows],
        categories=[row.fields.get("category", "") or "" for row in rows],
    )


def calibration_error(truth: np.ndarray, scores: np.ndarray, bins: int = CALIBRATION_BINS) -> float:
    """Expected calibration error: the bins' |positive rate - mean score|, weighted by size."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.mean() * abs(truth[members].mean() - scores[members].mean())
    return float(error)


def _auc(function, truth, scores):
    return float(function(truth, scores)) if 0 < truth.sum() < len(truth) else None


def label_metrics(truth: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    kept = ~np.isnan(truth)
    truth, scores = truth[kept].astype(int), scores[kept]
    predicted = (scores >= threshold).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, predicted, average="binary", zero_division=0)
    tn, fp, fn, tp = confusion_matrix(truth, predicted, labels=[0, 1]).ravel()
    return {
        "rows": int(len(truth)), "positives": int(truth.sum()),
        "roc_auc": _auc(roc_auc_score, truth, scores),
        "pr_auc": _auc(average_precision_score, truth, scores),
        "precision": float(precision), "recall": float(recall), "f1": float(f1),
        "confusion": {"tp": int(tp), "fp": int(fp), "fn": int(fn), "tn": int(tn)},
        "calibration_error": calibration_error(truth, scores),
        "brier": float(brier_score_loss(truth, scores)) if len(truth) else None,
    }


def evaluate(dataset: LabelledSet, scores: dict, threshold: float) -> dict:
    """scores: label -> float array aligned with the dataset's rows (nan where scoring failed)."""
    scored = ~np.isnan(scores[LABELS[0]])
    per_label = {label: label_metrics(dataset.truth[label][scored], scores[label][scored], threshold)
                 for label in dataset.labels}
    aucs = [m["roc_auc"] for m in per_label.values() if m["roc_auc"] is not None]
    any_truth = np.nanmax(np.vstack([dataset.truth[label] for label in dataset.labels]), axis=0)
    any_score = np.max(np.vstack([scores[label] for label in LABELS]), axis=0)
    report = {
        "threshold": threshold,
        "rows": int(len(scored)), "scored": int(scored.sum()), "failed": int((~scored).sum()),
        "mean_roc_auc": float(np.mean(aucs)) if aucs else None,
        "labels": per_label,
        # The verdict as the service gives it: any label at or above the threshold.
        "verdict": label_metrics(any_truth[scored], any_score[scored], threshold),
    }
    identities = [dataset.identities[i] for i in np.flatnonzero(scored)]
    if BIAS_LABEL in dataset.labels and any(identities):
        report["bias"] = bias_metrics(dataset.truth[BIAS_LABEL][scored], scores[BIAS_LABEL][scored],
                                      identities, threshold, any_score[scored])
    if any(dataset.categories):
        report["categories"] = category_rates(dataset, any_score, scored, threshold)
    return report


def category_rates(dataset: LabelledSet, any_score: np.ndarray, scored: np.ndarray, threshold: float) -> dict:
    """Per category: how many rows, how many the service flags, and the labels' share of truth."""
    rates = {}
    for category in sorted(set(dataset.categories) - {""}):
        members = np.array([c == category for c in dataset.categories]) & scored
        if not members.any():
            continue
        rates[category] = {
            "rows": int(members.sum()),
            "flagged": int((any_score[members] >= threshold).sum()),
            "flag_rate": float((any_score[members] >= threshold).mean()),
            "mean_top_score": float(any_score[members].mean()),
        }
    return rates
