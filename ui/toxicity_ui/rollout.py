"""`toxmon rollout`: show and drive a rollout of a candidate model version.

    status            TorchServe's versions, the routing in force, and the agreement so far
    shadow            the candidate scores every call in the background; users see the primary
    canary PERCENT    the candidate answers PERCENT % of the clients (sticky per client)
    promote           the candidate becomes TorchServe's default version; routing back to primary
    abort             routing back to primary; the candidate stays loaded, unused
    samples           the texts the two versions disagreed on, newest first

It talks to TorchServe's management API (private: loopback in a local run, the service
network in containers) and writes the UI's routing file, which every UI worker follows
within a second. It lives in the UI package so the UI image runs it too
(`python -m toxicity_ui.rollout`, with the container's own settings).
"""

import json
import sys
import time

import click

from .config import Settings
from .disagreement_samples import DisagreementSamples, default_path
from .model_names import MODEL_NAME
from .rollout_counters import ui_agreement
from .routing import Routing, RoutingError, read_routing_file, write_routing_file
from .torchserve_management import Management, ManagementError
from .torchserve_ready import has_ready_worker, ready_workers


class RolloutError(click.ClickException):
    pass


class _Rollout(click.Group):
    """A management API that cannot be reached or refuses a call is one clear line, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ManagementError as error:
            raise RolloutError(str(error)) from None


def pick_candidate(management: Management, wanted: str | None) -> str:
    """The candidate: the version asked for, or the one registered version that is not the default."""
    default = management.default_version()
    versions = {str(item["modelVersion"]): item for item in management.versions()}
    if wanted is None:
        others = sorted(set(versions) - {default})
        if len(others) != 1:
            raise RolloutError(f"TorchServe serves {MODEL_NAME} versions {', '.join(sorted(versions))} "
                               f"(default {default}): name the candidate with --candidate"
                               if others else f"TorchServe serves only version {default}: no candidate "
                               "is loaded (docs/rollouts.md: build and load one)")
        wanted = others[0]
    if wanted not in versions:
        raise RolloutError(f"version {wanted} is not loaded; TorchServe serves {', '.join(sorted(versions))}")
    if wanted == default:
        raise RolloutError(f"version {wanted} is already the primary (TorchServe's default)")
    if not has_ready_worker(versions[wanted]):
        raise RolloutError(f"version {wanted} has no READY worker yet; try again when it has")
    return wanted


def _routing(path: str) -> Routing:
    try:
        return read_routing_file(path)
    except RoutingError as error:
        raise RolloutError(f"{error}: fix or remove the file") from None


def _write(path: str, routing: Routing) -> None:
    write_routing_file(path, routing, changed=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


# --- the command ---------------------------------------------------------------------------------
_management_option = click.option(
    "--management-url", envvar="TORCHSERVE_MANAGEMENT_URL", default=Settings.torchserve_management_url, show_default=True,
    help="TorchServe's management API (private; in containers run this inside the ui service).")
_routing_option = click.option(
    "--routing-file", envvar="ROUTING_FILE", default="build/run/rollout/routing.json", show_default=True,
    help="The UI's routing file (the UI's ROUTING_FILE).")
_candidate_option = click.option("--candidate", help="The candidate version (default: the one loaded "
                                                     "version that is not TorchServe's default).")


@click.group(cls=_Rollout, context_settings={"help_option_names": ["-h", "--help"]})
def rollout():
    """Roll a candidate model version out: shadow, canary, promote or abort (docs/rollouts.md)."""


@rollout.command()
@_management_option
@_routing_option
@click.option("--ui-url", envvar="TOXMON_URL", default="http://127.0.0.1:5000", show_default=True,
              help="The UI, for its agreement counters.")
def status(management_url, routing_file, ui_url):
    """The versions TorchServe serves, the routing in force and the agreement so far."""
    management = Management(management_url)
    default = management.default_version()
    routing = _routing(routing_file)
    click.echo(f"routing: {routing.mode}" + (f" {routing.canary_percent:g} %" if routing.mode == "canary" else "")
               + (f", candidate {routing.candidate}" if routing.mode != "primary" else "") + f" ({routing_file})")
    for item in management.versions():
        version = str(item["modelVersion"])
        workers = item.get("workers", [])
        ready = ready_workers(item)
        role = "primary (default)" if version == default else \
            ("candidate" if version == routing.candidate else "loaded, unused")
        click.echo(f"version {version}: {role}, {ready}/{len(workers)} workers READY, "
                   f"{item.get('jobQueueStatus', {}).get('pendingRequests', 0)} pending")
    summary = ui_agreement(ui_url)
    if summary is None:
        click.echo(f"agreement: the UI at {ui_url} cannot be read")
        return
    comparisons = summary["comparisons"]
    compared = comparisons.get("agree", 0) + comparisons.get("disagree", 0)
    rate = f"{comparisons.get('disagree', 0) / compared:.1%}" if compared else "-"
    click.echo(f"compared texts: {compared} (disagree {comparisons.get('disagree', 0)}, {rate}); "
               f"not compared: failed {comparisons.get('failed', 0)}, dropped {comparisons.get('dropped', 0)}")
    for key, count in sorted(summary["disagreements"].items()):
        click.echo(f"  disagreements {key}: {count}")
    for key, count in sorted(summary["calls"].items()):
        click.echo(f"  calls to version {key}: {count}")


@rollout.command()
@_management_option
@_routing_option
@_candidate_option
def shadow(management_url, routing_file, candidate):
    """Score every call with the candidate too, in the background; users see the primary's answers."""
    version = pick_candidate(Management(management_url), candidate)
    _write(routing_file, Routing("shadow", version))
    click.echo(f"shadow: version {version} scores every call in the background; the UI follows within a second")


