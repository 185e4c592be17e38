"""One evaluation run: score the rows (API or in process), compute the report, write its files."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labels import LABELS

from .api_client import ScoreError
from .bulk import BulkScorer
from .evaluation import EvaluationFileError, evaluate, labelled_set
from .moderation_report import moderation
from .report import markdown, plot, write_json


@dataclass
class Outcome:
    report: dict
    markdown: str
    files: list


def _scorer(url, model_dir, threshold, concurrency):
    if model_dir:
        from .local_scorer import LocalScorer
        return LocalScorer(model_dir, threshold=threshold)
    return BulkScorer(url, in_flight=concurrency)


def run_evaluation(rows: list, source: str, output_dir: Path, url: str, model_dir: Path | None = None,
                   threshold: float | None = None, concurrency: int = 4, progress=None) -> Outcome:
    if not rows:
        raise EvaluationFileError(f"{source}: no rows")
    dataset = labelled_set(rows, list(rows[0].fields))
    scorer = _scorer(url, model_dir, threshold, concurrency)
    texts = [None if row.problem else row.text for row in rows]
    if progress:
        with progress(len(texts)) as bar:
            results = scorer.score_all(texts, on_done=bar.update)
    else:
        results = scorer.score_all(texts)
    good = [r for r in results if isinstance(r, dict)]
    if not good:
        first = next((r for r in results if isinstance(r, ScoreError)), "no readable rows")
        raise EvaluationFileError(f"no row could be scored ({first})")
    # The service decides with a per-label policy; the report's single threshold is the one
    # a model-dir run's handler reports, or toxic-bert's customary 0.5.
    served_threshold = threshold if threshold is not None else float(good[0].get("threshold", 0.5))
    scores = {label: np.array([r["scores"][label] if isinstance(r, dict) else np.nan for r in results])
              for label in LABELS}
    report = evaluate(dataset, scores, served_threshold)
    report["moderation"] = moderation(dataset, scores, [row.text for row in rows])
    first = good[0]
    report["model"] = {"name": first.get("model"), "version": first.get("model_version"),
                       "precision": first.get("model_precision"), "demo": first.get("demo")}
    report["failures"] = [{"row": row.number, "error": row.problem or str(result)}
                          for row, result in zip(rows, results) if not isinstance(result, dict)][:100]

    output_dir.mkdir(parents=True, exist_ok=True)
    text = markdown(report, f"{source} — {report['model']['name']} ({report['model']['precision']})")
    files = [output_dir / "evaluation.json", output_dir / "evaluation.md", output_dir / "evaluation.png"]
    write_json(report, files[0])
    files[1].write_text(text)
    plot(report, roc_curves(dataset, scores), files[2], f"{source}: {report['model']['name']}")
    return Outcome(report, text, files)


def roc_curves(dataset, scores: dict) -> dict:
    from sklearn.metrics import roc_curve
    curves = {}
    for label in dataset.labels:
        truth = dataset.truth[label]
        kept = ~np.isnan(truth) & ~np.isnan(scores[label])
        if 0 < truth[kept].sum() < kept.sum():
            fpr, tpr, _ = roc_curve(truth[kept], scores[label][kept])
            curves[label] = (fpr, tpr)
    return curves
