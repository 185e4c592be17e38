"""The quiet hours: the shipped batching against the previous release's, at 8 and 32 clients.

Both archives (one model, differing only in model-config.yaml's batching) are served by two
TorchServes at once, and the load alternates between them in short rounds, the order
swapped every round: servers measured minutes apart drift by 10-25 % on shared machines,
and an A/B whose halves are measured far apart measures the drift.

The 8/32 ratio is each setting's texts/s at 8 clients over its own at 32.
"""

import statistics

from .loadgen import run_load
from .scenarios import config_with, measure_texts
from .servers import build_archive

# The batching before the quiet-hours change: up to 16 requests, 5 ms to fill a batch. With
# one collector at a time (TorchServe's model lock while a batch fills), the worker that
# holds it takes every request arriving in its window: at 8 clients one worker does most of
# the work while the other waits (docs/performance.md, "Few clients").
PREVIOUS_BATCHING = {"batchSize": 16, "maxBatchDelay": 5}
LEVELS = (8, 32)


def previous_store(args, precision: str):
    """The archive of the previous batching, served beside the tuned one (run.py starts both)."""
    work = args.work_dir
    return build_archive(args.model_dir, work / "store-previous", precision,
                         config=config_with(PREVIOUS_BATCHING, work / "previous-model-config.yaml"))


def run(args, texts: list[str], shipped: tuple[str, int], previous: tuple[str, int]) -> list[dict]:
    """shipped, previous: (predictions URL, TorchServe's process group) of the two servers."""
    servers = {"shipped": shipped, "previous": previous}
    for url, _ in servers.values():
        run_load(url, texts, 32, args.warmup)
    rows, order = [], list(servers)
    for round_ in range(args.batching_rounds):
        for level in LEVELS:
            for name in order:
                url, pid = servers[name]
                row = measure_texts(f"{name} batching, round {round_ + 1}", url, [pid], texts, level, 1,
                                    args.batching_seconds)
                rows.append({**row, "setting": name, "round": round_ + 1})
        order.reverse()
    return rows


def summary(rows: list[dict]) -> dict:
    """Mean texts/s per setting and level over the rounds; the 8/32 ratios; shipped/previous."""
    means = {}
    for setting in ("shipped", "previous"):
        for level in LEVELS:
            values = [row["texts_per_s"] for row in rows if row["setting"] == setting and row["concurrency"] == level]
            if values:
                means[f"{setting} @ {level}"] = round(statistics.mean(values), 2)
    ratios = {}
    for setting in ("shipped", "previous"):
        if means.get(f"{setting} @ 8") and means.get(f"{setting} @ 32"):
            ratios[f"8 / 32 clients, {setting} batching"] = round(means[f"{setting} @ 8"] / means[f"{setting} @ 32"], 2)
    for level in LEVELS:
        if means.get(f"shipped @ {level}") and means.get(f"previous @ {level}"):
            ratios[f"shipped / previous batching, {level} clients"] = round(
                means[f"shipped @ {level}"] / means[f"previous @ {level}"], 2)
    return {"means": means, "ratios": ratios}


def markdown(rows: list[dict], result: dict, shipped: dict) -> list[str]:
    if not rows:
        return []
    lines = ["", f"Few clients: the shipped batching ({shipped}) against the previous ({PREVIOUS_BATCHING}), "
             "alternated in rounds (texts/s, one text per call, straight to TorchServe):", "",
             "| setting | round | clients | texts/s | p50 ms | p95 ms | CPU ms/text |", "|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['setting']} | {r['round']} | {r['concurrency']} | {r['texts_per_s']} | {r['p50_ms']} | "
              f"{r['p95_ms']} | {r['cpu_ms_per_text']} |" for r in rows]
    lines += ["", "| figure | value |", "|---|---:|"]
    lines += [f"| mean texts/s, {name} | {value} |" for name, value in result["means"].items()]
    lines += [f"| {name} | {value} |" for name, value in result["ratios"].items()]
    return lines
