"""The UI's rollout counters, read from its /metrics and summed over its workers: what
`toxmon rollout status` reports as the agreement so far."""

import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def ui_agreement(ui_url: str) -> dict | None:
    """Comparisons by outcome, disagreements by label and direction, calls per version,
    and the comparisons still queued; None when the UI cannot be read."""
    try:
        with urllib.request.urlopen(f"{ui_url.rstrip('/')}/metrics", timeout=5) as reply:
            text = reply.read().decode()
    except (urllib.error.URLError, OSError):
        return None
    summary = {"comparisons": {}, "disagreements": {}, "calls": {}, "queued": 0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "toxicity_ui_rollout_queue_depth":
                summary["queued"] += int(sample.value)
                continue
            if sample.name == "toxicity_ui_rollout_comparisons_total":
                key, bucket = sample.labels["outcome"], "comparisons"
            elif sample.name == "toxicity_ui_rollout_disagreements_total":
                key, bucket = f"{sample.labels['label']} {sample.labels['direction']}", "disagreements"
            elif sample.name == "toxicity_ui_version_calls_total":
                labels = sample.labels
                key = f"{labels['version']} ({labels['role']}, {labels['purpose']}) {labels['outcome']}"
                bucket = "calls"
            else:
                continue
            summary[bucket][key] = summary[bucket].get(key, 0) + int(sample.value)
    return summary
