"""A stand-in for TorchServe's Context, for handler tests without a server.

It records what the handler reports (statuses, metrics) so tests can check
them; the real Context is exercised by the integration tests.
"""

from collections import defaultdict


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


class FakeContext:
    model_name = "toxic-bert"

    def __init__(self, model_dir, handler_settings=None, version="1.0"):
        self.system_properties = {"model_dir": str(model_dir), "gpu_id": None, "batch_size": 8}
        self.manifest = {"model": {"modelName": "toxic-bert", "modelVersion": version}}
        self.model_yaml_config = {"handler": handler_settings or {}}
        self.metrics = RecordingMetrics()
        self.statuses = {}
        self.headers = {}  # batch index -> {header: value}, as TorchServe passes them per request

    def get_request_header(self, idx, key):
        return self.headers.get(idx, {}).get(key)

    def set_response_status(self, code=200, phrase="", idx=0):
        self.statuses[idx] = (code, phrase)
