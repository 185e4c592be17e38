"""Numeric precision of the served model, and how `auto` chooses one.

fp32 is the reference. bf16 runs the torch model in bfloat16 on the CPU's bf16
units (AMX, AVX512-BF16); without them it is emulated and slow. int8 is the
ONNX Runtime model built at archive time by toxmon/model/prepare_precision.py
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


# The flags that decide how fast each precision runs: AVX2 (the floor of these machines),
# AVX-512 and VNNI (int8 dot products), AVX512-BF16 and AMX (bf16 and int8 in hardware).
FLAGS_THAT_MATTER = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_bf16",
                     "amx_int8")
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
BF16_NOT_NATIVE = ("not native here, skipped: this CPU has neither AVX512-BF16 nor AMX, so bf16 is "
                   "emulated (about 1 GFLOP/s against ~180 for fp32)")
CPUINFO = Path("/proc/cpuinfo")


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags (from /proc/cpuinfo unless given its text)."""
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text()
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def flags_that_matter(flags: set[str] | None = None) -> list[str]:
    flags = cpu_flags() if flags is None else flags
    return [flag for flag in FLAGS_THAT_MATTER if flag in flags]


def cpu_has_native_bf16(flags: set[str] | None = None) -> bool:
    """AVX512-BF16 or AMX: bf16 matrix multiply in hardware. Without them bf16 is emulated and slow."""
    flags = cpu_flags() if flags is None else flags
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)


def not_native_reason(precision: str, flags: set[str] | None = None) -> str | None:
    """Why `precision` should not be measured or chosen on this CPU, or None when it runs natively.

    fp32 and int8 (ONNX Runtime's integer GEMM has AVX2, VNNI and AMX kernels) run on every
    x86-64 CPU these machines come with; bf16 only on some."""
    if precision == "bf16" and not cpu_has_native_bf16(flags):
        return BF16_NOT_NATIVE
    return None


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
    return precision in ("fp32", "bf16") and not_native_reason(precision) is None


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
