"""The serving paths of one handler, side by side: many texts per call, mixed lengths, few clients.

Run by `toxmon bench` after the main comparison, on the tuned configuration's first
precision, with the same model and load generator:

- batch call: N texts in one {"texts": [...]} call against one-text calls, through the
  UI as users call it (32 texts in flight both ways, and twice that); texts/s and CPU
  per text of TorchServe and the UI together;
- mixed lengths: short replies to long paragraphs (long ones scored in several windows),
  the handler's length-grouped forward passes against one padded pass per batch (the old
  path, `length_grouping: false`), and the same two on uniform short texts;
- (few clients against many, the shipped batching against the previous: batching.py, with the
  two servers alternated in rounds);
- costs: a text of 5,000 characters (several windows) against short texts, and both with
  every label explained (the worst case of `"explain": true`).
"""

import random
from pathlib import Path

import yaml
from labels import LABELS

from ..model.handler_files import shipped_model_config
from .accounting import cpu_seconds
from .loadgen import run_load
from .servers import build_archive, torchserve, ui_in_front

EXPLAIN_EVERY_LABEL = {"explain": True, "explain_at": {label: 0.001 for label in LABELS}}
SHORT_REPLIES = ("ok", "thanks!", "lol no", "agreed", "you idiot", "+1", "nope, wrong", "great post",
                 "shut up", "see above", "why?", "so true", "what a loser", "fixed, thanks")


