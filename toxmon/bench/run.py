"""Side-by-side benchmark: naive baseline vs TorchServe stock vs this project's tuned serving.

    make bench                                   # bert-base-shaped model, 30 s per level
    toxmon bench --model-dir build/models/bench-base --duration 30

Every configuration serves the same model to the same texts, driven by the
same light load generator (toxmon/bench/loadgen.py) at each concurrency, in one run
on one machine; servers are started one after the other and always stopped.
Results: bench/results/<time>.json, latest.json, latest.md, latest.png.
"""

import argparse
import dataclasses
import datetime
import json
import shlex
import sys
from pathlib import Path

from precision import not_native_reason

from .. import torchserve_process
from ..checkout import root
from . import batching, bulk_scoring, hardware_limit, perspective, rollout, scenarios
from .accounting import PeakMemory, cpu_seconds
from .loadgen import run_load
from .publish import publish
from .report import machine_info, markdown, ratios, write_results
from .servers import build_archive, naive_server, served_precision, torchserve, torchserves, ui_in_front

ROOT = root()

CONFIGS = ("naive", "torchserve-stock", "tuned-torchserve", "tuned-ui", "scenarios", "rollout", "perspective",
           "bulk", "batching", "hardware-limit")
# The stages that run on the fastest native precision's tuned servers, after its levels.
ON_TUNED_SERVERS = ("perspective", "bulk", "batching", "rollout")
STOCK_CONFIG = ROOT / "bench" / "torchserve-stock.properties"


@dataclasses.dataclass(frozen=True)
class TunedServers:
    """The tuned stage's TorchServe (its predictions URL, ports and process group) and the UI in
    front of it (its API URL, process group and run directory)."""
    url: str
    ports: torchserve_process.Ports
    pid: int
    ui_url: str
    ui_pid: int
    ui_dir: Path


