"""Numeric precision of the served model.

fp32 is the reference. bf16 halves weight memory and uses the CPU's bf16
units where it has them. int8 quantizes the linear layers dynamically
(weights int8, activations quantized per batch), the classic CPU speed-up
for BERT. Every non-fp32 choice must be checked against fp32 on real
weights before it becomes a default (see the README).
"""

import torch

PRECISIONS = ("fp32", "bf16", "int8")


def apply_precision(model: torch.nn.Module, precision: str) -> torch.nn.Module:
    if precision == "fp32":
        return model
    if precision == "bf16":
        return model.to(torch.bfloat16)
    if precision == "int8":
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
