"""`toxmon feedback`: what moderators suggested through comments:suggestscore, for the operator.

export writes the suggestions in the Jigsaw evaluation format `toxmon evaluate` reads, so the
model can be measured against one's own moderators' corrections; stats summarises them;
prune deletes what is older than the retention. In the UI package (like `toxmon rollout`),
so the UI image runs it beside the store.
"""

import csv
import datetime
import statistics
import sys
from collections import Counter

import click

from .feedback import FeedbackStore
from .model_names import LABELS

_store_options = [
    click.option("--feedback-file", envvar="FEEDBACK_FILE", default="build/run/ui/feedback.sqlite", show_default=True,
                 help="The UI's FEEDBACK_FILE."),
    click.option("--retention-days", envvar="FEEDBACK_RETENTION_DAYS", type=click.FloatRange(min=0), default=365.0,
                 show_default=True, help="The UI's FEEDBACK_RETENTION_DAYS: older suggestions are not read."),
]


def _with_store(function):
    for option in reversed(_store_options):
        function = option(function)
    return function


def label_truth(row: dict, label: str, threshold: float) -> int | None:
    """1/0 from the suggested summary score; without one, from the highest suggested sentence
    score (a comment with one toxic sentence is toxic); None: nothing suggested for the label."""
    if label in row["scores"]:
        value = row["scores"][label]
    elif row["spans"].get(label):
        value = max(score for _, _, score in row["spans"][label])
    else:
        return None
    return int(value >= threshold)


def _when(at: float) -> str:
    return datetime.datetime.fromtimestamp(at, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def feedback():
    """The suggested scores kept by comments:suggestscore: export, stats, prune."""


@feedback.command()
@_with_store
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), required=True,
              help="The CSV to write ('-': standard output).")
@click.option("--community", help="Only the suggestions of this communityId.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="A suggested score at or above this is a 1.")
def export(feedback_file, retention_days, output, community, threshold):
    """Write the suggestions as comment_text plus a 0/1 column per label (toxmon evaluate's format);
    a label nobody suggested a score for is left empty, and evaluate skips it for that row."""
    rows = FeedbackStore(feedback_file, retention_days).rows(community)
    labels = [label for label in LABELS if any(label_truth(row, label, 1.0) is not None for row in rows)]
    handle = sys.stdout if output == "-" else open(output, "w", newline="", encoding="utf-8")
    try:
        writer = csv.writer(handle)
        writer.writerow(["id", "comment_text", *labels, "community_id", "suggested_at"])
        for row in rows:
            truths = [label_truth(row, label, threshold) for label in labels]
            writer.writerow([f"feedback{row['id']}", row["text"], *["" if t is None else t for t in truths],
                             row["community_id"] or "", _when(row["at"])])
    finally:
        if handle is not sys.stdout:
            handle.close()
    click.echo(f"{len(rows)} suggestions, labels: {', '.join(labels) or 'none'}"
               + ("" if output == "-" else f" -> {output}"), err=True)


@feedback.command()
@_with_store
def stats(feedback_file, retention_days):
    """How many suggestions, from when, by community and key, and per label."""
    rows = FeedbackStore(feedback_file, retention_days).rows()
    click.echo(f"suggestions: {len(rows)} (kept {retention_days:g} days, {feedback_file})")
    if not rows:
        return
    click.echo(f"from {_when(rows[0]['at'])} to {_when(rows[-1]['at'])}")
    for title, field in (("community", "community_id"), ("API key", "key_name")):
        counts = Counter(row[field] or "(none)" for row in rows)
        click.echo(f"by {title}: " + ", ".join(f"{name} {count}" for name, count in counts.most_common()))
    click.echo(f"{'label':14} {'suggested':>9} {'toxic (>=0.5)':>13} {'mean score':>10}")
    for label in LABELS:
        values = [row["scores"][label] for row in rows if label in row["scores"]]
        truths = [t for t in (label_truth(row, label, 0.5) for row in rows) if t is not None]
        if truths:
            mean = f"{statistics.fmean(values):.3f}" if values else "-"
            click.echo(f"{label:14} {len(truths):>9} {sum(truths):>13} {mean:>10}")


@feedback.command()
@_with_store
def prune(feedback_file, retention_days):
    """Delete the suggestions older than the retention now (the UI also does on every write)."""
    deleted = FeedbackStore(feedback_file, retention_days).delete_expired()
    click.echo(f"deleted {deleted} suggestions older than {retention_days:g} days")


if __name__ == "__main__":  # in the UI image: python -m toxicity_ui.feedback_commands stats
    feedback(prog_name="toxmon feedback")