# --- measuring ------------------------------------------------------------------------
def measure(name: str, precision: str, url: str, pgids: list[int], texts: list[str], levels: list[int],
            duration: float, warmup: float, ui_pgid: int | None = None) -> list[dict]:
    """ui_pgid: the UI's process group among pgids, whose CPU per call is reported on its own."""
    run_load(url, texts, max(levels), warmup)  # warm caches and thread pools, not recorded
    runs = []
    for concurrency in levels:
        cpu_before = cpu_seconds(pgids)
        ui_before = cpu_seconds([ui_pgid]) if ui_pgid else 0.0
        with PeakMemory(pgids) as memory:
            result = run_load(url, texts, concurrency, duration)
        cpu_used = cpu_seconds(pgids) - cpu_before
        ui_used = cpu_seconds([ui_pgid]) - ui_before if ui_pgid else 0.0
        summary = result.summary()
        ok = summary["requests"] - summary["errors"]
        runs.append({"name": name, "precision": precision, **summary,
                     "cpu_s_per_request": round(cpu_used / ok, 4) if ok else None,
                     "peak_rss_mb": round(memory.peak, 1)})
        if ui_pgid and ok:
            runs[-1]["ui_cpu_ms_per_request"] = round(1000 * ui_used / ok, 2)
        print(f"  {name:17s} {precision:5s} c={concurrency:<3d} {summary['rps']:7.2f} req/s  p50 {summary['p50_ms']} ms  "
              f"p95 {summary['p95_ms']} ms  p99 {summary['p99_ms']} ms  errors {summary['errors']}", flush=True)
    return runs


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="toxmon bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=ROOT / "build" / "models" / "bench-base")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--precisions", default="fp32,bf16,int8",
                        help="precisions of the tuned configuration; those this CPU only emulates are skipped")
    parser.add_argument("--duration", type=float, default=30, help="seconds per concurrency level")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--rollout-levels", default="2,8,32", help="client counts of the rollout stage")
    parser.add_argument("--rollout-rounds", type=int, default=2,
                        help="rounds of primary-only and shadow, alternated, at each rollout level")
    parser.add_argument("--rollout-slower-candidate", action=argparse.BooleanOptionalAction, default=True,
                        help="also shadow an fp32 candidate behind an int8 primary (a server more)")
    parser.add_argument("--perspective-clients", type=int, default=32, help="clients of the Perspective stage")
    parser.add_argument("--perspective-rounds", type=int, default=3,
                        help="rounds of the Perspective stage's variants, alternated")
    parser.add_argument("--bulk-rows", type=int, default=20_000, help="rows of the bulk stage's file")
    parser.add_argument("--bulk-prefix-rows", type=int, default=2_000,
                        help="rows the sweep and the one-text client score (the file's beginning)")
    parser.add_argument("--bulk-sweep", default="8x4,16x4,16x6,16x8,32x4,64x2",
                        help="texts per call x calls in flight tried by the bulk stage's sweep")
    parser.add_argument("--batching-rounds", type=int, default=3,
                        help="rounds of the shipped and previous batching, alternated, at 8 and 32 clients")
    parser.add_argument("--batching-seconds", type=float, default=15, help="seconds per level of a batching round")
    parser.add_argument("--hardware-seconds", type=float, default=3.0,
                        help="seconds of matrix products per precision for the hardware limit")
    parser.add_argument("--texts", type=Path, default=ROOT / "bench" / "texts.json")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "build" / "bench")
    args = parser.parse_args(argv)
    for name in ("model_dir", "texts", "output_dir", "work_dir"):  # servers run in other directories
        setattr(args, name, getattr(args, name).resolve())
    args.configs = [c for c in args.configs.split(",") if c]
    unknown = set(args.configs) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown configs {sorted(unknown)}; choose from {', '.join(CONFIGS)}")
    args.levels = [int(c) for c in args.concurrency.split(",")]
    try:
        args.bulk_sweep = [tuple(int(n) for n in pair.split("x")) for pair in args.bulk_sweep.split(",") if pair]
    except ValueError:
        parser.error("--bulk-sweep takes pairs like 16x6 (texts per call x calls in flight)")
    if not (args.model_dir / "config.json").is_file():
        parser.error(f"{args.model_dir} has no model: `toxmon model --source bench-base` prepares one")
    return args


def native_precisions(asked: str) -> tuple[list[str], dict]:
    """The precisions this CPU runs natively, and why each other one is skipped."""
    precisions, skipped = [], {}
    for precision in (p for p in asked.split(",") if p):
        if reason := not_native_reason(precision):
            skipped[precision] = reason  # an emulated precision would serve ~1 text/s: not worth a run
            print(f"{precision}: {reason}", flush=True)
        else:
            precisions.append(precision)
    return precisions, skipped


def served_precision_of(precisions: list[str]) -> str | None:
    """The stages after the side-by-side comparison run on the fastest native precision."""
    return "int8" if "int8" in precisions else (precisions or [None])[0]


