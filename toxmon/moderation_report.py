"""What the service's policy decides on a labelled set, beside the ROC figures: per category,
how many texts are allowed, sent to review or blocked; the benign texts about a group that
reach a review threshold; identity hate seen where no group is named; and the rows the
model gets most wrong.

The decisions are the shipped policy's (ui/toxicity_ui/policy.yaml) applied to the scores,
the same rule the UI applies, so an in-process run and a run through the API read alike.
"""

import numpy as np
from labels import LABELS
from toxicity_ui.policy import Policy

WORST_ROWS = 12


def moderation(dataset, scores: dict, texts: list, policy: Policy | None = None) -> dict:
    """dataset: evaluation.LabelledSet; scores: label -> array (nan where not scored)."""
    policy = policy or Policy.load()
    scored = np.flatnonzero(~np.isnan(scores[LABELS[0]]))
    truth = {label: dataset.truth.get(label, np.full(len(texts), np.nan)) for label in LABELS}
    rows = []
    for i in scored:
        row_scores = {label: float(scores[label][i]) for label in LABELS}
        decision = policy.decide(row_scores)
        toxic = any(truth[label][i] == 1 for label in LABELS)
        rows.append({"row": int(i), "text": texts[i], "category": dataset.categories[i] if dataset.categories else "",
                     "identity": sorted(dataset.identities[i]) if dataset.identities else [],
                     "toxic": toxic, "decision": decision.decision, "labels": decision.labels,
                     "scores": row_scores,
                     "truth": [label for label in LABELS if truth[label][i] == 1]})
    by_category = {}
    for row in rows:
        if row["category"]:
            counts = by_category.setdefault(row["category"], {"rows": 0, "allow": 0, "review": 0, "block": 0})
            counts["rows"] += 1
            counts[row["decision"]] += 1
    benign_about_groups = [r for r in rows if r["identity"] and not r["toxic"]]
    no_group_hate = [r for r in rows if not r["identity"] and r["toxic"] and "identity_hate" not in r["truth"]]
    return {
        "policy_review": policy.review,
        "by_category": dict(sorted(by_category.items())),
        "benign_about_groups": {"rows": len(benign_about_groups),
                                "reaching_review": [_brief(r) for r in benign_about_groups if r["decision"] != "allow"]},
        "identity_hate_without_group": {
            "rows": len(no_group_hate),
            "max_score": max((r["scores"]["identity_hate"] for r in no_group_hate), default=None),
            "reaching_review": [_brief(r) for r in no_group_hate
                                if r["scores"]["identity_hate"] >= policy.review["identity_hate"]]},
        "most_wrong": [_brief(r) for r in sorted(rows, key=_error, reverse=True)[:WORST_ROWS]],
    }


def _error(row: dict) -> float:
    """How far the scores are from the labels: the worst label's distance from its truth."""
    return max(abs(row["scores"][label] - (1.0 if label in row["truth"] else 0.0)) for label in LABELS)


def _brief(row: dict) -> dict:
    top = max(LABELS, key=lambda label: row["scores"][label])
    return {"text": row["text"], "category": row["category"], "truth": row["truth"] or ["benign"],
            "decision": row["decision"], "top_label": top, "top_score": round(row["scores"][top], 3),
            "error": round(_error(row), 3)}


def markdown(section: dict) -> list[str]:
    lines = ["", "## The policy's decisions by category", "",
             "Decided as the UI decides, with the shipped policy's review and block thresholds.", "",
             "| category | rows | allowed | review | blocked |", "|---|---:|---:|---:|---:|"]
    for name, c in section["by_category"].items():
        lines.append(f"| {name} | {c['rows']} | {c['allow']} | {c['review']} | {c['block']} |")
    groups, hate = section["benign_about_groups"], section["identity_hate_without_group"]
    highest = "–" if hate["max_score"] is None else f"{hate['max_score']:.3f}"
    lines += ["", f"Benign texts about a group reaching a review threshold: **{len(groups['reaching_review'])}** "
                  f"of {groups['rows']}.",
              f"Toxic texts naming no group: {hate['rows']}; highest identity_hate score {highest}, "
              f"**{len(hate['reaching_review'])}** at or above its review threshold "
              f"({section['policy_review']['identity_hate']:g})."]
    lines += ["", "## Most wrong", "", "| text | category | labelled | decision | top score |", "|---|---|---|---|---:|"]
    for row in section["most_wrong"]:
        text = row["text"].replace("|", "\\|")
        lines.append(f"| {text[:100]} | {row['category']} | {', '.join(row['truth'])} | {row['decision']} | "
                     f"{row['top_label']} {row['top_score']:.3f} |")
    return lines
