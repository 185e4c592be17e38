"""Perspective's API against the native one, on one TorchServe and one UI, in one run.

The same texts through /api/v1/toxicity and /v1alpha1/comments:analyze at the same client
count, the variants alternated in short rounds (servers measured minutes apart drift by
10-25 % on shared machines), so the ratio compares seconds-apart neighbours:

- native: {"text": ...} (which detects the language too);
- perspective: the six attributes, the language detected;
- perspective, languages en: the same with `languages: ["en"]`, no detection: the difference
  is language detection's cost per call;
- native and perspective with spanAnnotations on two-sentence comments: the sentences' call's
  cost (each comment is then two TorchServe calls: the comment alone, the sentences together).
"""

import time

from toxicity_ui.perspective_request import ATTRIBUTES

from .accounting import cpu_seconds
from .loadgen import run_load
from .scenarios import measure_texts

ALL = {name: {} for name in ATTRIBUTES}
NATIVE, ANALYZE = "/api/v1/toxicity", "/v1alpha1/comments:analyze"


def _native(text):
    return {"text": text}


def _analyze(text):
    return {"comment": {"text": text}, "requestedAttributes": ALL}


def _analyze_english(text):
    return {**_analyze(text), "languages": ["en"]}


def _analyze_spans(text):
    return {**_analyze(text), "spanAnnotations": True}


def two_sentences(texts: list[str]) -> list[str]:
    return [f"{texts[i]} {texts[(i + 1) % len(texts)]}" for i in range(len(texts))]


def variants(texts: list[str]) -> list[tuple[str, str, list[str], object]]:
    pairs = two_sentences(texts)
    return [("native", NATIVE, texts, _native),
            ("perspective", ANALYZE, texts, _analyze),
            ("perspective, languages en", ANALYZE, texts, _analyze_english),
            ("native, two sentences", NATIVE, pairs, _native),
            ("perspective, spanAnnotations, two sentences", ANALYZE, pairs, _analyze_spans)]


def detection_us_per_call(texts: list[str], calls: int = 2000) -> float:
    """Language detection alone, in this process: its cost per call without the noise of a load."""
    from toxicity_ui.language import detect
    detect(texts[0])  # loads the model
    started = time.perf_counter()
    for number in range(calls):
        detect(texts[number % len(texts)])
    return round((time.perf_counter() - started) / calls * 1e6, 1)


def run(args, ui_url: str, pids: tuple[int, int], texts: list[str], concurrency: int = 32,
        rounds: int = 3) -> list[dict]:
    """On the tuned TorchServe (pid) and the UI in front of it (ui_pid), already running."""
    pid, ui_pid = pids
    base = ui_url.rsplit("/api/", 1)[0]
    rows = []
    for _, path, sample, body in variants(texts):  # warm every path, not recorded
        run_load(base + path, sample, concurrency, args.warmup, body=body)
    for round_ in range(1, rounds + 1):
        for name, path, sample, body in variants(texts):
            ui_before = cpu_seconds([ui_pid])
            row = measure_texts(f"{name}, round {round_}", base + path, [pid, ui_pid], sample, concurrency, 1,
                                args.duration, body=body)
            calls = row["texts_per_s"] * args.duration
            row.update(variant=name, round=round_,
                       ui_cpu_ms_per_call=round(1000 * (cpu_seconds([ui_pid]) - ui_before) / calls, 2) if calls else None)
            rows.append(row)
    rows.append({"scenario": "language detection alone, in-process", "variant": "detection",
                 "detection_us_per_call": detection_us_per_call(texts)})
    return rows


def _mean(rows: list[dict], variant: str, key: str) -> float | None:
    values = [row[key] for row in rows if row["variant"] == variant and row.get(key)]
    return sum(values) / len(values) if values else None


def ratios(rows: list[dict]) -> dict:
    """Means over the rounds; the ratios make_bench reports for Perspective's API."""
    out = {}
    for name, top, bottom, key in (
            ("perspective / native (calls/s)", "perspective", "native", "texts_per_s"),
            ("perspective, languages en / perspective (calls/s)", "perspective, languages en", "perspective",
             "texts_per_s"),
            ("spanAnnotations / native, two sentences (calls/s)", "perspective, spanAnnotations, two sentences",
             "native, two sentences", "texts_per_s"),
            ("spanAnnotations / native, two sentences (CPU per call)", "perspective, spanAnnotations, two sentences",
             "native, two sentences", "cpu_ms_per_text")):
        high, low = _mean(rows, top, key), _mean(rows, bottom, key)
        if high and low:
            out[name] = round(high / low, 3)
    detected, given = _mean(rows, "perspective", "ui_cpu_ms_per_call"), \
        _mean(rows, "perspective, languages en", "ui_cpu_ms_per_call")
    if detected and given:
        out["language detection, UI CPU ms per call (under load)"] = round(detected - given, 3)
    alone = _mean(rows, "detection", "detection_us_per_call")
    native_ui = _mean(rows, "native", "ui_cpu_ms_per_call")
    if alone:
        out["language detection, µs per call (alone)"] = alone
        if native_ui:
            out["language detection / the UI's CPU per native call"] = round(alone / 1000 / native_ui, 3)
    return out


def markdown(rows: list[dict], ratios_: dict) -> list[str]:
    lines = ["", "Perspective's API against the native one (same TorchServe and UI, variants alternated round "
             "by round; a call is one comment):", "",
             "| variant | clients | calls/s | p50 ms | p95 ms | errors | CPU ms/call | UI CPU ms/call |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['scenario']} | {r['concurrency']} | {r['texts_per_s']} | {r['p50_ms']} | {r['p95_ms']} | "
              f"{r['errors']} | {r['cpu_ms_per_text']} | {r['ui_cpu_ms_per_call']} |" for r in rows if "round" in r]
    if ratios_:
        lines += ["", "| ratio | value |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in ratios_.items()]
    return lines
