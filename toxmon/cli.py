"""toxmon: the Toxicity Monitor command line.

Built on click (already the UI's dependency through Flask): subcommands, typed
options and help text without hand-written argument handling.
"""

import sys
from pathlib import Path

import click

from . import texts as inputs
from .api_client import DEFAULT_URL, ApiScorer

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
              help="Verdict threshold (default: the one the service reports).")
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


# --- operator commands: thin wrappers over modules that keep their own argparse options,
# so `toxmon bench --help` shows the harness's full help.
def _delegate(name: str, module: str, summary: str):
    @main.command(name, help=summary, add_help_option=False,
                  context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
    @click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
    def command(arguments):
        import importlib
        sys.exit(importlib.import_module(module).main(list(arguments)))
    return command


_delegate("bench", "toxmon.bench.run",
          "Side-by-side benchmark: naive, stock TorchServe and this project's serving (--help for options).")
_delegate("stress", "toxmon.stress", "The brief's load scenario with locust against a running stack.")
_delegate("metrics-report", "toxmon.metrics_report", "Key metrics of a time window from Prometheus, as a PNG.")
_delegate("monitor", "toxmon.monitoring",
          "start | stop Prometheus, Alertmanager and node-exporter watching the local stack.")


# --- model and archive ----------------------------------------------------------------------
_source_option = click.option(
    "--source", default="auto", show_default=True, envvar="MODEL_SOURCE",
    help="auto (unitary/toxic-bert when the hub answers, else the demo), demo (offline), "
         "bench-base (random weights, benchmarks only), a hub id, or a snapshot folder.")
_model_dir_option = click.option("--model-dir", type=click.Path(file_okay=False, path_type=Path),
                                 default="build/models/toxic-bert", show_default=True)


@main.command()
@_source_option
@_model_dir_option
@click.option("--force", is_flag=True, help="Prepare it again even if the folder holds it already.")
def model(source, model_dir, force):
    """Prepare the model folder (weights, tokenizer, label config)."""
    from .archive import ArchiveError, prepare_model
    try:
        built = prepare_model(source, model_dir, force=force)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"model {'written to' if built else 'up to date in'} {model_dir}")


@main.command()
@_source_option
@_model_dir_option
@click.option("--export-dir", type=click.Path(file_okay=False, path_type=Path), default="model-store",
              show_default=True, help="The model store to write toxic-bert.mar into.")
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16", "int8"]),
              help="Served precision (default: the model config's, auto).")
@click.option("--version", "version_", default="1.0", show_default=True, help="The model version in the archive.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Another model-config.yaml (default: handler/model-config.yaml).")
@click.option("--format", "archive_format", type=click.Choice(["default", "no-archive"]), default="default",
              show_default=True, help="no-archive: a folder TorchServe does not re-extract at every start.")
@click.option("--force", is_flag=True, help="Rebuild even if nothing changed.")
def archive(source, model_dir, export_dir, precision, version_, config_file, archive_format, force):
    """Build the TorchServe archive, preparing the model and its precision check first if needed."""
    from .archive import ArchiveError, ArchiveRequest, build
    request = ArchiveRequest(model_dir, export_dir, precision, version_, config_file, archive_format)
    try:
        steps = build(source, request, force=force)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from None
    done = ", ".join(f"{step} {'built' if built else 'up to date'}" for step, built in steps.items())
    size = sum(f.stat().st_size for f in [request.archive_path] if f.is_file()) / 2**20
    click.echo(f"archive: {request.archive_path}" + (f" ({size:.0f} MB)" if size else "") + f" — {done}")


# --- the local stack --------------------------------------------------------------------------
_run_dir_option = click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path), default="build/run",
                               show_default=True, help="Configuration, logs and state of the run.")


def _stack(run_dir: Path, model_store: Path = Path("model-store")):
    from .stack import Stack
    return Stack.from_env(run_dir, model_store)


@main.command()
@_run_dir_option
@click.option("--model-store", type=click.Path(file_okay=False, path_type=Path), default="model-store",
              show_default=True, help="The folder holding toxic-bert.mar.")
@click.option("--timeout", type=float, default=300, show_default=True, help="Seconds to wait until it answers.")
def run(run_dir, model_store, timeout):
    """Start TorchServe and the UI on 127.0.0.1 under supervisord (restarted if they crash).

    Ports: TORCHSERVE_INFERENCE_PORT, TORCHSERVE_MANAGEMENT_PORT, TORCHSERVE_METRICS_PORT
    and UI_PORT (default 8080, 8081, 8082, 5000). A running stack is restarted.
    """
    from .stack import StackError, start
    stack = _stack(run_dir, model_store)
    try:
        seconds = start(stack, timeout)
    except StackError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"ready in {seconds:.0f} s; logs in {stack.logs}\n")
    for name, url in stack.urls().items():
        click.echo(f"{name + ':':23s}{url}")
    click.echo("Stop with: make stop")


@main.command()
@_run_dir_option
def stop(run_dir):
    """Stop what `toxmon run` started."""
    from .stack import stop as stop_stack
    click.echo("stopped" if stop_stack(_stack(run_dir)) else "the stack was not running")


@main.command()
@_run_dir_option
def status(run_dir):
    """Each program's state (supervisorctl) and whether the model is READY; exit 1 if not."""
    from . import supervise, torchserve_process
    stack = _stack(run_dir)
    if not supervise.is_running(stack.run_dir):
        click.echo("the stack is not running")
        sys.exit(1)
    click.echo(supervise.status(stack.run_dir).rstrip())
    ready = torchserve_process.is_ready(stack.ports.urls()["management"])
    click.echo(f"model {'READY' if ready else 'not ready'}")
    sys.exit(0 if ready else 1)


if __name__ == "__main__":
    main()
