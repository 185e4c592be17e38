"""A smoke run of the benchmark harness on the demo model: it produces its reports and stops
every server it started. Its figures are held to what must be true of them on any machine
(units, Little's law, CPU within the cores, ratios of the rows they name), never to a speed:
timing belongs in `make bench`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from precision import cpu_has_native_bf16, flags_that_matter
from support.servers import TOXMON

# What this CPU runs natively, measured; the rest must be reported as skipped, never run emulated.
NATIVE = ("fp32", "bf16", "int8") if cpu_has_native_bf16() else ("fp32", "int8")
NOT_NATIVE = tuple(p for p in ("fp32", "bf16", "int8") if p not in NATIVE)


def processes_working_in(directory: Path) -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if Path(os.readlink(proc / "cwd")).is_relative_to(directory):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def check_run_figures(run: dict, model_dir: Path) -> None:
    """What must hold between a run's figures whatever the machine's speed (no timing limit)."""
    assert run["errors"] == 0 and run["statuses"] == {"200": run["requests"]}, run
    assert run["requests"] >= run["concurrency"], run  # every client was answered at least once
    assert run["p50_ms"] <= run["p95_ms"] <= run["p99_ms"], run
    # A closed loop (Little's law): clients in flight = throughput x time in flight. The median
    # stands in for the mean, so only a factor of 3 either way: it catches a rate or a latency
    # counted in the wrong unit or over the wrong time.
    in_flight = run["rps"] * run["p50_ms"] / 1000
    assert run["concurrency"] / 3 <= in_flight <= run["concurrency"] * 3, run
    # CPU seconds per second cannot exceed the cores; the server holds at least the weights.
    cores = os.cpu_count()
    assert 0 < run["cpu_s_per_request"] * run["rps"] <= cores * 1.1, run
    weights_mb = (model_dir / "model.safetensors").stat().st_size / 2**20
    assert weights_mb / 4 < run["peak_rss_mb"] < 64 * 1024, run  # int8 holds a quarter of fp32


def check_ratios(report: dict) -> None:
    """Every ratio the report prints is the quotient of the two rows it names."""
    rps = {(r["name"], r["precision"], r["concurrency"]): r["rps"] for r in report["runs"]}
    assert report["ratios"], "no ratio reported"
    for name, value in report["ratios"].items():
        subject, base = name.split(" @ c=")[0].split(" / ")
        level = int(name.rsplit("=", 1)[1])
        top = rps[(*subject.split(" "), level)]
        bottom = rps[(base, "fp32", level)] if base in ("naive", "torchserve-stock") else rps[(*base.split(" "), level)]
        assert value == round(top / bottom, 2), (name, value, top, bottom)


def test_harness_writes_json_markdown_png_and_stops_its_servers(demo_model_dir, tmp_path):
    """The smoke runs the baseline, the shipped precision direct and through the UI, Perspective's
    API beside the native one, and the rollout stage, one short level each (under 2 minutes); `make bench` runs every stage (a
    slow candidate in shadow is run in tests/faults, through the UI as users meet it).
    A precision this CPU only emulates is asked for too: it must be reported, never run."""
    work, results = tmp_path / "work", tmp_path / "results"
    command = [TOXMON, "bench", "--model-dir", str(demo_model_dir),
               "--configs", "naive,tuned-torchserve,tuned-ui,rollout,perspective,bulk,batching,hardware-limit",
               "--precisions", ",".join(("int8", *NOT_NATIVE)), "--perspective-clients", "2", "--perspective-rounds", "1",
               "--duration", "1", "--warmup", "0.2", "--concurrency", "2",
               "--rollout-levels", "2", "--rollout-rounds", "1", "--no-rollout-slower-candidate",
               "--bulk-rows", "300", "--bulk-prefix-rows", "100", "--bulk-sweep", "8x2",
               "--batching-rounds", "1", "--batching-seconds", "1", "--hardware-seconds", "0.3",
               "--output-dir", str(results), "--work-dir", str(work)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    report = json.loads((results / "latest.json").read_text())
    runs = {(r["name"], r["precision"], r["concurrency"]): r for r in report["runs"]}
    assert set(runs) == {("naive", "fp32", 2), ("tuned-torchserve", "int8", 2), ("tuned-ui", "int8", 2)}
    assert set(report["skipped"]) == set(NOT_NATIVE)
    assert all("not native here, skipped" in reason for reason in report["skipped"].values())
    for run in runs.values():
        check_run_figures(run, demo_model_dir)
    check_ratios(report)
    assert set(report["ratios"]) == {"tuned-torchserve int8 / naive @ c=2", "tuned-ui int8 / naive @ c=2",
                                     "tuned-ui int8 / tuned-torchserve int8 @ c=2"}
    assert report["machine"]["cores"] and report["machine"]["versions"]["torch"]
    assert report["machine"]["cpu_flags"] == flags_that_matter() and "avx2" in report["machine"]["cpu_flags"]
    assert report["command"].startswith("toxmon bench --model-dir")
    assert "| tuned-ui | int8 | 2 |" in (results / "latest.md").read_text()
    assert report["scenarios"] == [] and "scenarios" not in command[command.index("--configs") + 1]
    # Shadow scoring's cost: the user is answered whatever the candidate does.
    rollout = {row["scenario"]: row for row in report["rollout"]}
    assert {"primary only, 2 clients, round 1", "shadow, 2 clients, round 1",
            "shadow, failing candidate, 2 clients"} <= set(rollout)
    assert all(row["errors"] == 0 and row["texts_per_s"] > 0 for row in rollout.values()), rollout
    assert rollout["shadow, 2 clients, round 1"]["compared_agree"] > 0
    assert rollout["primary only, 2 clients, round 1"]["compared_agree"] == 0
    assert rollout["shadow, failing candidate, 2 clients"]["compared_failed"] > 0
    assert "shadow / primary only, 2 clients (p95)" in report["rollout_ratios"]
    assert "Shadow scoring's cost to the primary" in (results / "latest.md").read_text()
    # Perspective's API against the native one, on the tuned servers: every variant answered, and
    # each ratio the quotient of the rows it names.
    from toxmon.bench.perspective import variants
    perspective = {row["variant"]: row for row in report["perspective"]}
    assert set(perspective) == {name for name, *_ in variants(["a"])} | {"detection"}
    for name, row in perspective.items():
        if name != "detection":
            assert row["errors"] == 0 and row["texts_per_s"] > 0 and row["ui_cpu_ms_per_call"] > 0, row
    figures = report["perspective_ratios"]
    assert figures["perspective / native (calls/s)"] == round(
        perspective["perspective"]["texts_per_s"] / perspective["native"]["texts_per_s"], 3)
    assert figures["language detection, µs per call (alone)"] == perspective["detection"]["detection_us_per_call"] > 0
    assert "Perspective's API against the native one" in (results / "latest.md").read_text()
    check_bulk_batching_and_headline(report, (results / "latest.md").read_text())
    assert (results / "latest.png").read_bytes()[:4] == b"\x89PNG"
    assert processes_working_in(work) == [], "the harness left servers running"


def check_bulk_batching_and_headline(report: dict, markdown: str) -> None:
    """Bulk scoring wrote every row of its file, the batching A/B measured both settings at both
    levels, and every figure of the headline is the quotient of the figures it names."""
    bulk = report["bulk"]
    assert bulk["bulk_client"]["rows"] == 300 and bulk["bulk_client"]["errors"] == 0
    assert bulk["one_text_client"]["rows"] == 100 and bulk["one_text_client"]["errors"] == 0
    assert [(row["texts_per_call"], row["in_flight"], row["rows"]) for row in bulk["sweep"]] == [(8, 2, 100)]
    assert 10 < bulk["bulk_client"]["peak_rss_mb"] < 2048  # the client's own memory, not a server's
    for when in ("service_before", "service_after"):
        assert bulk[when]["best"] == max(bulk[when]["direct"], bulk[when]["ui"]) > 0
    assert bulk["service_best"] == round((bulk["service_before"]["best"] + bulk["service_after"]["best"]) / 2, 2)
    assert bulk["ratios"]["bulk client / service best at 32 clients"] == round(
        bulk["bulk_client"]["texts_per_s"] / bulk["service_best"], 2)
    assert bulk["ratios"]["bulk client / one-text client"] == round(
        bulk["bulk_client"]["texts_per_s"] / bulk["one_text_client"]["texts_per_s"], 2)
    assert {(row["setting"], row["concurrency"]) for row in report["batching"]} == {
        (setting, level) for setting in ("shipped", "previous") for level in (8, 32)}
    assert all(row["errors"] == 0 and row["texts_per_s"] > 0 for row in report["batching"])
    means = report["batching_summary"]["means"]
    assert report["batching_summary"]["ratios"]["8 / 32 clients, shipped batching"] == round(
        means["shipped @ 8"] / means["shipped @ 32"], 2)
    limits, runs = report["hardware_limit"], {(r["name"], r["concurrency"]): r for r in report["runs"]}
    headline = report["headline"]
    assert headline["tuned int8 at 2 clients / hardware limit"] == round(
        runs[("tuned-torchserve", 2)]["rps"] / limits["texts_per_second_limit_int8"], 2)
    assert headline["UI / direct, int8 at 2 clients"] == round(runs[("tuned-ui", 2)]["rps"] / runs[("tuned-torchserve", 2)]["rps"], 2)
    assert headline["UI CPU ms per call, int8 at 2 clients"] == runs[("tuned-ui", 2)]["ui_cpu_ms_per_request"] > 0
    assert headline["8 / 32 clients, shipped batching"] and headline["bulk client texts/s"] == bulk["bulk_client"]["texts_per_s"]
    for words in ("| figure of this run | value |", "Bulk scoring (`toxmon score --file`", "Few clients: the shipped batching",
                  "The hardware's limit"):
        assert words in markdown


def test_hardware_limit_measures_what_runs_natively_and_skips_the_rest(demo_model_dir):
    command = [sys.executable, "-m", "toxmon.bench.hardware_limit", "--model-dir", str(demo_model_dir),
               "--seconds", "0.3"]
    # Generous but bounded on every CPU: an emulated bf16 product alone would take minutes.
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    for precision in NATIVE:
        rate = report[f"matmul_gops_{precision}" if precision == "int8" else f"matmul_gflops_{precision}"]
        # The limit is the matrix-product rate over one text's work (gflop_per_text is rounded).
        assert rate > 0 and report[f"texts_per_second_limit_{precision}"] == pytest.approx(
            rate / report["gflop_per_text"], rel=0.05)
    for precision in NOT_NATIVE:
        assert "not native here, skipped" in report["skipped"][precision]
        assert f"texts_per_second_limit_{precision}" not in report
    assert report["cpu_flags"] == flags_that_matter()
    assert report["gflop_per_text"] > 0 and report["tokens_padded"] >= report["tokens_mean"]


def test_one_texts_work_is_what_was_measured_for_bert_base():
    """DESIGN.md: bert-base at 26 tokens is 4.44 GFLOP per text (the figure behind the ceilings)."""
    from toxmon.bench.hardware_limit import forward_flops
    bert_base = {"hidden_size": 768, "num_hidden_layers": 12, "intermediate_size": 3072, "num_labels": 6}
    assert forward_flops(bert_base, 26) / 1e9 == pytest.approx(4.44, abs=0.005)
    # Attention grows with the square of the length, the rest linearly.
    assert forward_flops(bert_base, 52) > 2 * forward_flops(bert_base, 26)