@rollout.command()
@click.argument("percent", type=click.FloatRange(0, 100))
@_management_option
@_routing_option
@_candidate_option
def canary(percent, management_url, routing_file, candidate):
    """Let the candidate answer PERCENT % of the clients (the same clients as long as it runs)."""
    version = pick_candidate(Management(management_url), candidate)
    _write(routing_file, Routing("canary", version, percent))
    click.echo(f"canary: version {version} answers {percent:g} % of the clients")


@rollout.command()
@_management_option
@_routing_option
@_candidate_option
def promote(management_url, routing_file, candidate):
    """Make the candidate TorchServe's default version; every call goes to it."""
    management = Management(management_url)
    wanted = candidate or _routing(routing_file).candidate
    version = pick_candidate(management, wanted)
    previous = management.default_version()
    management.set_default(version)
    _write(routing_file, Routing())
    click.echo(f"promoted: version {version} is the primary (was {previous}). It stays the default until "
               "TorchServe restarts: make it the primary archive to keep it (docs/rollouts.md)")


@rollout.command()
@_routing_option
def abort(routing_file):
    """Send every call back to the primary; the candidate stays loaded but unused."""
    was = _routing(routing_file)
    _write(routing_file, Routing())
    click.echo(f"aborted: every call goes to the primary again (was {was.mode}"
               + (f", candidate {was.candidate})" if was.candidate else ")"))


@rollout.command()
@_routing_option
@click.option("--samples-file", envvar="ROLLOUT_SAMPLES_FILE",
              help="The UI's ROLLOUT_SAMPLES_FILE (default: disagreements.sqlite next to the routing file).")
@click.option("--retention-hours", envvar="ROLLOUT_SAMPLE_RETENTION_HOURS", type=float, show_default=True,
              default=Settings.rollout_sample_retention_hours,
              help="Show nothing older (the UI's ROLLOUT_SAMPLE_RETENTION_HOURS).")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def samples(routing_file, samples_file, retention_hours, limit, as_json):
    """Texts the versions disagreed on (kept for the retention the UI was given), newest first."""
    path = samples_file or default_path(routing_file)
    store = DisagreementSamples(path, retention_hours=retention_hours)
    rows = store.recent(limit)
    if not rows:
        click.echo(f"no disagreements kept in {path}", err=True)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row))
            continue
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(row["at"]))
        labels = ", ".join(f"{label} {direction} ({row['primary_scores'][label]:.3f} -> "
                           f"{row['candidate_scores'][label]:.3f})" for label, direction in row["labels"].items())
        click.echo(f"{when} {row['mode']} {row['primary_version']} vs {row['candidate_version']}: {labels}\n"
                   f"    {row['text'][:200]!r}")


if __name__ == "__main__":
    sys.exit(rollout())
