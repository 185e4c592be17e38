"""TorchServe handler for unitary/toxic-bert (and the offline demo model).

Stays on TorchServe's public BaseHandler API: initialize / preprocess /
inference / postprocess, `context.set_response_status` for per-request errors
and `context.metrics` for custom metrics declared in config/metrics.yaml.

A request holds one text or many (`{"texts": [...]}`); every text of every
request in TorchServe's batch is split into windows (windows.py: a long text is
scored whole, each label taking its maximum over the windows), and the windows
are scored in forward passes of similar length. On request the words behind
each flagged label are found by occlusion (occlusion.py).

No request can fail another, nor a text its neighbours: bad input gets its own
4xx, and if tokenizing or a forward pass raises, the texts are retried one by
one, only those that fail alone get an error, and the fallback is counted
(toxicity_handler_isolated_failures_total). A request to TorchServe's
/explanations API gets its own 501: BaseHandler routes a whole batch by its first
request's headers, which once made one explanation request fail every prediction
it was batched with; explanations are asked for in the body instead.
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

from handler_settings import Batch, HandlerSettings, Item, RequestFailure  # noqa: E402
from labels import HUB_MODEL_ID, LABELS  # noqa: E402
from occlusion import occlude, passage_row, passages, top_spans, words_of  # noqa: E402
from precision import resolve  # noqa: E402
from request_parsing import InputError, parse_request  # noqa: E402
from runners import load_runner  # noqa: E402
from windows import char_span, group_by_length, padded_inputs, token_count, windows_of  # noqa: E402

logger = logging.getLogger(__name__)
NOT_EXPLAINED = RequestFailure(501, 'use /predictions with "explain": true in the body for explanations')
MAX_ROWS_PER_PASS = 64  # bounds one forward pass's memory; more rows of one length make more passes


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
        # Rows are padded per forward pass (windows.padded_inputs), not by the tokenizer.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.settings.max_length, stride=self.settings.window_overlap)
        self.pad_id = self.tokenizer.token_to_id("[PAD]")

        self.model_info = self._model_info(context)
        self.initialized = True
        logger.info("toxic-bert handler ready: %s, settings %s", self.model_info, self.settings)

    def _model_info(self, context) -> dict:
        provenance = getattr(self.model_config, "toxicity_monitor", None) or {}
        manifest_model = (context.manifest or {}).get("model", {})
        return {
            "name": provenance.get("name", HUB_MODEL_ID),
            "source": provenance.get("source", "unknown"),
            "version": manifest_model.get("modelVersion", "unknown"),
            "created": provenance.get("created"),
            "demo": bool(provenance.get("demo", False)),
            "precision": self.precision,
        }

    # --- preprocess: requests -> texts -> windows ------------------------------------
    def preprocess(self, data):
        batch = Batch(size=len(data))
        for index, request in enumerate(data):
            if self.context.get_request_header(index, "explain") == "True":
                batch.errors[index] = NOT_EXPLAINED
                continue
            try:
                parsed = parse_request(request, self.settings.max_chars, self.settings.max_texts)
            except InputError as error:
                batch.errors[index] = error
                continue
            if parsed.many:
                batch.many.add(index)
            for text in parsed.texts:
                item = Item(index, "", parsed.explain, parsed.explain_at)
                if isinstance(text, InputError):
                    item.error = text
                else:
                    item.text = text
                batch.items.append(item)
        self._tokenize([item for item in batch.items if item.error is None], batch)
        self._bound_windows(batch)
        return batch

    def explain_handle(self, data_preprocess, raw_data):
        """BaseHandler calls this for the whole batch when its first request asked /explanations.
        preprocess has already answered every such request with a 501: score the rest."""
        return self.postprocess(self.inference(data_preprocess))

    def _tokenize(self, items: list, batch: Batch) -> None:
        """Tokenize the texts together; if that raises, find the texts that fail alone."""
        if not items:
            return
        try:
            encodings = self.tokenizer.encode_batch([item.text for item in items])
        except Exception:
            logger.exception("tokenizing %d texts failed; isolating the text(s) at fault", len(items))
            encodings = []
            for item in items:
                try:
                    encodings.append(self.tokenizer.encode(item.text))
                except Exception as error:
                    encodings.append(None)
                    item.error = InputError(422, f"the tokenizer cannot read this text ({error})")
                    batch.isolated["tokenize"] += 1
        for item, encoding in zip(items, encodings):
            if encoding is not None:
                item.windows = windows_of(encoding)

    def _bound_windows(self, batch: Batch) -> None:
        """Refuse texts, and whole requests, that would cost more windows than allowed."""
        settings, per_request = self.settings, {}
        for item in batch.items:
            if item.error is None and len(item.windows) > settings.max_windows:
                item.error = InputError(413, f"text needs {len(item.windows)} windows of {settings.max_length} "
                                             f"tokens, the limit is {settings.max_windows}")
            if item.error is None:
                per_request[item.request] = per_request.get(item.request, 0) + len(item.windows)
        for index, windows in per_request.items():
            if windows > settings.max_request_windows:
                batch.errors[index] = InputError(413, f"the texts need {windows} windows of {settings.max_length} "
                                                      f"tokens, the limit per request is {settings.max_request_windows}")
        batch.items = [item for item in batch.items if item.request not in batch.errors]

    # --- inference: windows -> scores (-> occlusions) -----------------------------------
    def inference(self, batch, *args, **kwargs):
        if self.settings.test_delay_seconds:
            time.sleep(self.settings.test_delay_seconds)
        scorable = [item for item in batch.items if item.error is None]
        rows = [(item, window) for item in scorable for window in item.windows]
        results = self._score_rows([(w.ids, w.type_ids) for _, w in rows], batch)
        for item in scorable:
            item.scores = [results.pop(0) for _ in item.windows]
            failed = next((r for r in item.scores if isinstance(r, Exception)), None)
            if failed is not None:
                item.error = RequestFailure(500, f"the model failed on this text ({type(failed).__name__})")
                batch.isolated["model"] += 1
        self._explain([item for item in scorable if item.error is None and item.explain], batch)
        return batch

    def _score_rows(self, rows: list, batch: Batch) -> list:
        """Sigmoid scores per row (or the exception that row raised alone), in row order.

        If every row fails alone too, the fault is the model's, not a text's: raise, and
        TorchServe answers the whole batch with its error."""
        if not rows:
            return []
        if self.settings.length_grouping:
            groups = group_by_length([len(ids) for ids, _ in rows], self.settings.group_overhead_tokens,
                                     MAX_ROWS_PER_PASS)
        else:
            groups = [list(range(len(rows)))]
        results = [None] * len(rows)
        for group in groups:
            batch.passes.append(len(group))
            try:
                logits = self.runner.logits(padded_inputs([rows[r] for r in group], self.pad_id))
            except Exception:
                logger.exception("scoring %d rows failed; scoring them one by one", len(group))
                logits = []
                for r in group:
                    try:
                        logits.append(self.runner.logits(padded_inputs([rows[r]], self.pad_id))[0])
                    except Exception as error:
                        logits.append(error)
            for r, row_logits in zip(group, logits):
                results[r] = row_logits if isinstance(row_logits, Exception) else _sigmoid(row_logits)
        if all(isinstance(result, Exception) for result in results):
            raise results[0]
        return results

    def _explain(self, items: list, batch: Batch) -> None:
        """For each label at or above its explanation score, strongest first: the passage of its
        window that scores it highest, then each word of that passage removed in turn."""
        settings = self.settings
        wanted = []  # (item, window, label index)
        for item in items:
            best = _best_windows(item.scores)
            for i in sorted(range(len(LABELS)), key=lambda i: -item.scores[best[i]][i]):
                if item.scores[best[i]][i] >= item.explain_at.get(LABELS[i], settings.threshold):
                    wanted.append((item, best[i], i))
        # The passages of each window to explain; a window of one passage is scored already.
        cut = {}
        for item, window, _ in wanted:
            if (id(item), window) not in cut:
                cut[(id(item), window)] = passages(words_of(item.windows[window]), settings.explain_context_tokens)
        owners = {(id(item), window): item.windows[window] for item, window, _ in wanted}
        several = [(key, passage) for key, cuts in cut.items() if len(cuts) > 1 for passage in cuts]
        results = self._score_rows([passage_row(owners[key], passage) for key, passage in several], batch)
        passage_scores = {}
        for (key, _), result in zip(several, results):
            passage_scores.setdefault(key, []).append(result)
        for item, window, label in wanted:
            key = (id(item), window)
            if len(cut[key]) == 1:
                index, base = 0, item.scores[window]
            else:
                scores = passage_scores[key]
                if any(isinstance(s, Exception) for s in scores):
                    item.error = RequestFailure(500, "the model failed while explaining this text")
                    continue
                index = max(range(len(scores)), key=lambda j: scores[j][label])
                base = scores[index]
            place = (window, index)
            if place not in item.explained:
                if len(item.explained) >= settings.explain_max_passages:
                    continue  # the cost bound: weaker labels in other passages go unexplained
                item.explained[place] = occlude(item.windows[window], window, cut[key][index],
                                                settings.explain_max_words)
                item.explained[place].base = base
            item.explained_by[label] = place
        self._score_occlusions([o for item in items for o in item.explained.values()], batch)
        for item in items:
            if any(isinstance(s, Exception) for o in item.explained.values() for s in o.scores):
                item.error = RequestFailure(500, "the model failed while explaining this text")
                batch.isolated["explain"] += 1

    def _score_occlusions(self, occlusions: list, batch: Batch) -> None:
        results = self._score_rows([row for o in occlusions for row in o.rows], batch)
        for occlusion in occlusions:
            occlusion.scores = [results.pop(0) for _ in occlusion.rows]

    # --- postprocess: one response per request ------------------------------------------
    def postprocess(self, batch):
        """One response per request, in batch order; errors get their own status."""
        responses = [None] * batch.size
        for index, error in batch.errors.items():
            self._refuse(responses, index, error)
        by_request = {}
        for item in batch.items:
            by_request.setdefault(item.request, []).append(item)
        for index, items in by_request.items():
            if index in batch.many:
                results = [_error_body(item.error) if item.error else self._prediction(item) for item in items]
                responses[index] = {"results": results, "model": self.model_info}
            elif items[0].error:
                self._refuse(responses, index, items[0].error)
            else:
                responses[index] = {**self._prediction(items[0]), "model": self.model_info}
        self._record_metrics(batch)
        return responses

    def _refuse(self, responses: list, index: int, error) -> None:
        self.context.set_response_status(error.status, error.message, index)
        responses[index] = _error_body(error)

    def _prediction(self, item: Item) -> dict:
        best = _best_windows(item.scores)
        scores = {label: round(float(item.scores[best[i]][i]), 6) for i, label in enumerate(LABELS)}
        top_label = max(scores, key=scores.get)
        prediction = {
            "scores": scores,
            "is_toxic": scores[top_label] >= self.settings.threshold,
            "top_label": top_label,
            "threshold": self.settings.threshold,
            "tokens": token_count(item.windows, self.settings.window_overlap),
            "windows": len(item.windows),
            # Where in the text each label's score comes from: the window that scored it highest.
            "drivers": {label: {"window": best[i], **_span(item.windows[best[i]])} for i, label in enumerate(LABELS)},
        }
        if item.explain:
            prediction["explanation"] = {
                label: top_spans(item.text, item.windows[item.explained_by[i][0]], item.explained[item.explained_by[i]],
                                 i, self.settings.explain_top)
                for i, label in enumerate(LABELS) if i in item.explained_by}
        return prediction

    def _record_metrics(self, batch: Batch) -> None:
        metrics = self.context.metrics
        base = [self.context.model_name, "Model"]

        def count(name, value, *dimensions):
            metrics.get_metric(name, MetricTypes.COUNTER).add_or_update(value, base + list(dimensions))

        metrics.get_metric("toxicity_handler_batch_size", MetricTypes.GAUGE).add_or_update(batch.size, base)
        count("toxicity_handler_batches_total", 1)
        count("toxicity_handler_requests_total", batch.size)
        count("toxicity_handler_forward_passes_total", len(batch.passes))
        count("toxicity_handler_forward_rows_total", sum(batch.passes))  # the cost, not a timing
        refused = list(batch.errors.values()) + [item.error for item in batch.items if item.error]
        for error in refused:
            count("toxicity_handler_input_errors_total", 1, str(error.status))
        scored = [item for item in batch.items if item.error is None]
        if refused and scored:  # a refused text and a scored one shared this batch
            count("toxicity_handler_mixed_batches_total", 1)
        for stage, failures in batch.isolated.items():
            count("toxicity_handler_isolated_failures_total", failures, stage)
        count("toxicity_handler_texts_total", len(scored))
        count("toxicity_handler_windows_total", sum(len(item.windows) for item in scored))
        count("toxicity_handler_long_texts_total", sum(len(item.windows) > 1 for item in scored))
        count("toxicity_handler_explained_texts_total", sum(item.explain for item in scored))
        for item in scored:
            best = _best_windows(item.scores)
            for i, label in enumerate(LABELS):
                if item.scores[best[i]][i] >= self.settings.threshold:
                    count("toxicity_verdicts_total", 1, label)


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    # toxic-bert is multi-label: each label is an independent sigmoid.
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def _best_windows(window_scores: list) -> list[int]:
    """Per label, the window that scored it highest (a label takes its maximum over windows)."""
    return np.argmax(np.stack(window_scores), axis=0).tolist()


def _span(encoding) -> dict:
    start, end = char_span(encoding)
    return {"start": start, "end": end}


def _error_body(error) -> dict:
    return {"error": {"code": error.status, "message": error.message}}
