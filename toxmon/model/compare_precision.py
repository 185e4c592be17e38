"""Compare a reduced precision with fp32 on a text set, through the handler's own code.

    .venv/bin/python -m toxmon.model.compare_precision --model-dir build/models/toxic-bert --precision int8
    .venv/bin/python -m toxmon.model.compare_precision --model-dir DIR --precision bf16 --texts my_texts.json

Run it on the real weights before trusting a precision: it prints the largest
score difference (overall and per label), the verdicts that flip, and the
speed of each, and exits 1 when the difference is over --max-diff or a
verdict flips.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from labels import LABELS
from .offline_context import OfflineContext

HERE = Path(__file__).resolve().parent

# The largest score difference from fp32 a reduced precision may show on the text set
# (and no verdict may flip). Differences concentrate on labels scored mid-range, where
# the sigmoid is steepest; the measurements behind the figure: docs/precision.md, "Why 0.08".
MAX_DIFF = 0.08
# The fixed text set: hand-written sentences outside the demo's training data, and
# comments from a few words to long paragraphs (also the stress test's texts).
CHECK_TEXT_FILES = ("heldout.json", "varied.json")  # in texts/ beside this file
DEFAULT_TEXTS = [HERE / "texts" / name for name in CHECK_TEXT_FILES]


def load_texts(paths: list[Path]) -> list[str]:
    texts = []
    for path in paths:
        data = json.loads(path.read_text())
        texts += [t for key, value in data.items() if not key.startswith("_") for t in value]
    return texts


def score(model_dir: Path, precision: str, texts: list[str], max_length: int, batch: int = 8):
    from toxic_handler import ToxicHandler
    handler = ToxicHandler()
    handler.initialize(OfflineContext(model_dir, {"precision": precision, "max_length": max_length}, "compare"))
    rows, started = [], time.perf_counter()
    for start in range(0, len(texts), batch):
        request = {"body": {"texts": texts[start:start + batch]}}
        [response] = handler.postprocess(handler.inference(handler.preprocess([request])))
        rows += [[result["scores"][label] for label in LABELS] for result in response["results"]]
    return handler.precision, rows, len(texts) / (time.perf_counter() - started), handler.settings.threshold


def compare(model_dir: Path, precision: str, texts: list[str], max_length: int = 256,
            fp32_run: tuple | None = None) -> dict:
    """`fp32_run`: an earlier score(model_dir, "fp32", texts, max_length), to check several precisions."""
    _, reference, reference_speed, threshold = fp32_run or score(model_dir, "fp32", texts, max_length)
    resolved, candidate, candidate_speed, _ = score(model_dir, precision, texts, max_length)
    per_label = {label: max(abs(a[i] - b[i]) for a, b in zip(reference, candidate)) for i, label in enumerate(LABELS)}
    flips = [text for text, a, b in zip(texts, reference, candidate)
             if (max(a) >= threshold) != (max(b) >= threshold)]
    return {"precision": resolved, "texts": len(texts), "max_abs_diff": max(per_label.values()),
            "max_abs_diff_per_label": per_label, "verdict_flips": flips,
            "texts_per_second": {"fp32": round(reference_speed, 1), resolved: round(candidate_speed, 1)}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--precision", required=True, choices=["bf16", "int8", "auto"])
    parser.add_argument("--texts", type=Path, nargs="*", default=DEFAULT_TEXTS,
                        help="JSON files whose lists of strings are the text set")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--max-diff", type=float, default=MAX_DIFF, help="largest score difference accepted")
    args = parser.parse_args(argv)
    result = compare(args.model_dir, args.precision, load_texts(args.texts), args.max_length)
    print(json.dumps(result, indent=2))
    accepted = result["max_abs_diff"] <= args.max_diff and not result["verdict_flips"]
    print(f"{result['precision']}: max difference {result['max_abs_diff']:.4f} "
          f"({'within' if result['max_abs_diff'] <= args.max_diff else 'OVER'} {args.max_diff}), "
          f"{len(result['verdict_flips'])} verdict flips -> {'ACCEPTED' if accepted else 'REJECTED'}")
    return 0 if accepted else 1


if __name__ == "__main__":
    sys.exit(main())