def run_side_by_side(args, precisions: list[str], texts: list[str]) -> tuple[list[dict], dict]:
    """The naive baseline, stock TorchServe, and this project's serving direct and through the UI;
    on the fastest precision's servers, the stages of ON_TUNED_SERVERS too."""
    runs, stages, configs, levels = [], {}, args.configs, args.levels
    if "naive" in configs:
        print("naive baseline (Flask + transformers pipeline)", flush=True)
        with naive_server(args.model_dir, args.work_dir / "naive") as (url, pgids):
            runs += measure("naive", "fp32", url, pgids, texts, levels, args.duration, args.warmup)
    if "torchserve-stock" in configs:
        print("TorchServe, stock settings", flush=True)
        stock_store = build_archive(args.model_dir, args.work_dir / "store-stock", "fp32", stock=True)
        with torchserve(stock_store, args.work_dir / "ts-stock", STOCK_CONFIG) as (url, _, pid):
            runs += measure("torchserve-stock", "fp32", url, [pid], texts, levels, args.duration, args.warmup)
    wanted = {"tuned-torchserve", "tuned-ui"} & set(configs)
    on_tuned = set(ON_TUNED_SERVERS) & set(configs)
    for precision in (p for p in precisions if wanted or (on_tuned and p == served_precision_of(precisions))):
        print(f"TorchServe, this project's configuration, {precision}", flush=True)
        store = build_archive(args.model_dir, args.work_dir / f"store-{precision}", precision)
        served_here = precision == served_precision_of(precisions)
        rollout_here = "rollout" in configs and served_here
        if rollout_here:
            rollout.add_candidate(args.model_dir, store, precision)
        servers = [(store, args.work_dir / f"ts-tuned-{precision}", None)]
        batching_here = "batching" in configs and served_here
        if batching_here:  # its second server starts with the tuned one, and idles until its stage
            servers.append((batching.previous_store(args, precision), args.work_dir / "ts-batching-previous", None))
        ui_dir = args.work_dir / f"ui-{precision}"
        with torchserves(servers) as started, ui_in_front(started[0][1], ui_dir) as (ui_url, ui_pid):
            url, ports, pid = started[0]
            if rollout_here:
                rollout.idle_candidate(ports)
            if (served := served_precision(url)) != precision:  # never report one precision as another
                raise RuntimeError(f"asked for {precision}, TorchServe serves {served}")
            direct, through_ui = [], []
            # Direct and through-the-UI alternate level by level, so the pair compared in the
            # UI/direct ratio is measured seconds apart, not minutes (shared machines drift).
            for level in levels:
                if "tuned-torchserve" in configs:
                    direct += measure("tuned-torchserve", precision, url, [pid], texts, [level],
                                      args.duration, args.warmup)
                if "tuned-ui" in configs:
                    through_ui += measure("tuned-ui", precision, ui_url, [pid, ui_pid], texts, [level],
                                          args.duration, args.warmup, ui_pgid=ui_pid)
            runs += direct + through_ui
            if served_here:
                previous = (started[1][0], started[1][2]) if batching_here else None
                tuned = TunedServers(url, ports, pid, ui_url, ui_pid, ui_dir)
                stages = run_on_tuned_servers(args, precision, texts, tuned, previous)
    return runs, stages


def run_on_tuned_servers(args, precision, texts, tuned: TunedServers, previous) -> dict:
    url, pid, ui_url, ui_pid = tuned.url, tuned.pid, tuned.ui_url, tuned.ui_pid
    stages = {}
    if "perspective" in args.configs:
        print(f"Perspective's API against the native one, {precision}", flush=True)
        stages["perspective"] = perspective.run(args, ui_url, (pid, ui_pid), texts, args.perspective_clients,
                                                args.perspective_rounds)
    if "bulk" in args.configs:
        print(f"Bulk scoring (toxmon score --file), {precision}", flush=True)
        stages["bulk"] = bulk_scoring.run(args, url, ui_url, texts)
    if "batching" in args.configs:
        print(f"Few clients: the shipped batching against the previous, alternated, {precision}", flush=True)
        stages["batching"] = batching.run(args, texts, (url, pid), previous)
    if "rollout" in args.configs:  # last: it loads a candidate beside the primary
        print(f"Shadow scoring's cost to the primary, {precision}", flush=True)
        stages["rollout"] = rollout.run_beside_primary(args, texts, tuned, rollout_levels(args), args.rollout_rounds)
    return stages


def rollout_levels(args) -> tuple[int, ...]:
    return tuple(int(c) for c in args.rollout_levels.split(","))


def shipped_batching() -> dict:
    from ..model.handler_files import shipped_model_config
    config = shipped_model_config()
    return {key: config[key] for key in ("batchSize", "maxBatchDelay", "minWorkers", "maxWorkers")}


