"""The per-label policy: allow, review or block from the six scores (policy.yaml).

Kept in the UI, not in the model archive: a threshold changes far more often than a model,
and changing it must not mean rebuilding and reloading a 400 MB archive.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml

from .model_names import LABELS

DECISIONS = ("allow", "review", "block")
DEFAULT_FILE = Path(__file__).with_name("policy.yaml")


class PolicyError(ValueError):
    """A policy file that cannot be used; the UI refuses to start with it."""


@dataclass(frozen=True)
class Decision:
    decision: str      # allow | review | block
    labels: list       # the labels that reached it, highest score first


@dataclass(frozen=True)
class Policy:
    review: dict       # label -> score from which a text goes to review
    block: dict        # label -> score from which a text is blocked

    @classmethod
    def load(cls, path: Path | str | None = None) -> "Policy":
        path = Path(path) if path else DEFAULT_FILE
        try:
            document = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as error:
            raise PolicyError(f"cannot read the policy {path}: {error}") from None
        labels = document.get("labels") if isinstance(document, dict) else None
        if not isinstance(labels, dict) or set(labels) != set(LABELS):
            raise PolicyError(f"{path}: 'labels' must give review and block for each of {', '.join(LABELS)}")
        review, block = {}, {}
        for label in LABELS:
            levels = labels[label]
            if not isinstance(levels, dict) or set(levels) != {"review", "block"} or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in levels.values()):
                raise PolicyError(f"{path}: {label} needs numbers 'review' and 'block', got {levels!r}")
            if not 0 < levels["review"] <= levels["block"] <= 1:
                raise PolicyError(f"{path}: {label} needs 0 < review <= block <= 1, got {levels!r}")
            review[label], block[label] = float(levels["review"]), float(levels["block"])
        return cls(review, block)

    def decide(self, scores: dict) -> Decision:
        ranked = sorted(LABELS, key=lambda label: -scores[label])
        for decision, levels in (("block", self.block), ("review", self.review)):
            reached = [label for label in ranked if scores[label] >= levels[label]]
            if reached:
                return Decision(decision, reached)
        return Decision("allow", [])

    def as_dict(self) -> dict:
        return {label: {"review": self.review[label], "block": self.block[label]} for label in LABELS}
