"""The evaluation report as Markdown and as a PNG (ROC curves, per-subgroup AUC bars)."""

import json
from pathlib import Path

import numpy as np


def _fmt(value, digits=3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def markdown(report: dict, source: str) -> str:
    lines = [f"# Evaluation: {source}", "",
             f"{report['scored']} of {report['rows']} rows scored"
             + (f", {report['failed']} failed" if report["failed"] else "")
             + f"; threshold {report['threshold']:g}; mean ROC-AUC **{_fmt(report['mean_roc_auc'], 4)}**.", "",
             "| label | rows | positives | ROC-AUC | PR-AUC | precision | recall | F1 | TP | FP | FN | TN | ECE |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, m in [*report["labels"].items(), ("verdict (any label)", report["verdict"])]:
        c = m["confusion"]
        lines.append(f"| {name} | {m['rows']} | {m['positives']} | {_fmt(m['roc_auc'])} | {_fmt(m['pr_auc'])} | "
                     f"{_fmt(m['precision'])} | {_fmt(m['recall'])} | {_fmt(m['f1'])} | "
                     f"{c['tp']} | {c['fp']} | {c['fn']} | {c['tn']} | {_fmt(m['calibration_error'])} |")
    bias = report.get("bias")
    if bias:
        means = bias["generalized_means"]
        lines += ["", f"## Unintended bias ({bias['label']} label)", "",
                  f"Generalized means (p = {bias['power']}): subgroup AUC {_fmt(means['subgroup_auc'])}, "
                  f"BPSN AUC {_fmt(means['bpsn_auc'])}, BNSP AUC {_fmt(means['bnsp_auc'])}; "
                  f"overall AUC {_fmt(bias['overall_auc'])}; final score **{_fmt(bias['final_score'], 4)}**.", "",
                  "| identity | rows | toxic | subgroup AUC | BPSN AUC | BNSP AUC | benign flagged |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for name, s in bias["subgroups"].items():
            lines.append(f"| {name} | {s['rows']} | {s['positives']} | {_fmt(s['subgroup_auc'])} | "
                         f"{_fmt(s['bpsn_auc'])} | {_fmt(s['bnsp_auc'])} | {s['benign_flagged']} |")
    categories = report.get("categories")
    if categories:
        lines += ["", "## By category", "", "| category | rows | flagged | flag rate | mean top score |",
                  "|---|---:|---:|---:|---:|"]
        for name, c in categories.items():
            lines.append(f"| {name} | {c['rows']} | {c['flagged']} | {c['flag_rate']:.0%} | "
                         f"{c['mean_top_score']:.3f} |")
    if report.get("moderation"):
        from .moderation_report import markdown as moderation_markdown
        lines += moderation_markdown(report["moderation"])
    return "\n".join(lines) + "\n"


def plot(report: dict, curves: dict, path: Path, title: str) -> None:
    """curves: label -> (false positive rates, true positive rates)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bias = report.get("bias")
    columns = 2 if bias else 1
    figure, axes = plt.subplots(1, columns, figsize=(7 * columns, 6), squeeze=False)
    roc = axes[0][0]
    for label, (fpr, tpr) in curves.items():
        roc.plot(fpr, tpr, label=f"{label} (AUC {_fmt(report['labels'][label]['roc_auc'])})")
    roc.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC per label")
    roc.legend(loc="lower right", fontsize="small")
    if bias:
        names = list(bias["subgroups"])
        y = np.arange(len(names))
        bars = axes[0][1]
        for offset, metric in zip((-0.27, 0, 0.27), ("subgroup_auc", "bpsn_auc", "bnsp_auc")):
            values = [bias["subgroups"][n][metric] or 0 for n in names]
            bars.barh(y + offset, values, height=0.27, label=metric.replace("_", " "))
        bars.set_yticks(y, names, fontsize="small")
        lowest = min((v for s in bias["subgroups"].values() for k, v in s.items() if k.endswith("_auc") and v is not None),
                     default=0.5)
        bars.set_xlim(min(0.9, max(0.0, lowest - 0.05)), 1.0)  # zoomed in so a weak subgroup stands out
        bars.invert_yaxis()
        bars.set(xlabel="AUC", title=f"Bias per identity ({bias['label']})")
        bars.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, fontsize="small")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_json(report: dict, path: Path) -> None:
    path.write_text(json.dumps(report, indent=2) + "\n")
