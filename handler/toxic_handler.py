"""TorchServe handler for unitary/toxic-bert (and the offline demo model).

Stays on TorchServe's public BaseHandler API: initialize / preprocess /
inference / postprocess, `context.set_response_status` for per-request errors
and `context.metrics` for custom metrics declared in config/metrics.yaml.

A batch may mix good and bad requests: bad ones are answered with their own
4xx while the good ones are scored together in one forward pass.
"""

import logging
import os
import time
from pathlib import Path

# The archive must never reach for the hub: everything it needs is inside it.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from transformers import AutoConfig  # noqa: E402
from ts.metrics.metric_type_enum import MetricTypes  # noqa: E402
from ts.torch_handler.base_handler import BaseHandler  # noqa: E402

from labels import LABELS  # noqa: E402
from precision import resolve  # noqa: E402
from handler_settings import Batch, HandlerSettings  # noqa: E402
from request_parsing import InputError, extract_text  # noqa: E402
from runners import load_runner  # noqa: E402

logger = logging.getLogger(__name__)

class ToxicHandler(BaseHandler):
    def initialize(self, context):
        # BaseHandler.initialize would load a TorchScript/eager file; this
        # model is a Hugging Face directory, so load it here instead.
        self.context = context
        self.manifest = context.manifest
        self.device = torch.device("cpu")  # the product targets plain CPUs
        model_dir = Path(context.system_properties["model_dir"])
        yaml_config = getattr(context, "model_yaml_config", None) or {}
        self.model_yaml_config = yaml_config
        self.settings = HandlerSettings.from_mapping(yaml_config.get("handler", {}))
        torch.set_num_threads(self.settings.torch_threads)

        self.model_config = AutoConfig.from_pretrained(model_dir)
        config_labels = [self.model_config.id2label[i] for i in range(self.model_config.num_labels)]
        if config_labels != list(LABELS):
            raise RuntimeError(f"model labels {config_labels} are not toxic-bert's {list(LABELS)}")
        self.precision, why = resolve(self.settings.precision, model_dir)
        logger.info("precision %s (setting %s): %s", self.precision, self.settings.precision, why)
        self.runner = load_runner(model_dir, self.precision, self.settings.torch_threads)

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.settings.max_length)
        pad_id = self.tokenizer.token_to_id("[PAD]")
        self.tokenizer.enable_padding(pad_id=pad_id, pad_token="[PAD]")

        self.model_info = self._model_info(context)
        self.initialized = True
        logger.info("toxic-bert handler ready: %s, settings %s", self.model_info, self.settings)

    def _model_info(self, context) -> dict:
        provenance = getattr(self.model_config, "toxicity_monitor", None) or {}
        manifest_model = (context.manifest or {}).get("model", {})
        return {
            "name": provenance.get("name", "unitary/toxic-bert"),
            "source": provenance.get("source", "unknown"),
            "version": manifest_model.get("modelVersion", "unknown"),
            "created": provenance.get("created"),
            "demo": bool(provenance.get("demo", False)),
            "precision": self.precision,
        }

    def preprocess(self, data):
        batch = Batch(size=len(data))
        texts = []
        for index, request in enumerate(data):
            try:
                texts.append(extract_text(request, self.settings.max_chars))
                batch.indices.append(index)
            except InputError as error:
                batch.errors[index] = error
        if texts:
            batch.encodings = self.tokenizer.encode_batch(texts)
            batch.inputs = {
                "input_ids": np.array([e.ids for e in batch.encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in batch.encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in batch.encodings], dtype=np.int64),
            }
        return batch

    def inference(self, batch, *args, **kwargs):
        if self.settings.test_delay_seconds:
            time.sleep(self.settings.test_delay_seconds)
        if batch.indices:
            logits = self.runner.logits(batch.inputs)
            # toxic-bert is multi-label: each label is an independent sigmoid.
            batch.scores = (1.0 / (1.0 + np.exp(-logits.astype(np.float64)))).tolist()
        return batch

    def postprocess(self, batch):
        """One response per request, in batch order; errors get their own status."""
        responses = [None] * batch.size
        for index, error in batch.errors.items():
            self.context.set_response_status(error.status, error.message, index)
            responses[index] = {"error": {"code": error.status, "message": error.message}}
        for row, index in enumerate(batch.indices):
            responses[index] = self._prediction(batch.scores[row], batch.encodings[row])
        self._record_metrics(batch, responses)
        return responses

    def _prediction(self, row_scores: list, encoding) -> dict:
        scores = {label: round(score, 6) for label, score in zip(LABELS, row_scores)}
        top_label = max(scores, key=scores.get)
        return {
            "scores": scores,
            "is_toxic": scores[top_label] >= self.settings.threshold,
            "top_label": top_label,
            "threshold": self.settings.threshold,
            "tokens": sum(encoding.attention_mask),
            "truncated": bool(encoding.overflowing),
            "model": self.model_info,
        }

    def _record_metrics(self, batch: Batch, responses: list) -> None:
        metrics = self.context.metrics
        model = self.context.model_name
        base = [model, "Model"]
        metrics.get_metric("toxicity_handler_batch_size", MetricTypes.GAUGE).add_or_update(batch.size, base)
        metrics.get_metric("toxicity_handler_batches_total", MetricTypes.COUNTER).add_or_update(1, base)
        metrics.get_metric("toxicity_handler_requests_total", MetricTypes.COUNTER).add_or_update(
            batch.size, base)
        for error in batch.errors.values():
            metrics.get_metric("toxicity_handler_input_errors_total", MetricTypes.COUNTER).add_or_update(
                1, base + [str(error.status)])
        verdicts = metrics.get_metric("toxicity_verdicts_total", MetricTypes.COUNTER)
        for index in batch.indices:
            prediction = responses[index]
            if prediction["truncated"]:
                metrics.get_metric("toxicity_handler_truncated_total", MetricTypes.COUNTER).add_or_update(
                    1, base)
            for label, score in prediction["scores"].items():
                if score >= self.settings.threshold:
                    verdicts.add_or_update(1, base + [label])
