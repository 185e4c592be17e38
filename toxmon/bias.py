"""Unintended-bias metrics of Borkan et al. (2019), as scored in the Jigsaw Unintended
Bias in Toxicity Classification challenge.

For each identity subgroup, on the toxic label:
  subgroup AUC  - only rows that mention the identity: does the model rank toxic
                  above non-toxic within the group?
  BPSN AUC      - background positives, subgroup negatives: non-toxic rows about the
                  group against toxic rows not about it (low: the group is flagged by
                  its name alone);
  BNSP AUC      - background negatives, subgroup positives (low: toxicity about the
                  group is missed).
Each is summarised over subgroups by the generalized mean with p = -5, which lets the
worst subgroups dominate, and the challenge's final score is
0.25 * overall AUC + 0.75 * mean of the three generalized means.
"""

import numpy as np
from sklearn.metrics import roc_auc_score

BIAS_LABEL = "toxic"
POWER = -5
OVERALL_WEIGHT = 0.25


def _auc(truth: np.ndarray, scores: np.ndarray):
    kept = ~np.isnan(truth)
    truth, scores = truth[kept], scores[kept]
    if len(truth) == 0 or truth.min() == truth.max():
        return None
    return float(roc_auc_score(truth, scores))


def generalized_mean(values: list, power: int = POWER):
    values = np.array([v for v in values if v is not None], dtype=float)
    if len(values) == 0:
        return None
    if values.min() <= 0:  # the mean of x**-5 is infinite: the worst subgroup is all there is
        return 0.0
    return float(np.power(np.mean(np.power(values, power)), 1.0 / power))


def subgroup_rows(identity: str, identities: list) -> np.ndarray:
    return np.array([identity in names for names in identities])


def bias_metrics(truth: np.ndarray, scores: np.ndarray, identities: list, threshold: float,
                 verdict_scores: np.ndarray | None = None) -> dict:
    """verdict_scores: each row's highest label score (the service's verdict); default `scores`."""
    verdict_scores = scores if verdict_scores is None else verdict_scores
    positive, negative = truth == 1, truth == 0
    subgroups = {}
    for identity in sorted(set().union(*identities)):
        inside = subgroup_rows(identity, identities)
        subgroups[identity] = {
            "rows": int(inside.sum()),
            "positives": int((inside & positive).sum()),
            "subgroup_auc": _auc(truth[inside], scores[inside]),
            "bpsn_auc": _auc(truth[(inside & negative) | (~inside & positive)],
                             scores[(inside & negative) | (~inside & positive)]),
            "bnsp_auc": _auc(truth[(inside & positive) | (~inside & negative)],
                             scores[(inside & positive) | (~inside & negative)]),
            # A benign sentence about the group that the service flags (on any label).
            "benign_flagged": int((inside & negative & (verdict_scores >= threshold)).sum()),
        }
    means = {name: generalized_mean([s[name] for s in subgroups.values()])
             for name in ("subgroup_auc", "bpsn_auc", "bnsp_auc")}
    overall = _auc(truth, scores)
    final = None
    if overall is not None and all(value is not None for value in means.values()):
        final = OVERALL_WEIGHT * overall + (1 - OVERALL_WEIGHT) * float(np.mean(list(means.values())))
    return {"label": BIAS_LABEL, "power": POWER, "overall_auc": overall,
            "generalized_means": means, "final_score": final, "subgroups": subgroups}
