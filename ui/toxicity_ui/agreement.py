"""How differently the candidate version scores than the primary, per text.

A label is flagged when its score reaches the policy's review threshold for it; a
disagreement is a label one version flags and the other does not. Its direction says
which way the candidate leans: candidate_flags (stricter) or candidate_clears (looser).
"""

from dataclasses import dataclass, field

from . import metrics


@dataclass
class Comparison:
    differences: dict                 # label -> |candidate - primary|
    disagreements: dict = field(default_factory=dict)   # label -> direction

    @property
    def agrees(self) -> bool:
        return not self.disagreements


def compare(primary_scores: dict, candidate_scores: dict, review: dict) -> Comparison:
    """review: the policy's review threshold per label."""
    comparison = Comparison({label: abs(candidate_scores[label] - primary_scores[label])
                             for label in primary_scores})
    for label, threshold in review.items():
        primary_flags = primary_scores[label] >= threshold
        candidate_flags = candidate_scores[label] >= threshold
        if primary_flags != candidate_flags:
            comparison.disagreements[label] = "candidate_flags" if candidate_flags else "candidate_clears"
    return comparison


def record(comparison: Comparison) -> None:
    for label, difference in comparison.differences.items():
        metrics.SCORE_DIFFERENCE.labels(label=label).observe(difference)
    for label, direction in comparison.disagreements.items():
        metrics.DISAGREEMENTS.labels(label=label, direction=direction).inc()
    metrics.COMPARISONS.labels(outcome="agree" if comparison.agrees else "disagree").inc()
