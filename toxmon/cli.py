"""toxmon: the Toxicity Monitor command line.

Built on click (already the UI's dependency through Flask): subcommands, typed
options and help text without hand-written argument handling.
"""

import sys
from pathlib import Path

import click

from . import texts as inputs
from .api_client import DEFAULT_URL, ApiScorer
from .cli_operations import OPERATOR_COMMANDS

PUBLIC_SET = Path(__file__).parent / "data" / "public_eval.csv"


class _Toxmon(click.Group):
    """Turns the two errors an operator command meets outside `make`'s venv into one clear line."""

    def invoke(self, ctx):
        from .checkout import NotInCheckout
        try:
            return super().invoke(ctx)
        except NotInCheckout as error:
            raise click.ClickException(str(error)) from None
        except ModuleNotFoundError as error:
            raise click.ClickException(
                f"this command needs the Python package {error.name!r}, which is not installed here: "
                "use the environment `make run` creates (.venv), or pip install -r handler/requirements.txt "
                "-r ui/requirements.txt -c constraints.txt") from None


@click.group(cls=_Toxmon, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Toxicity Monitor: score texts with the running service and evaluate its model."""


def _progress(total: int, enabled: bool):
    from tqdm import tqdm
    # disable=None: drawn only when standard error is a terminal.
    return tqdm(total=total, unit="text", file=sys.stderr, disable=None if enabled else True)


@main.command()
@click.argument("text", nargs=-1)
@click.option("--file", "file_", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV or JSON Lines file of texts (.jsonl/.ndjson/.json are JSON Lines).")
@click.option("--column", help="The column holding the text (default: comment_text, else text).")
@click.option("--url", default=DEFAULT_URL, show_default=True, envvar="TOXMON_URL",
              help="The Toxicity Monitor UI (its JSON API).")
@click.option("--format", "format_", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="table for people; json (one object per line) or csv for programs.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Requests in flight at once.")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-",
              help="Write the results here instead of standard output.")
def score(text, file_, column, url, format_, concurrency, output):
    """Score TEXT arguments, a --file, or lines from standard input.

    Rows that cannot be read or scored are reported and skipped; the exit status
    is 1 if any was, 0 if every text was scored.
    """
    from .output import WRITERS, summary
    try:
        if file_:
            rows = inputs.from_file(file_, column)
        elif text:
            rows = inputs.from_texts(text)
        elif not sys.stdin.isatty():
            rows = inputs.from_stdin()
        else:
            raise click.UsageError("give texts as arguments, a --file, or pipe texts on standard input")
    except inputs.InputFileError as error:
        raise click.ClickException(str(error)) from None
    scorer = ApiScorer(url, concurrency=concurrency)
    with _progress(len(rows), enabled=bool(file_)) as bar:
        results = scorer.score_all([None if row.problem else row.text for row in rows], on_done=bar.update)
    WRITERS[format_](rows, results, output)
    report, failed = summary(rows, results, scorer.retries_honoured)
    if file_ or failed or len(rows) > 1:
        click.echo(report, err=True)
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("file_", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--labels", "labels_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Labels in a separate CSV joined on `id` (the Jigsaw test_labels.csv).")
@click.option("--url", default=DEFAULT_URL, show_default=True, envvar="TOXMON_URL",
              help="Score through this Toxicity Monitor UI.")
@click.option("--model-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Score in this process from a prepared model directory instead (the handler's code).")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Verdict threshold of the report (default 0.5, or the handler's with --model-dir).")
@click.option("--column", help="The text column (default: comment_text, else text).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where evaluation.json/.md/.png go (default: build/evaluation/<file name>).")
@click.option("--min-mean-auc", type=float, help="Exit 1 if the mean ROC-AUC is below this.")
def evaluate(file_, labels_file, url, model_dir, threshold, column, concurrency, output_dir, min_mean_auc):
    """Score a labelled FILE (Jigsaw format) and report accuracy and unintended bias.

    FILE has comment_text and any of the six label columns (0/1); identity columns
    (Jigsaw Unintended Bias names) or one `identity` column add the bias metrics.
    """
    from .evaluation import EvaluationFileError
    from .evaluation_run import run_evaluation
    try:
        rows = inputs.from_file(file_, column)
        if labels_file:
            rows = inputs.join_labels(rows, labels_file)
    except inputs.InputFileError as error:
        raise click.ClickException(str(error)) from None
    output_dir = output_dir or Path("build") / "evaluation" / file_.stem
    try:
        outcome = run_evaluation(rows, file_.name, output_dir, url=url, model_dir=model_dir,
                                 threshold=threshold, concurrency=concurrency,
                                 progress=lambda total: _progress(total, enabled=True))
    except EvaluationFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(outcome.markdown)
    click.echo(f"written: {', '.join(str(path) for path in outcome.files)}", err=True)
    mean_auc = outcome.report["mean_roc_auc"]
    if min_mean_auc is not None and (mean_auc is None or mean_auc < min_mean_auc):
        click.echo(f"mean ROC-AUC {mean_auc} is below {min_mean_auc}", err=True)
        sys.exit(1)


# What operators run (model, archive, the local stack, load and reports): cli_operations.py.
for _command in OPERATOR_COMMANDS:
    main.add_command(_command)


# The rollout of a candidate version lives in the UI package, so the UI image runs it too;
# imported when called (the TorchServe image's build runs toxmon without the UI's Flask).
@main.command(add_help_option=False, context_settings={"ignore_unknown_options": True,
                                                        "allow_interspersed_args": False})
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def rollout(arguments):
    """Roll a candidate model version out: status, shadow, canary PERCENT, promote, abort, samples."""
    from toxicity_ui.rollout import rollout as rollout_group
    rollout_group.main(list(arguments), prog_name="toxmon rollout")

# Perspective's suggested scores: in the UI package too, beside the store the UI writes.
@main.command(add_help_option=False, context_settings={"ignore_unknown_options": True,
                                                        "allow_interspersed_args": False})
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def feedback(arguments):
    """Suggested scores from comments:suggestscore: export (for toxmon evaluate), stats, prune."""
    from toxicity_ui.feedback_commands import feedback as feedback_group
    feedback_group.main(list(arguments), prog_name="toxmon feedback")


if __name__ == "__main__":
    main()
