"""toxmon: the Toxicity Monitor command line.

Built on click (already the UI's dependency through Flask): subcommands, typed
options and help text without hand-written argument handling.
"""

import contextlib
import sys
from pathlib import Path

import click

from . import bulk, texts as inputs
from .api_client import DEFAULT_URL
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
@click.option("--file", "file_", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="CSV or JSON Lines file of texts (.jsonl/.ndjson/.json are JSON Lines); - reads standard input.")
@click.option("--input-format", type=click.Choice(["auto", "csv", "jsonl", "lines"]), default="auto",
              show_default=True, help="auto: by the file's name; standard input is one text per line.")
@click.option("--column", help="The column holding the text (default: comment_text, else text).")
@click.option("--url", default=DEFAULT_URL, show_default=True, envvar="TOXMON_URL",
              help="The Toxicity Monitor UI (its JSON API).")
@click.option("--format", "format_", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="table for people; json (one object per line) or csv for programs.")
@click.option("--batch-size", type=click.IntRange(1, bulk.MAX_TEXTS_PER_CALL), default=bulk.DEFAULT_TEXTS_PER_CALL,
              show_default=True, help="Texts per call (the API takes up to 64 and 20,000 characters).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=bulk.DEFAULT_IN_FLIGHT, show_default=True,
              help="Calls in flight at once.")
@click.option("--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default="-",
              help="Write the results here instead of standard output.")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted run: skip the rows --output already holds and append the rest.")
@click.option("--progress-every", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Seconds between progress lines when standard error is not a terminal.")
def score(text, file_, input_format, column, url, format_, batch_size, concurrency, output, resume, progress_every):
    """Score TEXT arguments, a --file, or lines from standard input.

    Rows are read, scored (many texts per call, several calls in flight) and written one
    after the other in input order, so a file of any size takes little memory. Every input
    row gives one output row: its scores or its error. The exit status is 1 if any row
    was not scored, 0 if every one was.
    """
    from .output import WRITERS, Tally
    from .progress import progress
    from .resume import ResumeError, done_rows
    if text and file_:
        raise click.UsageError("give texts as arguments or a --file, not both")
    if not text and not file_:
        if sys.stdin.isatty():
            raise click.UsageError("give texts as arguments, a --file, or pipe texts on standard input")
        file_ = Path("-")
    if resume and str(output) == "-":
        raise click.UsageError("--resume continues an --output file")
    done = None
    if resume:
        try:
            done = done_rows(output, format_)
        except ResumeError as error:
            raise click.ClickException(str(error)) from None
    scorer = bulk.BulkScorer(url, texts_per_call=batch_size, in_flight=concurrency)
    tally = Tally(already_done=done.records if done else 0)
    streamed = file_ is not None
    continuing = resume and output.exists() and output.stat().st_size > 0  # its header is written
    stopped = None
    try:
        with (inputs.open_rows(file_, column, input_format) if streamed
              else contextlib.nullcontext(iter(inputs.from_texts(text)))) as rows, \
                _output(output, append=resume) as out:  # opened once the input is: a typo keeps the old output
            if done and done.last_row:
                rows = (row for row in rows if row.number > done.last_row)
            writer = WRITERS[format_](out, header=not continuing)
            bar = progress(inputs.count_rows(file_, input_format) if streamed else None,
                           initial=tally.already_done, every=progress_every) if streamed else None
            try:
                for pairs in _in_calls(scorer.score_rows(rows), batch_size):
                    writer.write(pairs)
                    errors = tally.failed
                    for row, outcome in pairs:
                        tally.add(row, outcome)
                    if bar:
                        bar.update(len(pairs), tally.failed - errors)
            except bulk.ServiceStopped as error:
                stopped = f"{error}; the rows before it are written" + (
                    ": run the same command with --resume to continue" if str(output) != "-" else "")
            finally:
                if bar:
                    bar.close()
    except inputs.InputFileError as error:
        raise click.ClickException(str(error)) from None
    if streamed or tally.failed or tally.rows > 1 or stopped:
        click.echo(tally.summary(scorer.retries_honoured, stopped), err=True)
    sys.exit(1 if tally.failed or stopped else 0)


def _output(path: Path, append: bool):
    if str(path) == "-":
        return contextlib.nullcontext(sys.stdout)
    return open(path, "a" if append else "w", encoding="utf-8", newline="")


def _in_calls(pairs, size: int):
    """(row, outcome) pairs in groups of about one call, so output is written per call."""
    group = []
    for pair in pairs:
        group.append(pair)
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group


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
@click.option("--concurrency", type=click.IntRange(1, 64), default=bulk.DEFAULT_IN_FLIGHT, show_default=True,
              help="Calls in flight at once (each of up to 16 texts).")
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
