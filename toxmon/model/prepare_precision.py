"""Build the int8 model and check every reduced precision against fp32, at archive time.

    .venv/bin/python -m toxmon.model.prepare_precision --model-dir build/models/toxic-bert

Writes into the model directory:
  model.int8.onnx        the int8 model (see int8_model.py)
  precision-check.json   per precision: max score difference from fp32 on the fixed
                         text set, verdict flips, speed, and whether it was accepted

A precision the CPU only emulates (bf16 without AVX512-BF16 or AMX) is recorded as
skipped rather than checked. `make archive` runs this for PRECISION=auto or int8 and packs both files; at
start the handler's `auto` picks the fastest accepted precision the CPU runs
natively (precision.py). So a reduced precision is only chosen automatically
for the very weights it was checked on.
"""

import argparse
import datetime
import json
import platform
import sys
import time
from pathlib import Path


from .compare_precision import DEFAULT_TEXTS, MAX_DIFF, compare, load_texts, score
from .demo_data import generate_examples
from precision import CHECK_FILE, INT8_MODEL_FILE, flags_that_matter, not_native_reason

CALIBRATION_SEED = 7  # generated sentences, never the check texts


def check(model_dir: Path, precision: str, texts: list[str], max_diff: float, fp32_run: tuple) -> dict:
    result = compare(model_dir, precision, texts, fp32_run=fp32_run)
    accepted = result["max_abs_diff"] <= max_diff and not result["verdict_flips"]
    return {**result, "max_diff_allowed": max_diff, "accepted": accepted}


def prepare(model_dir: Path, texts: list[str], max_diff: float = MAX_DIFF) -> dict:
    from .int8_model import build_int8_model
    started = time.perf_counter()
    calibration = [text for text, _ in generate_examples(2, seed=CALIBRATION_SEED)]
    build = build_int8_model(model_dir, model_dir / INT8_MODEL_FILE, calibration)
    build["seconds"] = round(time.perf_counter() - started, 1)
    report = {"created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "cpu": platform.processor() or platform.machine(), "cpu_flags": flags_that_matter(),
              "int8_build": build}
    fp32_run = score(model_dir, "fp32", texts, 256)
    for precision in ("int8", "bf16"):
        # An emulated precision is never served by `auto` here, and checking it would take
        # minutes on a bert-base model: record why it was skipped instead.
        if reason := not_native_reason(precision):
            report[precision] = {"precision": precision, "accepted": False, "skipped": reason}
        else:
            report[precision] = check(model_dir, precision, texts, max_diff, fp32_run)
    (model_dir / CHECK_FILE).write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--texts", type=Path, nargs="*", default=DEFAULT_TEXTS,
                        help="JSON files whose lists of strings are the check's text set")
    parser.add_argument("--max-diff", type=float, default=MAX_DIFF)
    args = parser.parse_args(argv)
    report = prepare(args.model_dir, load_texts(args.texts), args.max_diff)
    for precision in ("int8", "bf16"):
        result = report[precision]
        if "skipped" in result:
            print(f"{precision}: {result['skipped']}")
            continue
        print(f"{precision}: max difference from fp32 {result['max_abs_diff']:.4f} on {result['texts']} texts, "
              f"{len(result['verdict_flips'])} verdict flips -> "
              f"{'accepted' if result['accepted'] else 'REJECTED: auto will not pick it'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
