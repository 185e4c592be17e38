"""The handler's settings and the per-batch state it passes between steps.

Kept apart from toxic_handler.py because TorchServe requires the handler
module to define exactly one class.
"""

from collections import Counter
from dataclasses import dataclass, field

DEFAULT_SETTINGS = {
    "max_length": 256,       # tokens; the model's hard limit is 512
    "threshold": 0.5,        # a label at or above this makes the text toxic
    "torch_threads": 1,      # intra-op threads per worker (torch or ONNX Runtime); workers x threads = cores
    "precision": "auto",     # fp32 | bf16 | int8 | auto (see precision.py)
    "max_chars": 100_000,    # refuse bigger texts before tokenizing them
    "test_delay_seconds": 0,  # fault-injection knob for tests only: sleep per batch
}


@dataclass
class HandlerSettings:
    max_length: int
    threshold: float
    torch_threads: int
    precision: str
    max_chars: int
    test_delay_seconds: float

    @classmethod
    def from_mapping(cls, mapping: dict) -> "HandlerSettings":
        unknown = set(mapping) - set(DEFAULT_SETTINGS)
        if unknown:
            raise ValueError(f"unknown handler settings: {sorted(unknown)}")
        merged = {**DEFAULT_SETTINGS, **mapping}
        settings = cls(max_length=int(merged["max_length"]), threshold=float(merged["threshold"]),
                       torch_threads=int(merged["torch_threads"]), precision=str(merged["precision"]),
                       max_chars=int(merged["max_chars"]),
                       test_delay_seconds=float(merged["test_delay_seconds"]))
        if not 8 <= settings.max_length <= 512:
            raise ValueError("max_length must be between 8 and 512 tokens")
        if not 0.0 < settings.threshold < 1.0:
            raise ValueError("threshold must be between 0 and 1")
        if settings.torch_threads < 1:
            raise ValueError("torch_threads must be at least 1")
        return settings


@dataclass
class RequestFailure:
    """A request that failed on the server's side, answered with its own status."""
    status: int
    message: str


@dataclass
class Batch:
    """The good requests of one TorchServe batch, tokenized together."""
    size: int
    errors: dict = field(default_factory=dict)      # batch index -> InputError
    indices: list = field(default_factory=list)     # batch indices of good requests
    encodings: list = field(default_factory=list)   # one tokenizers.Encoding per good request
    inputs: dict = field(default_factory=dict)      # int64 numpy arrays for the good requests
    scores: list = field(default_factory=list)      # sigmoid scores, one row per good request
    isolated: Counter = field(default_factory=Counter)  # stage -> requests that failed alone after a batch failure
