"""The model behind the handler: torch (fp32, bf16) or ONNX Runtime (int8).

Both take the tokenizer's numpy arrays and return logits as float32 numpy,
so the handler does not care which one it holds.
"""

from pathlib import Path

import numpy as np
import torch

from precision import INT8_MODEL_FILE


class TorchRunner:
    def __init__(self, model_dir: Path, precision: str):
        from transformers import AutoModelForSequenceClassification
        model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
        self.model = model.to(torch.bfloat16) if precision == "bf16" else model

    def logits(self, inputs: dict) -> np.ndarray:
        with torch.inference_mode():
            output = self.model(**{name: torch.from_numpy(array) for name, array in inputs.items()}).logits
        return output.float().numpy()


class OnnxRunner:
    def __init__(self, model_path: Path, threads: int):
        import onnxruntime
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: the CPU is shared with TorchServe's
        # frontend and the UI, which need it between batches.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        self.input_names = [node.name for node in self.session.get_inputs()]

    def logits(self, inputs: dict) -> np.ndarray:
        return self.session.run(["logits"], {name: inputs[name] for name in self.input_names})[0]


def load_runner(model_dir: Path, precision: str, threads: int):
    if precision == "int8":
        return OnnxRunner(Path(model_dir) / INT8_MODEL_FILE, threads)
    return TorchRunner(model_dir, precision)
