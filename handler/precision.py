"""Numeric precision of the served model, and how `auto` chooses one.

fp32 is the reference. bf16 runs the torch model in bfloat16 on the CPU's bf16
units (AMX, AVX512-BF16); without them it is emulated and slow. int8 is the
ONNX Runtime model built at archive time by handler/prepare_precision.py
(int8_model.py explains how it stays close to fp32).

`auto` picks the fastest precision that both runs natively on this CPU
(checked at start, since an archive may be built on one machine and served on
another) and agreed with fp32 when the archive was built (recorded in
precision-check.json by prepare_precision.py). Speed order, measured on the
bert-base-shaped model, 2 threads, batch 16: int8 109 texts/s, bf16 77, fp32 33.
Without an agreement record `auto` stays fp32: reduced precision is never
trusted unchecked on the weights being served.
"""

import importlib.util
import json
from pathlib import Path

PRECISIONS = ("fp32", "bf16", "int8", "auto")
FASTEST_FIRST = ("int8", "bf16")
INT8_MODEL_FILE = "model.int8.onnx"
CHECK_FILE = "precision-check.json"


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: bf16 matrix multiply in hardware. Without them bf16 is emulated and slow."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def int8_runtime_available() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def read_check(model_dir: Path) -> dict:
    """The archive-time agreement record, or {} when the archive has none."""
    try:
        return json.loads((Path(model_dir) / CHECK_FILE).read_text())
    except (OSError, ValueError):
        return {}


def int8_problem(model_dir: Path) -> str | None:
    if not (Path(model_dir) / INT8_MODEL_FILE).is_file():
        return (f"the archive has no {INT8_MODEL_FILE}; build it with "
                "`make archive PRECISION=int8` (or auto)")
    if not int8_runtime_available():
        return "int8 needs onnxruntime, which is not installed"
    return None


def runs_natively(precision: str, model_dir: Path) -> bool:
    if precision == "int8":
        return int8_problem(model_dir) is None
    if precision == "bf16":
        return cpu_has_native_bf16()
    return precision == "fp32"


def resolve(precision: str, model_dir: Path) -> tuple[str, str]:
    """The concrete precision for a setting, and why it was chosen."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision == "int8" and (problem := int8_problem(model_dir)):
        raise ValueError(problem)
    if precision != "auto":
        return precision, "set explicitly"
    check = read_check(model_dir)
    for candidate in FASTEST_FIRST:
        if check.get(candidate, {}).get("accepted") and runs_natively(candidate, model_dir):
            return candidate, (f"the fastest precision that runs natively here and agreed with fp32 at "
                               f"archive time (max difference {check[candidate]['max_abs_diff']:.4f})")
    return "fp32", "no faster precision both runs natively here and agreed with fp32 at archive time"