def mixed_texts(texts: list[str], count: int = 60, seed: int = 7) -> list[str]:
    """Half short replies (2–6 tokens), a third sentences (about 25), the rest paragraphs of 8 to
    30 sentences (200–750 tokens: one to three windows), shuffled deterministically."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        kind = i % 6
        if kind < 3:
            out.append(rng.choice(SHORT_REPLIES))
        elif kind < 5:
            out.append(rng.choice(texts))
        else:
            out.append(" ".join(rng.choice(texts) for _ in range(rng.randint(8, 30))))
    rng.shuffle(out)
    return out


def long_texts(texts: list[str], characters: int = 5000) -> list[str]:
    """Texts of about `characters` characters (the UI's limit), each from another start."""
    out = []
    for start in range(len(texts)):
        parts, length = [], 0
        while length < characters - 150:
            part = texts[(start + len(parts)) % len(texts)]
            parts.append(part)
            length += len(part) + 1
        out.append(" ".join(parts)[:characters])
    return out


def config_with(changes: dict, path: Path) -> Path:
    """The shipped model-config.yaml with `changes` applied (the handler section merged)."""
    config = shipped_model_config()
    handler = {**config["handler"], **changes.get("handler", {})}
    config.update({key: value for key, value in changes.items() if key != "handler"}, handler=handler)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def measure_texts(name: str, url: str, pgids: list[int], texts: list[str], concurrency: int, per_call: int,
                  duration: float, options: dict | None = None, body=None) -> dict:
    before = cpu_seconds(pgids)
    result = run_load(url, texts, concurrency, duration, per_call=per_call, options=options, body=body)
    cpu = cpu_seconds(pgids) - before
    summary = result.summary()
    scored = (summary["requests"] - summary["errors"]) * per_call
    row = {"scenario": name, "concurrency": concurrency, "texts_per_call": per_call,
           "texts_per_s": round(scored / result.seconds, 2), "p50_ms": summary["p50_ms"],
           "p95_ms": summary["p95_ms"], "errors": summary["errors"],
           "cpu_ms_per_text": round(1000 * cpu / scored, 2) if scored else None}
    print(f"  {name:34s} c={concurrency:<3d} x{per_call:<3d} {row['texts_per_s']:8.2f} texts/s  "
          f"p50 {row['p50_ms']} ms  CPU {row['cpu_ms_per_text']} ms/text  errors {row['errors']}", flush=True)
    return row


def scenario_ratios(rows: list[dict]) -> dict:
    by = {row["scenario"]: row for row in rows}

    def ratio(new, old, key="texts_per_s"):
        if by.get(new, {}).get(key) and by.get(old, {}).get(key):
            return round(by[new][key] / by[old][key], 2)
        return None

    ratios = {
        "batch call x16, 2 clients / single calls, 32 clients (texts/s)": ratio(
            "batch call x16 via the UI, 2 clients", "single calls via the UI, 32 clients"),
        "batch call x16, 4 clients / single calls, 32 clients (texts/s)": ratio(
            "batch call x16 via the UI, 4 clients", "single calls via the UI, 32 clients"),
        "single calls / batch call x16, 4 clients (CPU per text)": ratio(
            "single calls via the UI, 32 clients", "batch call x16 via the UI, 4 clients", "cpu_ms_per_text"),
        "grouped / padded, mixed lengths (texts/s)": ratio("mixed, grouped", "mixed, padded"),
        "grouped / padded, uniform short (texts/s)": ratio("short, grouped", "short, padded"),
        "5,000 characters / short (CPU per text)": ratio("5,000 characters", "8 clients, shipped", "cpu_ms_per_text"),
        "explained / plain, short (CPU per text)": ratio("short, explained", "8 clients, shipped", "cpu_ms_per_text"),
        "explained / plain, 5,000 characters (CPU per text)": ratio("5,000 characters, explained", "5,000 characters",
                                                                  "cpu_ms_per_text"),
    }
    return {name: value for name, value in ratios.items() if value is not None}


def markdown(rows: list[dict], ratios: dict) -> list[str]:
    lines = ["", "Serving paths of one handler (same model, same run):", "",
             "| scenario | clients | texts per call | texts/s | p50 ms | p95 ms | errors | CPU ms/text |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['scenario']} | {r['concurrency']} | {r['texts_per_call']} | {r['texts_per_s']} | {r['p50_ms']} | "
              f"{r['p95_ms']} | {r['errors']} | {r['cpu_ms_per_text']} |" for r in rows]
    if ratios:
        lines += ["", "| ratio | value |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in ratios.items()]
    return lines


def run(args, precision: str, texts: list[str]) -> list[dict]:
    """The figures of scenarios.py: two archives of one model, differing in one setting."""
    work = args.work_dir
    shipped = build_archive(args.model_dir, work / f"store-{precision}", precision)
    padded = build_archive(args.model_dir, work / "store-padded", precision,
                           config=config_with({"handler": {"length_grouping": False}}, work / "padded-model-config.yaml"))
    mixed = mixed_texts(texts)
    duration, rows = args.duration, []

    def measure(name, url, pid, sample, concurrency, per_call=1, options=None):
        rows.append(measure_texts(name, url, [pid], sample, concurrency, per_call, duration, options))

    with torchserve(shipped, work / "ts-scenarios-shipped", None) as (url, ports, pid), \
            ui_in_front(ports, work / "ui-scenarios") as (ui_url, ui_pid):
        run_load(url, mixed, 32, args.warmup)
        # Through the UI, as users call it; CPU of TorchServe and the UI together.
        for name, concurrency, per_call in (("single calls via the UI, 32 clients", 32, 1),
                                            ("batch call x16 via the UI, 2 clients", 2, 16),
                                            ("batch call x16 via the UI, 4 clients", 4, 16)):
            rows.append(measure_texts(name, ui_url, [pid, ui_pid], texts, concurrency, per_call, duration))
        measure("mixed, grouped", url, pid, mixed, 32)
        measure("short, grouped", url, pid, texts, 32)
        measure("8 clients, shipped", url, pid, texts, 8)
        long = long_texts(texts)
        measure("short, explained", url, pid, texts, 8, options=EXPLAIN_EVERY_LABEL)
        measure("5,000 characters", url, pid, long, 8)
        measure("5,000 characters, explained", url, pid, long, 8, options=EXPLAIN_EVERY_LABEL)
    with torchserve(padded, work / "ts-scenarios-padded", None) as (url, _, pid):
        run_load(url, mixed, 32, args.warmup)
        measure("mixed, padded", url, pid, mixed, 32)
        measure("short, padded", url, pid, texts, 32)
    return rows
