"""TorchServe's Context for running ToxicHandler outside TorchServe.

Used by the archive-time precision check (compare_precision.py), `toxmon evaluate
--model-dir` and the handler tests. It holds what the handler reads (model folder,
name, version, its model-config.yaml section, request headers) and records what it
reports (per-request statuses, metrics), so callers can read both. Not packed into
the archive: inside TorchServe the real Context is used.

Its settings are the archive's: handler/model-config.yaml (or another model config),
with only the caller's overrides changed, so every path scores with the same settings.
"""

from collections import defaultdict
from pathlib import Path

from labels import MODEL_NAME

from .handler_files import shipped_model_config


class RecordingMetric:
    def __init__(self, store, name):
        self.store, self.name = store, name

    def add_or_update(self, value, dimension_values=(), request_id=""):
        self.store[(self.name, tuple(dimension_values))] += value


class RecordingMetrics:
    def __init__(self):
        self.values = defaultdict(float)
        self.times = []

    def get_metric(self, name, metric_type=None):
        return RecordingMetric(self.values, name)

    def add_time(self, name, value, idx=None, unit="ms"):
        self.times.append((name, value))


class OfflineContext:
    model_name = MODEL_NAME

    def __init__(self, model_dir, handler_settings: dict | None = None, version: str = "1.0",
                 config_file: Path | None = None):
        config = shipped_model_config(config_file)
        self.system_properties = {"model_dir": str(model_dir), "gpu_id": None, "batch_size": config["batchSize"]}
        self.manifest = {"model": {"modelName": MODEL_NAME, "modelVersion": version}}
        self.model_yaml_config = {**config, "handler": {**config["handler"], **(handler_settings or {})}}
        self.metrics = RecordingMetrics()
        self.statuses = {}  # batch index -> (code, message) the handler answered with
        self.headers = {}   # batch index -> {header: value}, as TorchServe passes them per request

    def get_request_header(self, idx, key):
        return self.headers.get(idx, {}).get(key)

    def set_response_status(self, code=200, phrase="", idx=0):
        self.statuses[idx] = (code, phrase)
