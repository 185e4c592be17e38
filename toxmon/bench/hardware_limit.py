"""How far is the serving from the hardware limit? Measure matmul GFLOP/s, count FLOPs per text.

    python -m toxmon.bench.hardware_limit --model-dir build/models/bench-base

Prints the machine's sustained matrix-multiply rate (fp32 and bf16 with torch,
int8 with ONNX Runtime's integer GEMM, which the int8 model uses; threads as configured) and the model's forward-pass FLOPs for the benchmark
texts (padded as in a batch), hence an upper bound on texts per second.
A precision this CPU only emulates (bf16 without AVX512-BF16 or AMX) is not
measured: the JSON lists it under "skipped" with the reason, and "cpu_flags"
says which of the flags that matter the CPU has.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer

from precision import flags_that_matter, not_native_reason

from ..checkout import root

ROOT = root()


def square_matmul_rate(multiply, size: int, seconds: float) -> float:
    """Giga-operations per second of `multiply()`, one size x size matrix product per call."""
    for _ in range(5):  # warm up: thread pools, caches, clock
        multiply()
    runs, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        multiply()
        runs += 1
    return 2 * size**3 * runs / (time.perf_counter() - started) / 1e9


def matmul_gflops(dtype: torch.dtype, size: int = 2048, seconds: float = 3.0) -> float:
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    return square_matmul_rate(lambda: torch.mm(a, b), size, seconds)


def int8_matmul_gops(threads: int, size: int = 2048, seconds: float = 3.0) -> float:
    """uint8 x int8 -> int32 products per second through ONNX Runtime's MatMulInteger."""
    import numpy as np
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    weights = numpy_helper.from_array(rng.integers(-128, 127, (size, size), dtype=np.int8), "b")
    graph = helper.make_graph([helper.make_node("MatMulInteger", ["a", "b"], ["c"])], "int8-matmul",
                              [helper.make_tensor_value_info("a", TensorProto.UINT8, [size, size])],
                              [helper.make_tensor_value_info("c", TensorProto.INT32, [size, size])], [weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {"a": rng.integers(0, 255, (size, size), dtype=np.uint8)}
    return square_matmul_rate(lambda: session.run(None, feed), size, seconds)


def forward_flops(config: dict, tokens: int) -> float:
    """Multiply-adds x 2 of one BERT forward pass over `tokens` tokens (embeddings are lookups)."""
    hidden, layers, inner = config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]
    per_layer = 2 * tokens * (4 * hidden * hidden + 2 * hidden * inner)  # QKV + output, FFN in and out
    per_layer += 2 * 2 * tokens * tokens * hidden                          # scores and weighted sum
    head = 2 * hidden * hidden + 2 * hidden * config.get("num_labels", 6)  # pooler and classifier
    return layers * per_layer + head


def limits(model_dir: Path, texts: list[str], threads: int = 2, seconds: float = 3.0) -> dict:
    """The machine's matrix-product rates (the precisions it runs natively) and the texts per
    second they allow for these texts, padded to the longest as in a batch."""
    torch.set_num_threads(threads)
    config = json.loads((model_dir / "config.json").read_text())
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    lengths = [len(e.ids) for e in tokenizer.encode_batch(texts)]
    padded = max(lengths)  # a batch mixing these texts is padded to its longest
    flops = forward_flops(config, padded)
    result = {"threads": threads, "cpu_flags": flags_that_matter(), "skipped": {},
              "tokens_mean": round(sum(lengths) / len(lengths), 1),
              "tokens_padded": padded, "gflop_per_text": round(flops / 1e9, 2)}
    rates = {"fp32": ("matmul_gflops_fp32", lambda: matmul_gflops(torch.float32, seconds=seconds)),
             "bf16": ("matmul_gflops_bf16", lambda: matmul_gflops(torch.bfloat16, seconds=seconds)),
             "int8": ("matmul_gops_int8", lambda: int8_matmul_gops(threads, seconds=seconds))}
    for precision, (key, measure) in rates.items():
        if reason := not_native_reason(precision):
            result["skipped"][precision] = reason
            continue
        rate = measure()
        result[key] = round(rate, 1)
        result[f"texts_per_second_limit_{precision}"] = round(rate * 1e9 / flops, 1)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=ROOT / "build" / "models" / "bench-base")
    parser.add_argument("--texts", type=Path, default=ROOT / "bench" / "texts.json")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per precision")
    args = parser.parse_args(argv)
    texts = json.loads(args.texts.read_text())["texts"]
    print(json.dumps(limits(args.model_dir, texts, args.threads, args.seconds), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
