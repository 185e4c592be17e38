"""Score texts in this process from a model directory, with the handler TorchServe runs.

The handler's modules are installed beside this package (the same flat layout they
have inside the archive), so toxic_handler.ToxicHandler scores here exactly as in a
worker: same tokenizer settings, truncation, precision choice and sigmoid.
"""

from pathlib import Path

from .api_client import ScoreError

BATCH_SIZE = 16


class LocalScorer:
    def __init__(self, model_dir: Path, precision: str = "fp32", threshold: float | None = None):
        from .model.offline_context import OfflineContext
        from toxic_handler import ToxicHandler  # torch and TorchServe: only when scoring locally
        settings = {"precision": precision}
        if threshold is not None:
            settings["threshold"] = threshold
        self.context = OfflineContext(Path(model_dir), settings, version="local")
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
        "tokens": prediction["tokens"], "windows": prediction["windows"],
    }
