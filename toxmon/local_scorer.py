"""Score texts in this process from a model directory, with the handler TorchServe runs.

The handler's modules are installed beside this package (the same flat layout they
have inside the archive), so toxic_handler.ToxicHandler scores here exactly as in a
worker: same tokenizer settings, truncation, precision choice and sigmoid.
"""

from pathlib import Path

from .api_client import ScoreError

BATCH_SIZE = 16


class _Context:
    """The part of TorchServe's Context the handler uses; statuses are what it answered."""
    model_name = "toxic-bert"

    def __init__(self, model_dir: Path, handler_settings: dict):
        self.system_properties = {"model_dir": str(model_dir), "gpu_id": None}
        self.manifest = {"model": {"modelName": "toxic-bert", "modelVersion": "local"}}
        self.model_yaml_config = {"handler": handler_settings}
        self.metrics = _NoMetrics()
        self.statuses = {}

    def get_request_header(self, index, name):
        return None

    def set_response_status(self, code=200, phrase="", idx=0):
        self.statuses[idx] = (code, phrase)


class _NoMetrics:
    def get_metric(self, *args, **kwargs):
        return self

    def add_or_update(self, *args, **kwargs):
        pass


class LocalScorer:
    def __init__(self, model_dir: Path, precision: str = "fp32", threshold: float | None = None):
        from toxic_handler import ToxicHandler  # torch and TorchServe: only when scoring locally
        settings = {"precision": precision}
        if threshold is not None:
            settings["threshold"] = threshold
        self.context = _Context(Path(model_dir), settings)
        self.handler = ToxicHandler()
        self.handler.initialize(self.context)

    def score_all(self, texts: list, on_done=None) -> list:
        results = []
        for start in range(0, len(texts), BATCH_SIZE):
            chunk = texts[start:start + BATCH_SIZE]
            self.context.statuses = {}
            data = [{"body": {"text": text}} for text in chunk]
            answers = self.handler.postprocess(self.handler.inference(self.handler.preprocess(data)))
            for index, answer in enumerate(answers):
                if chunk[index] is None:
                    results.append(None)
                elif index in self.context.statuses:
                    code, message = self.context.statuses[index]
                    results.append(ScoreError(f"{code}: {message}"))
                else:
                    results.append(as_api_result(answer))
                if on_done:
                    on_done()
        return results


def as_api_result(prediction: dict) -> dict:
    """The handler's answer in the shape the UI's API gives, so both sources read alike."""
    scores = prediction["scores"]
    threshold = prediction["threshold"]
    over = [label for label, score in sorted(scores.items(), key=lambda kv: -kv[1]) if score >= threshold]
    model = prediction["model"]
    return {
        "scores": scores,
        "verdict": {"is_toxic": bool(over), "top_label": prediction["top_label"],
                    "top_score": scores[prediction["top_label"]], "labels": over},
        "threshold": threshold,
        "model": model["name"], "model_version": model["version"], "model_date": model["created"],
        "model_precision": model["precision"], "demo": model["demo"],
        "tokens": prediction["tokens"], "truncated": prediction["truncated"],
    }
