"""A benchmark's report: the machine it ran on, the ratios, and the Markdown and the chart
written to bench/results/."""

import contextlib
import json
import os
import platform
from pathlib import Path

from precision import flags_that_matter

from . import batching, bulk_scoring, perspective, rollout, scenarios


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
             f"Command: `{report['command']}`", ""]
    if report.get("headline"):
        lines += ["| figure of this run | value |", "|---|---:|"]
        lines += [f"| {name} | {value} |" for name, value in report["headline"].items()] + [""]
    lines += ["| configuration | precision | concurrency | req/s | p50 ms | p95 ms | p99 ms | errors | CPU s/req | peak MB |",
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
    if report.get("perspective"):
        lines += perspective.markdown(report["perspective"], report["perspective_ratios"])
    lines += bulk_scoring.markdown(report.get("bulk") or {})
    lines += batching.markdown(report.get("batching") or [], report.get("batching_summary") or {},
                               report.get("shipped_batching") or {})
    lines += hardware_markdown(report.get("hardware_limit") or {})
    return "\n".join(lines) + "\n"


def hardware_markdown(limits: dict) -> list[str]:
    if not limits:
        return []
    lines = ["", f"The hardware's limit ({limits['threads']} threads; one text of {limits['tokens_padded']} tokens, "
             f"the longest of the texts, is {limits['gflop_per_text']} GFLOP):", "",
             "| precision | matrix product rate (G/s) | texts/s limit |", "|---|---:|---:|"]
    for precision, key in (("fp32", "matmul_gflops_fp32"), ("bf16", "matmul_gflops_bf16"), ("int8", "matmul_gops_int8")):
        if key in limits:
            lines.append(f"| {precision} | {limits[key]} | {limits[f'texts_per_second_limit_{precision}']} |")
    for precision, reason in limits.get("skipped", {}).items():
        lines.append(f"| {precision} | skipped: {reason} | |")
    return lines


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


def write_results(report: dict, output_dir: Path) -> None:
    """<time>.json, latest.json, latest.md and latest.png in `output_dir`."""
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = report["created"].replace(":", "").replace("-", "")
    for path in (output_dir / f"{stamp}.json", output_dir / "latest.json"):
        path.write_text(json.dumps(report, indent=2) + "\n")
    (output_dir / "latest.md").write_text(markdown(report))
    chart(report, output_dir / "latest.png")
