"""TorchServe handler for unitary/toxic-bert (and the offline demo model).

Stays on TorchServe's public BaseHandler API: initialize / preprocess /
inference / postprocess, `context.set_response_status` for per-request errors
and `context.metrics` for custom metrics declared in config/metrics.yaml.

A batch may mix good and bad requests: bad ones are answered with their own
4xx while the good ones are scored together in one forward pass. No request
can fail another: if tokenizing or scoring the batch raises, the requests are
retried one by one, only those that fail alone get an error, and the fallback
is counted (toxicity_handler_isolated_failures_total). A request to TorchServe's
/explanations API gets its own 501: BaseHandler routes a whole batch by its first
request's headers, which once made one explanation request fail every prediction
it was batched with.
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
from handler_settings import Batch, HandlerSettings, RequestFailure  # noqa: E402
from request_parsing import InputError, extract_text  # noqa: E402
from runners import load_runner  # noqa: E402

logger = logging.getLogger(__name__)
NOT_EXPLAINED = RequestFailure(501, "explanations are not implemented for this model: use /predictions")

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
        texts = {}  # batch index -> text
        for index, request in enumerate(data):
            if self.context.get_request_header(index, "explain") == "True":
                batch.errors[index] = NOT_EXPLAINED
                continue
            try:
                texts[index] = extract_text(request, self.settings.max_chars)
            except InputError as error:
                batch.errors[index] = error
        encodings = self._encode(texts, batch)
        batch.indices, batch.encodings = list(encodings), list(encodings.values())
        if encodings:
            batch.inputs = {
                "input_ids": np.array([e.ids for e in batch.encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in batch.encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in batch.encodings], dtype=np.int64),
            }
        return batch

    def explain_handle(self, data_preprocess, raw_data):
        """BaseHandler calls this for the whole batch when its first request asked /explanations.
        preprocess has already answered every explanation request with a 501: score the rest."""
        return self.postprocess(self.inference(data_preprocess))

    def _encode(self, texts: dict, batch: Batch) -> dict:
        """Tokenize the batch together; if that raises, find the texts that fail alone."""
        if not texts:
            return {}
        try:
            return dict(zip(texts, self.tokenizer.encode_batch(list(texts.values()))))
        except Exception:
            logger.exception("tokenizing a batch of %d failed; isolating the text(s) at fault", len(texts))
        readable = {}
        for index, text in texts.items():
            try:
                self.tokenizer.encode(text)
                readable[index] = text
            except Exception as error:
                batch.errors[index] = InputError(422, f"the tokenizer cannot read this text ({error})")
                batch.isolated["tokenize"] += 1
        # Encoded again together, so every row is padded to one length.
        return dict(zip(readable, self.tokenizer.encode_batch(list(readable.values())))) if readable else {}

    def inference(self, batch, *args, **kwargs):
        if self.settings.test_delay_seconds:
            time.sleep(self.settings.test_delay_seconds)
        if batch.indices:
            try:
                logits = self.runner.logits(batch.inputs)
            except Exception:
                logger.exception("scoring a batch of %d failed; scoring its texts one by one", len(batch.indices))
                logits = self._logits_one_by_one(batch)
            # toxic-bert is multi-label: each label is an independent sigmoid.
            batch.scores = (1.0 / (1.0 + np.exp(-logits.astype(np.float64)))).tolist()
        return batch

    def _logits_one_by_one(self, batch: Batch) -> np.ndarray:
        """Score each row alone; rows that fail alone leave the batch with a 500 of their own.

        If every row fails alone too, the fault is the model's, not a request's: raise, and
        TorchServe answers the whole batch with its error."""
        rows, failed = [], {}
        for row, index in enumerate(batch.indices):
            try:
                rows.append(self.runner.logits({name: array[row:row + 1] for name, array in batch.inputs.items()}))
            except Exception as error:
                failed[row] = error
        if len(failed) == len(batch.indices):
            raise failed[0]
        for row in sorted(failed, reverse=True):
            index = batch.indices.pop(row)
            del batch.encodings[row]
            batch.errors[index] = RequestFailure(500, f"the model failed on this text ({type(failed[row]).__name__})")
            batch.isolated["model"] += 1
        return np.concatenate(rows)

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
        if batch.errors and batch.indices:  # a refused request and a scored one shared this batch
            metrics.get_metric("toxicity_handler_mixed_batches_total", MetricTypes.COUNTER).add_or_update(1, base)
        for stage, count in batch.isolated.items():
            metrics.get_metric("toxicity_handler_isolated_failures_total", MetricTypes.COUNTER).add_or_update(
                count, base + [stage])
        verdicts = metrics.get_metric("toxicity_verdicts_total", MetricTypes.COUNTER)
        for index in batch.indices:
            prediction = responses[index]
            if prediction["truncated"]:
                metrics.get_metric("toxicity_handler_truncated_total", MetricTypes.COUNTER).add_or_update(
                    1, base)
            for label, score in prediction["scores"].items():
                if score >= self.settings.threshold:
                    verdicts.add_or_update(1, base + [label])
