"""Bulk scoring: `toxmon score --file` against the service's best, on one TorchServe and one UI.

Run by `toxmon bench` on the fastest native precision's tuned servers, in this order:

1. the service's best at 32 clients: one-text calls from the load generator, straight to
   TorchServe and through the UI (the better of the two);
2. the sizing sweep: the bulk client on a prefix of the file at several (texts per call,
   calls in flight), which is how its defaults were chosen;
3. the one-text client (`ApiScorer`, 4 calls in flight: what `toxmon score` was
   before bulk scoring) on a prefix of the file;
4. the bulk client with its defaults on the whole file (20,000 rows), as a user runs it
   (`toxmon score --file ... --output ...`, a process of its own; its peak memory too);
5. the service's best again, so the ratio's denominator brackets the bulk run in time.
"""

import csv
import subprocess
import sys
import time
from pathlib import Path

from .. import bulk
from ..api_client import ApiScorer
from .accounting import PeakMemory
from .loadgen import run_load

TOXMON = str(Path(sys.executable).parent / "toxmon")


def write_file(texts: list[str], rows: int, path: Path) -> Path:
    """rows comments (the benchmark's texts in turn), as a Jigsaw-style CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "comment_text"])
        for n in range(rows):
            writer.writerow([n + 1, texts[n % len(texts)]])
    return path


def bulk_client(ui_api_url: str, path: Path, rows: int, texts_per_call: int, in_flight: int,
                output: Path) -> dict:
    """The console script over the file; texts/s from its wall time, its own peak memory."""
    base = ui_api_url.rsplit("/api/", 1)[0]
    command = [TOXMON, "score", "--url", base, "--file", str(path), "--format", "csv", "--output", str(output),
               "--batch-size", str(texts_per_call), "--concurrency", str(in_flight), "--progress-every", "30"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    with PeakMemory([process.pid]) as memory:
        _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    with open(output, newline="", encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    errors = sum(1 for row in written if row["error"])
    if process.returncode not in (0, 1) or len(written) != rows:
        raise RuntimeError(f"toxmon score wrote {len(written)} of {rows} rows (exit {process.returncode}): {stderr[-800:]}")
    return {"texts_per_s": round((rows - errors) / seconds, 2), "seconds": round(seconds, 1), "rows": rows,
            "errors": errors, "peak_rss_mb": round(memory.peak, 1), "stderr_tail": stderr.splitlines()[-6:]}


def one_text_client(ui_api_url: str, texts: list[str], concurrency: int = 4) -> dict:
    scorer = ApiScorer(ui_api_url.rsplit("/api/", 1)[0], concurrency=concurrency)
    started = time.perf_counter()
    outcomes = scorer.score_all(texts)
    seconds = time.perf_counter() - started
    errors = sum(1 for outcome in outcomes if not isinstance(outcome, dict))
    return {"texts_per_s": round((len(texts) - errors) / seconds, 2), "seconds": round(seconds, 1),
            "rows": len(texts), "errors": errors}


def service_best(direct_url: str, ui_api_url: str, texts: list[str], duration: float) -> dict:
    direct = run_load(direct_url, texts, 32, duration).summary()["rps"]
    through_ui = run_load(ui_api_url, texts, 32, duration).summary()["rps"]
    return {"direct": direct, "ui": through_ui, "best": max(direct, through_ui)}


def _print(name: str, row: dict) -> None:
    print(f"  {name:44s} {row['texts_per_s']:8.2f} texts/s  {row['rows']} rows in {row['seconds']} s  "
          f"errors {row['errors']}" + (f"  client peak {row['peak_rss_mb']} MB" if "peak_rss_mb" in row else ""),
          flush=True)


def run(args, direct_url: str, ui_api_url: str, texts: list[str]) -> dict:
    work = args.work_dir / "bulk"
    path = write_file(texts, args.bulk_rows, work / "comments.csv")
    prefix_rows = min(args.bulk_prefix_rows, args.bulk_rows)
    prefix = write_file(texts, prefix_rows, work / "prefix.csv")
    before = service_best(direct_url, ui_api_url, texts, args.duration)
    print(f"  service at 32 clients: direct {before['direct']}, UI {before['ui']} req/s", flush=True)
    sweep = []
    for texts_per_call, in_flight in args.bulk_sweep:
        row = bulk_client(ui_api_url, prefix, prefix_rows, texts_per_call, in_flight, work / "sweep.csv")
        sweep.append({"texts_per_call": texts_per_call, "in_flight": in_flight, **row})
        _print(f"bulk client x{texts_per_call}, {in_flight} in flight, prefix", row)
    old = one_text_client(ui_api_url, [texts[n % len(texts)] for n in range(prefix_rows)])
    _print("one-text client (before bulk), 4 in flight, prefix", old)
    new = bulk_client(ui_api_url, path, args.bulk_rows, bulk.DEFAULT_TEXTS_PER_CALL, bulk.DEFAULT_IN_FLIGHT,
                      work / "scores.csv")
    _print(f"bulk client (defaults x{bulk.DEFAULT_TEXTS_PER_CALL}, {bulk.DEFAULT_IN_FLIGHT} in flight), whole file", new)
    after = service_best(direct_url, ui_api_url, texts, args.duration)
    print(f"  service at 32 clients again: direct {after['direct']}, UI {after['ui']} req/s", flush=True)
    best = round((before["best"] + after["best"]) / 2, 2)
    return {"rows": args.bulk_rows, "prefix_rows": prefix_rows, "service_before": before, "service_after": after,
            "service_best": best, "sweep": sweep, "one_text_client": old, "bulk_client": new,
            "defaults": {"texts_per_call": bulk.DEFAULT_TEXTS_PER_CALL, "in_flight": bulk.DEFAULT_IN_FLIGHT},
            "ratios": {"bulk client / service best at 32 clients": round(new["texts_per_s"] / best, 2) if best else None,
                       "bulk client / one-text client": round(new["texts_per_s"] / old["texts_per_s"], 2)
                       if old["texts_per_s"] else None}}


def markdown(result: dict) -> list[str]:
    if not result:
        return []
    defaults = result["defaults"]
    lines = ["", f"Bulk scoring (`toxmon score --file`, {result['rows']:,} rows; the sweep and the one-text "
             f"client on the first {result['prefix_rows']:,}):", "",
             "| client | texts per call | calls in flight | rows | texts/s | errors | client peak MB |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in result["sweep"]:
        lines.append(f"| bulk, sweep | {row['texts_per_call']} | {row['in_flight']} | {row['rows']} | "
                     f"{row['texts_per_s']} | {row['errors']} | {row['peak_rss_mb']} |")
    old, new = result["one_text_client"], result["bulk_client"]
    lines.append(f"| one text per call (before bulk) | 1 | 4 | {old['rows']} | {old['texts_per_s']} | {old['errors']} | |")
    lines.append(f"| **bulk, defaults** | {defaults['texts_per_call']} | {defaults['in_flight']} | {new['rows']} | "
                 f"**{new['texts_per_s']}** | {new['errors']} | {new['peak_rss_mb']} |")
    before, after = result["service_before"], result["service_after"]
    lines += ["", f"Service at 32 clients, one text per call (req/s): direct {before['direct']} then {after['direct']}, "
              f"through the UI {before['ui']} then {after['ui']}; best, mean of the two: {result['service_best']}.", "",
              "| ratio | value |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in result["ratios"].items()]
    return lines
