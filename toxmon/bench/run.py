"""Side-by-side benchmark: naive baseline vs TorchServe stock vs this project's tuned serving.

    make bench                                   # bert-base-shaped model, 30 s per level
    toxmon bench --model-dir build/models/bench-base --duration 30

Every configuration serves the same model to the same texts, driven by the
same light load generator (toxmon/bench/loadgen.py) at each concurrency, in one run
on one machine; servers are started one after the other and always stopped.
Results: bench/results/<time>.json, latest.json, latest.md, latest.png.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import yaml
from precision import flags_that_matter, not_native_reason

from .. import torchserve_process
from ..model import archive, ui_process
from ..checkout import root
from ..ports import free_port
from . import rollout, scenarios
from .loadgen import run_load
from .publish import publish

ROOT = root()

CONFIGS = ("naive", "torchserve-stock", "tuned-torchserve", "tuned-ui", "scenarios", "rollout")
STOCK_CONFIG = ROOT / "bench" / "torchserve-stock.properties"


# --- resource accounting over process groups ---------------------------------------
def group_pids(pgids: list[int]) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in pgids:
            pids.append(int(stat.parent.name))
    return pids


def cpu_seconds(pgids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in group_pids(pgids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        except OSError:
            pass
    return total


def rss_mb(pgids: list[int]) -> float:
    total = 0
    for pid in group_pids(pgids):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class PeakMemory:
    """Samples the servers' resident memory while a load level runs."""

    def __init__(self, pgids):
        self.pgids, self.peak, self._stop = pgids, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pgids))
            self._stop.wait(0.25)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# --- servers --------------------------------------------------------------------------
def wait_for_prediction(url: str, timeout: float, process: subprocess.Popen) -> None:
    body = json.dumps({"text": "warm up"}).encode()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with code {process.returncode}")
        try:
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not answering after {timeout:.0f} s")


