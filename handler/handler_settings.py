"""The handler's settings and the per-batch state it passes between steps.

Kept apart from toxic_handler.py because TorchServe requires the handler
module to define exactly one class.
"""

from collections import Counter
from dataclasses import dataclass, field, fields

# The values live in one place, the `handler:` section of model-config.yaml, which travels
# in the archive (TorchServe hands it over as context.model_yaml_config; toxmon's offline
# scorer reads the same file). Only this test knob has a default: production never sets it.
OPTIONAL_SETTINGS = {"test_delay_seconds": 0}  # fault injection for tests: sleep per batch


@dataclass
class HandlerSettings:
    """The meaning of each setting is written beside its value in model-config.yaml."""
    max_length: int
    window_overlap: int
    max_windows: int
    max_request_windows: int
    max_texts: int
    threshold: float
    torch_threads: int
    precision: str
    max_chars: int
    length_grouping: bool
    group_overhead_tokens: int
    explain_context_tokens: int
    explain_max_words: int
    explain_max_passages: int
    explain_top: int
    test_delay_seconds: float

    @classmethod
    def from_mapping(cls, mapping: dict) -> "HandlerSettings":
        names = {f.name for f in fields(cls)}
        unknown = set(mapping) - names
        if unknown:
            raise ValueError(f"unknown handler settings: {sorted(unknown)}")
        missing = names - set(mapping) - set(OPTIONAL_SETTINGS)
        if missing:
            raise ValueError(f"model-config.yaml's handler section lacks {sorted(missing)}")
        merged = {**OPTIONAL_SETTINGS, **mapping}
        settings = cls(**{f.name: _cast(f.type, merged[f.name]) for f in fields(cls)})
        if not 8 <= settings.max_length <= 512:
            raise ValueError("max_length must be between 8 and 512 tokens")
        if not 0 <= settings.window_overlap <= settings.max_length // 2:
            raise ValueError("window_overlap must be between 0 and half of max_length")
        if not 1 <= settings.max_windows <= settings.max_request_windows:
            raise ValueError("max_windows must be at least 1 and at most max_request_windows")
        if min(settings.max_texts, settings.explain_context_tokens, settings.explain_max_words,
               settings.explain_max_passages, settings.explain_top) < 1:
            raise ValueError("max_texts and the explain_ settings must be at least 1")
        if not 0.0 < settings.threshold < 1.0:
            raise ValueError("threshold must be between 0 and 1")
        if settings.torch_threads < 1:
            raise ValueError("torch_threads must be at least 1")
        return settings


def _cast(kind: type, value):
    if kind is bool and not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return kind(value)


@dataclass
class RequestFailure:
    """A request that failed on the server's side, answered with its own status."""
    status: int
    message: str


@dataclass
class Item:
    """One text to score: a request's only text, or one of its {"texts": [...]}."""
    request: int                     # batch index of the request it came from
    text: str
    explain: bool = False
    explain_at: dict = field(default_factory=dict)  # label -> score from which it is explained
    windows: list = field(default_factory=list)     # tokenizers.Encoding per window, in text order
    scores: list = field(default_factory=list)      # sigmoid scores per window (numpy rows)
    explained: dict = field(default_factory=dict)   # (window, passage) -> occlusion.Occlusion
    explained_by: dict = field(default_factory=dict)  # label index -> the (window, passage) explaining it
    error: object = None             # InputError or RequestFailure once it cannot be scored


@dataclass
class Batch:
    """One TorchServe batch: its requests, and the texts of the good ones."""
    size: int
    errors: dict = field(default_factory=dict)      # batch index -> InputError/RequestFailure of the request
    many: set = field(default_factory=set)          # batch indices of {"texts": [...]} requests
    items: list = field(default_factory=list)       # Item per text of the good requests, in request order
    passes: list = field(default_factory=list)      # rows per forward pass, for the metrics
    isolated: Counter = field(default_factory=Counter)  # stage -> texts that failed alone after a batch failure
