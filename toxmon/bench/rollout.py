"""What shadow scoring costs the users of the primary, side by side.

On the tuned stage's servers (run.py), a candidate of the same model (version 2.0, one
worker) is loaded beside the primary (1.0), and one UI answers every call. Round by round,
with the same load generator and texts, the UI's routing is switched between primary-only
and shadow (every call scored again by the candidate in the background), so each pair is
measured seconds apart. Then two candidates that misbehave: one without workers (every
comparison fails), and a slower one (fp32 where the primary is int8, its own TorchServe).

What the user sees is measured: texts/s, p50/p95 latency and errors of the UI's answers,
plus what happened to the comparisons (compared, dropped by the bounded queue, failed).
"""

import time


from toxicity_ui.rollout_counters import ui_agreement
from toxicity_ui.torchserve_management import Management
from toxicity_ui.routing import Routing, write_routing_file

from .. import torchserve_process
from ..model import archive
from .scenarios import measure_texts
from .servers import torchserve, ui_in_front

CANDIDATE_VERSION = "2.0"
OUTCOMES = ("agree", "disagree", "failed", "dropped")


def build_store(model_dir, store, precision: str, candidate_precision: str):
    """The primary and a candidate of the same model in one store, as `make candidate` builds it."""
    if archive.needs_precision_files(precision) or archive.needs_precision_files(candidate_precision):
        archive.prepare_precision_files(model_dir)
    archive.build_archive(archive.ArchiveRequest(model_dir, store, precision))
    add_candidate(model_dir, store, candidate_precision)
    return store


def comparisons(ui_base: str) -> dict:
    """The UI's comparison counters by outcome, and "queued": comparisons not yet done."""
    summary = ui_agreement(ui_base)
    if summary is None:
        raise RuntimeError(f"the UI's metrics at {ui_base} cannot be read")
    return {**dict.fromkeys(OUTCOMES, 0), **summary["comparisons"], "queued": summary["queued"]}


def wait_queue_empty(ui_base: str, timeout: float = 180) -> None:
    """Comparisons left over from a shadow run would load the next run's candidate."""
    deadline = time.monotonic() + timeout
    while comparisons(ui_base)["queued"] and time.monotonic() < deadline:
        time.sleep(0.5)


class Measured:
    """Runs one load at a routing and records the row, with the comparisons it caused."""

    def __init__(self, ui_url: str, routing_file, pgids, texts, duration):
        self.ui_url, self.routing_file, self.pgids = ui_url, routing_file, pgids
        self.texts, self.duration = texts, duration
        self.base = ui_url.rsplit("/api/", 1)[0]
        self.rows = []

    def run(self, name: str, routing: Routing, concurrency: int) -> dict:
        write_routing_file(str(self.routing_file), routing)
        time.sleep(1.5)  # every UI worker re-reads the routing file within a second
        wait_queue_empty(self.base)
        before = comparisons(self.base)
        row = measure_texts(name, self.ui_url, self.pgids, self.texts, concurrency, 1, self.duration)
        time.sleep(0.5)  # comparisons still in the queue finish (or not) on the candidate's time
        after = comparisons(self.base)
        row.update(routing=routing.mode, **{f"compared_{k}": after[k] - before[k] for k in OUTCOMES})
        self.rows.append(row)
        return row


def add_candidate(model_dir, store, precision: str) -> None:
    """The candidate's archive (version 2.0, one worker) in `store`, which a TorchServe started
    on it loads beside the primary (the tuned stage then takes its worker away: idle_candidate)."""
    archive.build_archive(archive.ArchiveRequest(model_dir, store, precision, version=CANDIDATE_VERSION,
                                                 file_name=archive.CANDIDATE_FILE_NAME, workers=1))


def idle_candidate(ports) -> None:
    """No candidate worker while the tuned stage measures the primary alone (its CPU and memory)."""
    Management(ports.urls()["management"]).scale_workers(CANDIDATE_VERSION, 0)


