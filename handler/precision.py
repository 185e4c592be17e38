"""Numeric precision of the served model.

fp32 is the reference. bf16 halves weight memory and runs on the CPU's bf16
units (AMX, AVX512-BF16) where it has them. int8 quantizes the linear layers
dynamically (weights int8, activations quantized per batch), the classic CPU
speed-up for BERT on CPUs without bf16 units; on the demo model it drifts far
more than bf16 (see README), so `auto` never picks it. `auto` is bf16 where
the CPU runs it natively, else fp32. Any non-fp32 choice must be checked
against fp32 on the real weights before it becomes their default:
handler/compare_precision.py does that.
"""

from pathlib import Path

import torch

PRECISIONS = ("fp32", "bf16", "int8", "auto")


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: bf16 matrix multiply in hardware. Without them bf16 is emulated and slow."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def int8_engine_available() -> bool:
    return any(engine in torch.backends.quantized.supported_engines for engine in ("x86", "fbgemm", "qnnpack"))


def resolve(precision: str) -> str:
    """The concrete precision for a setting: `auto` is native bf16 (as fast as int8 here, 40x
    closer to fp32 on the demo model), else fp32."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision == "int8" and not int8_engine_available():
        raise ValueError("int8 needs a quantized engine (x86/fbgemm or qnnpack) that this torch lacks")
    if precision != "auto":
        return precision
    return "bf16" if cpu_has_native_bf16() else "fp32"


def apply_precision(model: torch.nn.Module, precision: str) -> torch.nn.Module:
    """Return the model converted to `precision` (already resolved, not `auto`)."""
    if precision == "fp32":
        return model
    if precision == "bf16":
        return model.to(torch.bfloat16)
    if precision == "int8":
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