def served_precision(url: str) -> str:
    request = urllib.request.Request(url, data=json.dumps({"text": "which precision?"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)["model"]["precision"]


@contextlib.contextmanager
def naive_server(model_dir: Path, run_dir: Path):
    port = free_port()
    run_dir.mkdir(parents=True, exist_ok=True)
    log = open(run_dir / "naive.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "toxmon.bench.naive_server", str(model_dir), str(port)],
                               cwd=run_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        url = f"http://127.0.0.1:{port}/predict"
        wait_for_prediction(url, 300, process)
        yield url, [process.pid]
    finally:
        torchserve_process.stop(process)


@contextlib.contextmanager
def torchserve(model_store: Path, run_dir: Path, config: Path | None):
    ports = torchserve_process.Ports(*(free_port() for _ in range(5)))
    process = torchserve_process.start(run_dir, model_store, ports, config=config)
    try:
        torchserve_process.wait_ready(ports.urls()["management"], 300, process,
                                      run_dir.resolve() / "logs" / "console.log")
        url = f"{ports.urls()['inference']}/predictions/{torchserve_process.MODEL_NAME}"
        wait_for_prediction(url, 60, process)
        yield url, ports, process.pid
    finally:
        torchserve_process.stop(process)


@contextlib.contextmanager
def ui_in_front(ts_ports, run_dir: Path):
    port = free_port()
    process = ui_process.start(run_dir, ts_ports, port)
    try:
        base = f"http://127.0.0.1:{port}"
        ui_process.wait_healthy(base, 60, process)
        wait_for_prediction(f"{base}/api/v1/toxicity", 60, process)
        yield f"{base}/api/v1/toxicity", process.pid
    finally:
        torchserve_process.stop(process)


# --- measuring ------------------------------------------------------------------------
def measure(name: str, precision: str, url: str, pgids: list[int], texts: list[str], levels: list[int],
            duration: float, warmup: float) -> list[dict]:
    run_load(url, texts, max(levels), warmup)  # warm caches and thread pools, not recorded
    runs = []
    for concurrency in levels:
        cpu_before = cpu_seconds(pgids)
        with PeakMemory(pgids) as memory:
            result = run_load(url, texts, concurrency, duration)
        cpu_used = cpu_seconds(pgids) - cpu_before
        summary = result.summary()
        ok = summary["requests"] - summary["errors"]
        runs.append({"name": name, "precision": precision, **summary,
                     "cpu_s_per_request": round(cpu_used / ok, 4) if ok else None,
                     "peak_rss_mb": round(memory.peak, 1)})
        print(f"  {name:17s} {precision:5s} c={concurrency:<3d} {summary['rps']:7.2f} req/s  p50 {summary['p50_ms']} ms  "
              f"p95 {summary['p95_ms']} ms  p99 {summary['p99_ms']} ms  errors {summary['errors']}", flush=True)
    return runs


def machine_info() -> dict:
    import torch
    import transformers
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal")))
    versions = {"python": platform.python_version(), "torch": torch.__version__,
                "transformers": transformers.__version__}
    for package in ("torchserve", "onnxruntime"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version
            versions[package] = version(package)
    return {"cpu": cpu, "cpu_flags": flags_that_matter(), "cores": os.cpu_count(),
            "memory_gib": round(memory_kb / 2**20, 1),
            "kernel": platform.release(), "versions": versions}


def build_archive(model_dir: Path, store: Path, precision: str, stock: bool = False,
                  config: Path | None = None) -> Path:
    """The archive as `toxmon archive` builds it; `stock` keeps only the handler's settings,
    so TorchServe serves it with its defaults (one worker per core, no batching); `config`
    replaces the shipped model-config.yaml."""
    if archive.needs_precision_files(precision):
        archive.prepare_precision_files(model_dir)
    if stock:
        shipped = yaml.safe_load((ROOT / "handler" / "model-config.yaml").read_text())
        config = store.parent / f"{store.name}-model-config.yaml"
        store.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(yaml.safe_dump({"handler": shipped["handler"]}))
    archive.build_archive(archive.ArchiveRequest(model_dir, store, precision, config_file=config))
    return store


def ratios(runs: list[dict]) -> dict:
    """Throughput ratios at equal concurrency: tuned vs the baselines, UI vs TorchServe direct."""
    by = {(r["name"], r["precision"], r["concurrency"]): r["rps"] for r in runs}
    out = {}
    for (name, precision, concurrency), rps in by.items():
        if not name.startswith("tuned"):
            continue
        for base in ("naive", "torchserve-stock"):
            if by.get((base, "fp32", concurrency)):
                out[f"{name} {precision} / {base} @ c={concurrency}"] = round(rps / by[(base, "fp32", concurrency)], 2)
        direct = by.get(("tuned-torchserve", precision, concurrency))
        if name == "tuned-ui" and direct:
            out[f"tuned-ui {precision} / tuned-torchserve {precision} @ c={concurrency}"] = round(rps / direct, 2)
    return out


def markdown(report: dict) -> str:
    machine = report["machine"]
    lines = [f"Benchmark of {report['created']} on {machine['cpu']} ({machine['cores']} cores; "
             f"flags: {', '.join(machine.get('cpu_flags') or ['none of note'])}), "
             f"model `{report['model']['name']}`, {report['duration_s']:g} s per level.", "",
             f"Command: `{report['command']}`", "",
             "| configuration | precision | concurrency | req/s | p50 ms | p95 ms | p99 ms | errors | CPU s/req | peak MB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report["runs"]:
        lines.append(f"| {r['name']} | {r['precision']} | {r['concurrency']} | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} | "
                     f"{r['p99_ms']} | {r['errors']} | {r['cpu_s_per_request']} | {r['peak_rss_mb']} |")
    for precision, reason in report.get("skipped", {}).items():
        lines += ["", f"{precision}: {reason}."]
    if report["ratios"]:
        lines += ["", "| ratio | value |", "|---|---:|"]
        lines += [f"| {name} | {value} |" for name, value in sorted(report["ratios"].items())]
    if report.get("scenarios"):
        lines += scenarios.markdown(report["scenarios"], report["scenario_ratios"])
    if report.get("rollout"):
        lines += rollout.markdown(report["rollout"], report["rollout_ratios"])
    return "\n".join(lines) + "\n"


def chart(report: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(dict.fromkeys(f"{r['name']} {r['precision']}" for r in report["runs"]))
    levels = sorted({r["concurrency"] for r in report["runs"]})
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        rows = {r["concurrency"]: r for r in report["runs"] if f"{r['name']} {r['precision']}" == name}
        xs = [j + i * width for j in range(len(levels))]
        left.bar(xs, [rows.get(c, {}).get("rps") or 0 for c in levels], width, label=name)
        right.bar(xs, [rows.get(c, {}).get("p95_ms") or 0 for c in levels], width, label=name)
    for axis, title in ((left, "Throughput (requests/s, higher is better)"), (right, "p95 latency (ms, lower is better)")):
        axis.set_xticks([j + width * (len(names) - 1) / 2 for j in range(len(levels))])
        axis.set_xticklabels([f"{c} concurrent" for c in levels])
        axis.set_title(title)
        axis.grid(axis="y", alpha=0.3)
    left.legend()
    figure.suptitle(f"{report['model']['name']} on {report['machine']['cores']} cores — {report['created']}")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def run_scenarios(args, precision: str, texts: list[str]) -> list[dict]:
    """The figures of scenarios.py: three archives of one model, differing in one setting each."""
    work = args.work_dir
    shipped = build_archive(args.model_dir, work / f"store-{precision}", precision)
    padded = build_archive(args.model_dir, work / "store-padded", precision,
                           config=scenarios.config_with({"handler": {"length_grouping": False}},
                                                        work / "padded-model-config.yaml"))
    previous = build_archive(args.model_dir, work / "store-previous", precision,
                             config=scenarios.config_with(scenarios.PREVIOUS_BATCHING,
                                                          work / "previous-model-config.yaml"))
    mixed = scenarios.mixed_texts(texts)
    duration, rows = args.duration, []

    def measure(name, url, pid, sample, concurrency, per_call=1, options=None):
        rows.append(scenarios.measure_texts(name, url, [pid], sample, concurrency, per_call, duration, cpu_seconds,
                                            options))

    with torchserve(shipped, work / "ts-scenarios-shipped", None) as (url, ports, pid), \
            ui_in_front(ports, work / "ui-scenarios") as (ui_url, ui_pid):
        run_load(url, mixed, 32, args.warmup)
        # Through the UI, as users call it; CPU of TorchServe and the UI together.
        for name, concurrency, per_call in (("single calls via the UI, 32 clients", 32, 1),
                                            ("batch call x16 via the UI, 2 clients", 2, 16),
                                            ("batch call x16 via the UI, 4 clients", 4, 16)):
            rows.append(scenarios.measure_texts(name, ui_url, [pid, ui_pid], texts, concurrency, per_call,
                                                duration, cpu_seconds))
        measure("mixed, grouped", url, pid, mixed, 32)
        measure("short, grouped", url, pid, texts, 32)
        measure("8 clients, shipped", url, pid, texts, 8)
        measure("32 clients, shipped", url, pid, texts, 32)
        long = scenarios.long_texts(texts)
        measure("short, explained", url, pid, texts, 8, options=scenarios.EXPLAIN_EVERY_LABEL)
        measure("5,000 characters", url, pid, long, 8)
        measure("5,000 characters, explained", url, pid, long, 8, options=scenarios.EXPLAIN_EVERY_LABEL)
    with torchserve(padded, work / "ts-scenarios-padded", None) as (url, _, pid):
        run_load(url, mixed, 32, args.warmup)
        measure("mixed, padded", url, pid, mixed, 32)
        measure("short, padded", url, pid, texts, 32)
    with torchserve(previous, work / "ts-scenarios-previous", None) as (url, _, pid):
        run_load(url, texts, 32, args.warmup)
        measure("8 clients, previous", url, pid, texts, 8)
        measure("32 clients, previous", url, pid, texts, 32)
    return rows


def main(argv=None) -> int:
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
    parser.add_argument("--texts", type=Path, default=ROOT / "bench" / "texts.json")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "build" / "bench")
    args = parser.parse_args(argv)
    for name in ("model_dir", "texts", "output_dir", "work_dir"):  # servers run in other directories
        setattr(args, name, getattr(args, name).resolve())
    configs = [c for c in args.configs.split(",") if c]
    unknown = set(configs) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown configs {sorted(unknown)}; choose from {', '.join(CONFIGS)}")
    levels = [int(c) for c in args.concurrency.split(",")]
    texts = json.loads(args.texts.read_text())["texts"]
    if not (args.model_dir / "config.json").is_file():
        parser.error(f"{args.model_dir} has no model: `toxmon model --source bench-base` prepares one")
    model_config = json.loads((args.model_dir / "config.json").read_text())
    stock_store = build_archive(args.model_dir, args.work_dir / "store-stock", "fp32", stock=True)

    precisions, skipped = [], {}
    for precision in (p for p in args.precisions.split(",") if p):
        if reason := not_native_reason(precision):
            skipped[precision] = reason  # an emulated precision would serve ~1 text/s: not worth a run
            print(f"{precision}: {reason}", flush=True)
        else:
            precisions.append(precision)

    runs = []
    if "naive" in configs:
        print("naive baseline (Flask + transformers pipeline)", flush=True)
        with naive_server(args.model_dir, args.work_dir / "naive") as (url, pgids):
            runs += measure("naive", "fp32", url, pgids, texts, levels, args.duration, args.warmup)
    if "torchserve-stock" in configs:
        print("TorchServe, stock settings", flush=True)
        with torchserve(stock_store, args.work_dir / "ts-stock", STOCK_CONFIG) as (url, _, pid):
            runs += measure("torchserve-stock", "fp32", url, [pid], texts, levels, args.duration, args.warmup)
    for precision in (p for p in precisions if {"tuned-torchserve", "tuned-ui"} & set(configs)):
        print(f"TorchServe, this project's configuration, {precision}", flush=True)
        store = build_archive(args.model_dir, args.work_dir / f"store-{precision}", precision)
        with torchserve(store, args.work_dir / f"ts-tuned-{precision}", None) as (url, ports, pid), \
                ui_in_front(ports, args.work_dir / f"ui-{precision}") as (ui_url, ui_pid):
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
                                          args.duration, args.warmup)
            runs += direct + through_ui

    scenario_rows = []
    if "scenarios" in configs and precisions:
        precision = "int8" if "int8" in precisions else precisions[0]
        print(f"Serving paths of this project's handler, {precision}", flush=True)
        scenario_rows = run_scenarios(args, precision, texts)

    rollout_rows = []
    if "rollout" in configs and precisions:
        precision = "int8" if "int8" in precisions else precisions[0]
        print(f"Shadow scoring's cost to the primary, {precision}", flush=True)
        rollout_rows = rollout.run(args, precision, texts, torchserve, ui_in_front, cpu_seconds,
                                   levels=tuple(int(c) for c in args.rollout_levels.split(",")),
                                   rounds=args.rollout_rounds, slower_candidate=args.rollout_slower_candidate)

    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    arguments = sys.argv[1:] if argv is None else argv
    report = {"created": created, "command": " ".join(["toxmon bench", *map(shlex.quote, arguments)]),
              "machine": machine_info(),
              "model": {"name": model_config.get("toxicity_monitor", {}).get("name", "unknown"),
                        "layers": model_config.get("num_hidden_layers"), "hidden": model_config.get("hidden_size")},
              "duration_s": args.duration, "texts": len(texts), "runs": runs, "skipped": skipped,
              "ratios": ratios(runs), "scenarios": scenario_rows,
              "scenario_ratios": scenarios.scenario_ratios(scenario_rows),
              "rollout": rollout_rows, "rollout_ratios": rollout.ratios(rollout_rows)}
    args.output_dir.mkdir(parents=True, exist_ok=True)
    stamp = created.replace(":", "").replace("-", "")
    for path in (args.output_dir / f"{stamp}.json", args.output_dir / "latest.json"):
        path.write_text(json.dumps(report, indent=2) + "\n")
    (args.output_dir / "latest.md").write_text(markdown(report))
    chart(report, args.output_dir / "latest.png")
    if args.output_dir == (ROOT / "bench" / "results").resolve():  # the project's results, not a test's
        publish(markdown(report), ROOT / "docs" / "performance.md")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