def headline(report: dict) -> dict:
    """The figures of one run that say how close the service is to what it could be: bulk
    scoring against the service's best, few clients against many, the served precision against
    the hardware's limit, the UI against TorchServe direct."""
    out = {}
    bulk = report.get("bulk") or {}
    if bulk:
        out["bulk client texts/s"] = bulk["bulk_client"]["texts_per_s"]
        out["one-text client texts/s"] = bulk["one_text_client"]["texts_per_s"]
        out["service best at 32 clients, texts/s"] = bulk["service_best"]
        out.update(bulk["ratios"])
    out.update(report.get("batching_summary", {}).get("ratios", {}))
    by = {(r["name"], r["precision"], r["concurrency"]): r for r in report["runs"]}
    top = max((r["concurrency"] for r in report["runs"]), default=None)  # 32 in make bench
    for precision in ("int8", "bf16", "fp32"):
        direct, through_ui = by.get(("tuned-torchserve", precision, top)), by.get(("tuned-ui", precision, top))
        limit = report.get("hardware_limit", {}).get(f"texts_per_second_limit_{precision}")
        if direct and limit:
            out[f"tuned {precision} at {top} clients / hardware limit"] = round(direct["rps"] / limit, 2)
        if direct and through_ui:
            out[f"UI / direct, {precision} at {top} clients"] = round(through_ui["rps"] / direct["rps"], 2)
            if through_ui.get("ui_cpu_ms_per_request") is not None:
                out[f"UI CPU ms per call, {precision} at {top} clients"] = through_ui["ui_cpu_ms_per_request"]
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    texts = json.loads(args.texts.read_text())["texts"]
    model_config = json.loads((args.model_dir / "config.json").read_text())
    precisions, skipped = native_precisions(args.precisions)
    limits = {}
    if "hardware-limit" in args.configs:  # first, while no server takes the CPU
        print("The hardware's limit (matrix products, this model's work per text)", flush=True)
        limits = hardware_limit.limits(args.model_dir, texts, seconds=args.hardware_seconds)
    runs, stages = run_side_by_side(args, precisions, texts)
    perspective_rows, batching_rows = stages.get("perspective", []), stages.get("batching", [])
    # The handler's own stages, on the fastest native precision.
    precision = served_precision_of(precisions)
    scenario_rows = []
    if "scenarios" in args.configs and precision:
        print(f"Serving paths of this project's handler, {precision}", flush=True)
        scenario_rows = scenarios.run(args, precision, texts)
    rollout_rows = stages.get("rollout", [])
    if "rollout" in args.configs and args.rollout_slower_candidate and precision not in (None, "fp32"):
        print(f"Shadow scoring with a slower candidate (fp32 behind {precision})", flush=True)
        rollout_rows = rollout_rows + rollout.run_slower_candidate(args, precision, texts, rollout_levels(args))

    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    arguments = sys.argv[1:] if argv is None else argv
    report = {"created": created, "command": " ".join(["toxmon bench", *map(shlex.quote, arguments)]),
              "machine": machine_info(),
              "model": {"name": model_config.get("toxicity_monitor", {}).get("name", "unknown"),
                        "layers": model_config.get("num_hidden_layers"), "hidden": model_config.get("hidden_size")},
              "duration_s": args.duration, "texts": len(texts), "runs": runs, "skipped": skipped,
              "ratios": ratios(runs), "scenarios": scenario_rows,
              "scenario_ratios": scenarios.scenario_ratios(scenario_rows),
              "rollout": rollout_rows, "rollout_ratios": rollout.ratios(rollout_rows),
              "perspective": perspective_rows, "perspective_ratios": perspective.ratios(perspective_rows),
              "bulk": stages.get("bulk", {}), "batching": batching_rows,
              "batching_summary": batching.summary(batching_rows), "shipped_batching": shipped_batching(),
              "hardware_limit": limits}
    report["headline"] = headline(report)
    write_results(report, args.output_dir)
    if args.output_dir == (ROOT / "bench" / "results").resolve():  # the project's results, not a test's
        publish(markdown(report), ROOT / "docs" / "performance.md")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
