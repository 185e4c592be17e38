"""A smoke run of the benchmark harness on the demo model: it produces its reports and stops
every server it started. Its figures are not checked here (timing belongs in `make bench`)."""

import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_harness_writes_json_markdown_png_and_stops_its_servers(demo_model_dir, tmp_path):
    work, results = tmp_path / "work", tmp_path / "results"
    command = [TOXMON, "bench", "--model-dir", str(demo_model_dir),
               "--duration", "2", "--warmup", "0.5", "--concurrency", "1,2",
               "--output-dir", str(results), "--work-dir", str(work)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    report = json.loads((results / "latest.json").read_text())
    runs = {(r["name"], r["precision"], r["concurrency"]): r for r in report["runs"]}
    expected = {(name, "fp32", c) for name in ("naive", "torchserve-stock") for c in (1, 2)}
    expected |= {(name, p, c) for name in ("tuned-torchserve", "tuned-ui") for p in NATIVE for c in (1, 2)}
    assert set(runs) == expected
    assert set(report["skipped"]) == set(NOT_NATIVE)
    assert all("not native here, skipped" in reason for reason in report["skipped"].values())
    for run in runs.values():
        assert run["rps"] > 0 and run["errors"] == 0
        assert run["p50_ms"] <= run["p95_ms"] <= run["p99_ms"]
        assert run["cpu_s_per_request"] > 0 and run["peak_rss_mb"] > 0
    assert report["machine"]["cores"] and report["machine"]["versions"]["torch"]
    assert report["machine"]["cpu_flags"] == flags_that_matter() and "avx2" in report["machine"]["cpu_flags"]
    assert report["command"].startswith("toxmon bench --model-dir")
    assert "| tuned-ui | int8 | 2 |" in (results / "latest.md").read_text()
    scenarios = {row["scenario"]: row for row in report["scenarios"]}
    assert {"single calls via the UI, 32 clients", "batch call x16 via the UI, 2 clients",
            "batch call x16 via the UI, 4 clients", "mixed, grouped", "mixed, padded",
            "short, grouped", "short, padded", "8 clients, shipped", "8 clients, previous",
            "short, explained", "5,000 characters", "5,000 characters, explained"} <= set(scenarios)
    for row in scenarios.values():
        assert row["texts_per_s"] > 0 and row["errors"] == 0 and row["cpu_ms_per_text"] > 0, row
    assert scenarios["batch call x16 via the UI, 4 clients"]["texts_per_call"] == 16
    assert "grouped / padded, mixed lengths (texts/s)" in report["scenario_ratios"]
    assert "Serving paths of one handler" in (results / "latest.md").read_text()
    # Shadow scoring's cost: the user is answered whatever the candidate does.
    rollout = {row["scenario"]: row for row in report["rollout"]}
    for level in (2, 8, 32):
        for mode in ("primary only", "shadow"):
            assert f"{mode}, {level} clients, round 1" in rollout
    assert all(row["errors"] == 0 and row["texts_per_s"] > 0 for row in rollout.values()), rollout
    assert rollout["shadow, 2 clients, round 1"]["compared_agree"] > 0
    assert rollout["primary only, 2 clients, round 1"]["compared_agree"] == 0
    assert rollout["shadow, failing candidate, 2 clients"]["compared_failed"] > 0
    assert "shadow / primary only, 32 clients (p95)" in report["rollout_ratios"]
    assert "Shadow scoring's cost to the primary" in (results / "latest.md").read_text()
    assert (results / "latest.png").read_bytes()[:4] == b"\x89PNG"
    assert processes_working_in(work) == [], "the harness left servers running"


def test_hardware_limit_measures_what_runs_natively_and_skips_the_rest(demo_model_dir):
    command = [sys.executable, "-m", "toxmon.bench.hardware_limit", "--model-dir", str(demo_model_dir),
               "--seconds", "0.3"]
    # Generous but bounded on every CPU: an emulated bf16 product alone would take minutes.
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    for precision in NATIVE:
        rate = report[f"matmul_gops_{precision}" if precision == "int8" else f"matmul_gflops_{precision}"]
        assert rate > 0 and report[f"texts_per_second_limit_{precision}"] > 0
    for precision in NOT_NATIVE:
        assert "not native here, skipped" in report["skipped"][precision]
        assert f"texts_per_second_limit_{precision}" not in report
    assert report["cpu_flags"] == flags_that_matter()
    assert report["gflop_per_text"] > 0 and report["tokens_padded"] >= report["tokens_mean"]
