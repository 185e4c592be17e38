"""The demo model's page (docs/evaluation-demo.md): the public set and the held-out forms
side by side, from two `toxmon evaluate` reports.

    python -m toxmon.evaluation_page build/evaluation/public/evaluation.json \\
        build/evaluation/heldout/evaluation.json > docs/evaluation-demo.md

(`make evaluation-page` does it against `make run`'s stack.)
"""

import json
import sys
from pathlib import Path

from labels import LABELS

from .moderation_report import markdown as moderation_markdown

# The held-out protocol's targets (docs/evaluation.md, "Held out by form").
TARGETS = {"toxic_roc_auc": 0.97, "negated_allowed": 0.8}


def _auc(report: dict, label: str) -> str:
    value = report["labels"].get(label, {}).get("roc_auc")
    return "–" if value is None else f"{value:.3f}"


def held_out_figures(report: dict) -> dict:
    """The four figures the held-out protocol is judged by."""
    moderation = report["moderation"]
    negated = moderation["by_category"].get("negated_insult", {"rows": 0, "allow": 0})
    return {
        "benign_about_groups_reaching_review": len(moderation["benign_about_groups"]["reaching_review"]),
        "benign_about_groups": moderation["benign_about_groups"]["rows"],
        "negated_allowed": negated["allow"] / negated["rows"] if negated["rows"] else None,
        "identity_hate_without_group_reaching_review": len(moderation["identity_hate_without_group"]["reaching_review"]),
        "identity_hate_without_group_max": moderation["identity_hate_without_group"]["max_score"],
        "toxic_roc_auc": report["labels"]["toxic"]["roc_auc"],
    }


def shortfalls(report: dict) -> list[str]:
    """The held-out protocol's targets a report misses, in words; empty when it meets them all."""
    figures, missed = held_out_figures(report), []
    if figures["benign_about_groups_reaching_review"]:
        missed.append(f"{figures['benign_about_groups_reaching_review']} benign texts about a group reach review: "
                      f"{report['moderation']['benign_about_groups']['reaching_review']}")
    if figures["negated_allowed"] is None or figures["negated_allowed"] < TARGETS["negated_allowed"]:
        missed.append(f"negated insults allowed: {figures['negated_allowed']}")
    if figures["identity_hate_without_group_reaching_review"]:
        missed.append(f"identity_hate with no group named: "
                      f"{report['moderation']['identity_hate_without_group']['reaching_review']}")
    if figures["toxic_roc_auc"] is None or figures["toxic_roc_auc"] < TARGETS["toxic_roc_auc"]:
        missed.append(f"toxic ROC-AUC {figures['toxic_roc_auc']}")
    return missed


def page(public: dict, heldout: dict) -> str:
    model = heldout["model"]
    figures = held_out_figures(heldout)
    ok = lambda passed: "yes" if passed else "**no**"  # noqa: E731
    lines = ["# The demo model on the public set and on held-out forms",
             "",
             f"`{model['name']}` version {model['version']}, {model['precision']}, decided with the shipped "
             "policy (`make evaluation-page` scores both sets through the API of `make run`'s stack). "
             "The public set (`toxmon/data/public_eval.csv`) "
             "is written in the training templates' style; the held-out set (`toxmon/data/heldout_forms.csv`) "
             "is kept apart from them by form: no sentence of it has a template's shape "
             "(`tests/unit/test_heldout_forms.py`).",
             "",
             "## The held-out protocol", "",
             "| target | measured | met |", "|---|---:|---|",
             f"| no benign text about a group reaches a review threshold | "
             f"{figures['benign_about_groups_reaching_review']} of {figures['benign_about_groups']} | "
             f"{ok(figures['benign_about_groups_reaching_review'] == 0)} |",
             f"| at least {TARGETS['negated_allowed']:.0%} of negated insults allowed | "
             f"{figures['negated_allowed']:.0%} | {ok(figures['negated_allowed'] >= TARGETS['negated_allowed'])} |",
             f"| identity_hate under its review threshold when no group is named | "
             f"{figures['identity_hate_without_group_reaching_review']} over, highest "
             f"{figures['identity_hate_without_group_max']:.3f} | "
             f"{ok(figures['identity_hate_without_group_reaching_review'] == 0)} |",
             f"| toxic ROC-AUC at least {TARGETS['toxic_roc_auc']} | {figures['toxic_roc_auc']:.3f} | "
             f"{ok(figures['toxic_roc_auc'] >= TARGETS['toxic_roc_auc'])} |",
             "", "## ROC-AUC per label", "", "| label | public | held-out |", "|---|---:|---:|"]
    lines += [f"| {label} | {_auc(public, label)} | {_auc(heldout, label)} |" for label in LABELS]
    lines += [f"| **mean** | {public['mean_roc_auc']:.3f} | {heldout['mean_roc_auc']:.3f} |",
              "", "## Decisions by category, both sets", "",
              "| set | category | rows | allowed | review | blocked |", "|---|---|---:|---:|---:|---:|"]
    for name, report in (("public", public), ("held-out", heldout)):
        for category, c in report["moderation"]["by_category"].items():
            lines.append(f"| {name} | {category} | {c['rows']} | {c['allow']} | {c['review']} | {c['block']} |")
    for name, report in (("public set", public), ("held-out set", heldout)):
        section = moderation_markdown(report["moderation"])
        start = section.index("## Most wrong")
        lines += ["", f"## Most wrong on the {name}", *section[start + 1:]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    public, heldout = (json.loads(Path(path).read_text()) for path in argv)
    sys.stdout.write(page(public, heldout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