def run_beside_primary(args, texts: list[str], tuned, levels=(2, 8, 32), rounds: int = 2) -> list[dict]:
    """tuned: the tuned stage's running servers (run.TunedServers), whose TorchServe holds the
    candidate of add_candidate without workers: it gets its one worker back (TorchServe's
    model-registering API is off, as shipped), so no server of its own is started."""
    management = Management(tuned.ports.urls()["management"])
    management.scale_workers(CANDIDATE_VERSION, 1, timeout=300)
    torchserve_process.wait_ready(tuned.ports.urls()["management"], 300, version=CANDIDATE_VERSION)
    shadow = Routing("shadow", CANDIDATE_VERSION)
    measured = Measured(tuned.ui_url, tuned.ui_dir / "rollout" / "routing.json", [tuned.pid, tuned.ui_pid],
                        texts, args.duration)
    measured.run("warm-up", shadow, max(levels))
    measured.rows.clear()
    for round_ in range(1, rounds + 1):
        for level in levels:
            measured.run(f"primary only, {level} clients, round {round_}", Routing(), level)
            measured.run(f"shadow, {level} clients, round {round_}", shadow, level)
    # A candidate that fails every call: no worker left (TorchServe answers 503 at once).
    management.scale_workers(CANDIDATE_VERSION, 0)
    for level in sorted({min(levels), max(levels)}):
        measured.run(f"shadow, failing candidate, {level} clients", shadow, level)
    return measured.rows


def run_slower_candidate(args, precision: str, texts: list[str], levels=(2, 8, 32)) -> list[dict]:
    """An fp32 candidate behind an int8 primary: a TorchServe and UI of their own, since the
    candidate's slowness must not be the tuned servers' after their stage."""
    work = args.work_dir
    shadow = Routing("shadow", CANDIDATE_VERSION)
    slow_store = build_store(args.model_dir, work / "store-rollout-slow", precision, "fp32")
    with torchserve(slow_store, work / "ts-rollout-slow", None) as (url, ports, pid), \
            ui_in_front(ports, work / "ui-rollout-slow") as (ui_url, ui_pid):
        torchserve_process.wait_ready(ports.urls()["management"], 300, version=CANDIDATE_VERSION)
        measured = Measured(ui_url, work / "ui-rollout-slow" / "rollout" / "routing.json", [pid, ui_pid],
                            texts, args.duration)
        measured.run("warm-up", Routing(), max(levels))
        measured.rows.clear()
        for level in sorted({min(levels), max(levels)}):
            measured.run(f"primary only, slow-candidate server, {level} clients", Routing(), level)
            measured.run(f"shadow, slower candidate (fp32), {level} clients", shadow, level)
        return measured.rows


def ratios(rows: list[dict]) -> dict:
    """Shadow against primary-only per level, averaged over the rounds; and the misbehaving candidates."""
    out = {}
    levels = sorted({row["concurrency"] for row in rows if row["scenario"].startswith("primary only, ")
                     and "round" in row["scenario"]})
    for level in levels:
        def mean(mode, key):
            values = [row[key] for row in rows if row["scenario"].startswith(f"{mode}, {level} clients, round")
                      and row.get(key)]
            return sum(values) / len(values) if values else None
        for key, label in (("texts_per_s", "texts/s"), ("p50_ms", "p50"), ("p95_ms", "p95")):
            shadow, primary = mean("shadow", key), mean("primary only", key)
            if shadow and primary:
                out[f"shadow / primary only, {level} clients ({label})"] = round(shadow / primary, 2)
    by = {row["scenario"]: row for row in rows}
    for level in levels:
        baseline = [row for row in rows if row["scenario"].startswith(f"primary only, {level} clients, round")]
        failing = by.get(f"shadow, failing candidate, {level} clients")
        if failing and baseline:
            out[f"failing candidate / primary only, {level} clients (p95)"] = round(
                failing["p95_ms"] / (sum(r["p95_ms"] for r in baseline) / len(baseline)), 2)
        slow, slow_base = by.get(f"shadow, slower candidate (fp32), {level} clients"), \
            by.get(f"primary only, slow-candidate server, {level} clients")
        if slow and slow_base:
            out[f"slower candidate / primary only, {level} clients (texts/s)"] = round(
                slow["texts_per_s"] / slow_base["texts_per_s"], 2)
            out[f"slower candidate / primary only, {level} clients (p95)"] = round(
                slow["p95_ms"] / slow_base["p95_ms"], 2)
    return out


def markdown(rows: list[dict], ratios_: dict) -> list[str]:
    lines = ["", "Shadow scoring's cost to the primary (same TorchServe and UI, routing switched round by round):", "",
             "| scenario | texts/s | p50 ms | p95 ms | errors | compared | dropped | failed |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['scenario']} | {r['texts_per_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['errors']} | "
              f"{r['compared_agree'] + r['compared_disagree']} | {r['compared_dropped']} | {r['compared_failed']} |"
              for r in rows]
    if ratios_:
        lines += ["", "| ratio | value |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in ratios_.items()]
    return lines
