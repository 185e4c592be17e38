"""toxmon's operator commands: prepare the model and the archive, run and stop the local
stack, and the load, benchmark and report tools. cli.py adds them to the `toxmon` group."""

import sys
from pathlib import Path

import click
from labels import MODEL_NAME


# --- operator commands: thin wrappers over modules that keep their own argparse options,
# so `toxmon bench --help` shows the harness's full help.
def _delegate(name: str, module: str, summary: str):
    @click.command(name, help=summary, add_help_option=False,
                  context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
    @click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
    def command(arguments):
        import importlib
        sys.exit(importlib.import_module(module).main(list(arguments)))
    return command


DELEGATED = [
    _delegate("bench", "toxmon.bench.run",
              "Side-by-side benchmark: naive, stock TorchServe and this project's serving (--help for options)."),
    _delegate("stress", "toxmon.stress", "The brief's load scenario with locust against a running stack."),
    _delegate("metrics-report", "toxmon.metrics_report", "Key metrics of a time window from Prometheus, as a PNG."),
    _delegate("monitor", "toxmon.monitoring",
              "start | stop Prometheus, Alertmanager and node-exporter watching the local stack."),
]


# --- model and archive ----------------------------------------------------------------------
_source_option = click.option(
    "--source", default="auto", show_default=True, envvar="MODEL_SOURCE",
    help="auto (unitary/toxic-bert when the hub answers, else the demo), demo (offline), "
         "demo-candidate (the demo's rollout candidate), bench-base (random weights, benchmarks only), "
         "a hub id, or a snapshot folder.")
_model_dir_option = click.option("--model-dir", type=click.Path(file_okay=False, path_type=Path),
                                 default="build/models/toxic-bert", show_default=True)


@click.command()
@_source_option
@_model_dir_option
@click.option("--force", is_flag=True, help="Prepare it again even if the folder holds it already.")
def model(source, model_dir, force):
    """Prepare the model folder (weights, tokenizer, label config)."""
    from .model.archive import ArchiveError, prepare_model
    try:
        built = prepare_model(source, model_dir, force=force)
    except ArchiveError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"model {'written to' if built else 'up to date in'} {model_dir}")


@click.command()
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
@click.option("--name", "file_name", default=MODEL_NAME, show_default=True,
              help="The archive's file name (toxic-bert-candidate: a rollout's candidate version).")
@click.option("--workers", type=click.IntRange(1, 64),
              help="Workers of this version (default: the model config's); a candidate needs fewer.")
@click.option("--force", is_flag=True, help="Rebuild even if nothing changed.")
def archive(source, model_dir, export_dir, precision, version_, config_file, archive_format, file_name,
            workers, force):
    """Build the TorchServe archive, preparing the model and its precision check first if needed."""
    from .model.archive import ArchiveError, ArchiveRequest, build
    request = ArchiveRequest(model_dir, export_dir, precision, version_, config_file, archive_format,
                             file_name, workers)
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


@click.command()
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
    from .torchserve_process import CANDIDATE_ARCHIVE, archive_version
    if (stack.model_store / CANDIDATE_ARCHIVE).exists():
        click.echo(f"{'Candidate version:':23s}{archive_version(stack.model_store / CANDIDATE_ARCHIVE)} "
                   "(loading beside the primary; make rollout ROLLOUT=status)")
    click.echo("Stop with: make stop")


@click.command()
@_run_dir_option
def stop(run_dir):
    """Stop what `toxmon run` started."""
    from .stack import stop as stop_stack
    click.echo("stopped" if stop_stack(_stack(run_dir)) else "the stack was not running")


@click.command()
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


OPERATOR_COMMANDS = [model, archive, run, stop, status, *DELEGATED]
