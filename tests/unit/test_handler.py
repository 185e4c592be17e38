"""The handler's steps with a fake context and a tiny model: no server needed."""

import json

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from handler_settings import HandlerSettings
from labels import LABELS
from toxmon.model.offline_context import OfflineContext
from toxic_handler import ToxicHandler


def make_handler(model_dir, **settings):
    context = OfflineContext(model_dir, settings)
    handler = ToxicHandler()
    handler.initialize(context)
    return handler, context


def reference_scores(model_dir, texts, max_length=256):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    with torch.inference_mode():
        encoded = tokenizer(texts, padding=True, truncation=True, max_length=max_length,
                            return_tensors="pt")
        return model(**encoded).logits


def test_scores_are_per_label_sigmoids_in_toxic_bert_order(tiny_model_dir):
    handler, context = make_handler(tiny_model_dir)
    texts = ["hello there", "you are an idiot"]
    responses = handler.handle([{"body": {"text": t}} for t in texts], context)
    logits = reference_scores(tiny_model_dir, texts)
    for response, row in zip(responses, logits):
        assert list(response["scores"]) == list(LABELS)
        expected = torch.sigmoid(row).tolist()
        assert [response["scores"][label] for label in LABELS] == pytest.approx(expected, abs=1e-5)
        # Not softmax: independent sigmoids need not sum to one.
        assert sum(response["scores"].values()) != pytest.approx(1.0, abs=1e-3)
        assert response["top_label"] == LABELS[int(row.argmax())]
        assert response["is_toxic"] == (max(expected) >= 0.5)


def test_response_carries_model_information(tiny_model_dir):
    handler, context = make_handler(tiny_model_dir, threshold=0.7)
    [response] = handler.handle([{"body": {"text": "hello"}}], context)
    assert response["threshold"] == 0.7
    assert response["model"] == {"name": "tiny", "source": "test", "version": "1.0",
                                 "created": "2026-01-01T00:00:00Z", "demo": True,
                                 "precision": "fp32"}
    json.dumps(response)  # must be serialisable as it is


def test_threshold_decides_the_verdict(tiny_model_dir):
    """The same scores flip from toxic to not toxic as the threshold crosses the top score."""
    handler, context = make_handler(tiny_model_dir)
    [first] = handler.handle([{"body": {"text": "hello"}}], context)
    top = max(first["scores"].values())
    for threshold, toxic in ((top - 0.001, True), (top + 0.001, False)):
        handler, context = make_handler(tiny_model_dir, threshold=threshold)
        [response] = handler.handle([{"body": {"text": "hello"}}], context)
        assert response["scores"] == first["scores"]
        assert (response["is_toxic"], response["threshold"]) == (toxic, threshold)


def test_bad_requests_get_their_own_status_while_neighbours_succeed(tiny_model_dir):
    handler, context = make_handler(tiny_model_dir)
    batch = [{"body": {"text": "fine"}}, {"body": {"text": "  "}}, {"body": b"\xff"},
             {"body": {"txt": "x"}}, {"body": "also fine"}, {"body": [1]}]
    responses = handler.handle(batch, context)
    assert len(responses) == len(batch)
    assert "scores" in responses[0] and "scores" in responses[4]
    assert context.statuses == {1: (422, "text is empty"), 2: (400, "body is not valid UTF-8"),
                                3: (400, "missing field 'text' (or 'texts')"),
                                5: (400, 'expected a JSON object like {"text": "..."} or a plain-text body, '
                                         "got a JSON list")}
    # The body each refused row gets says the same as the status TorchServe sends.
    for index, (code, message) in context.statuses.items():
        assert responses[index]["error"] == {"code": code, "message": message}
    # Good rows are scored exactly as if they had been sent alone.
    [alone] = handler.handle([{"body": "also fine"}], context)
    assert alone["scores"] == pytest.approx(responses[4]["scores"], abs=1e-5)


def test_a_batch_of_only_bad_requests_is_answered(tiny_model_dir):
    handler, context = make_handler(tiny_model_dir)
    responses = handler.handle([{"body": {"text": ""}}, {}], context)
    assert [r["error"]["code"] for r in responses] == [422, 400]


def test_metrics_count_batches_requests_errors_and_verdicts(tiny_model_dir):
    handler, context = make_handler(tiny_model_dir, threshold=0.01)  # every label "toxic"
    handler.handle([{"body": "a"}, {"body": "b"}, {"body": ""}], context)
    values = context.metrics.values
    base = ("toxic-bert", "Model")
    assert values[("toxicity_handler_batch_size", base)] == 3
    assert values[("toxicity_handler_batches_total", base)] == 1
    assert values[("toxicity_handler_requests_total", base)] == 3
    assert values[("toxicity_handler_input_errors_total", base + ("422",))] == 1
    assert values[("toxicity_handler_forward_passes_total", base)] == 1  # "a" and "b", one length
    assert values[("toxicity_handler_forward_rows_total", base)] == 2    # the empty text is not scored
    for label in LABELS:
        assert values[("toxicity_verdicts_total", base + (label,))] == 2
    assert [name for name, _ in context.metrics.times] == ["HandlerTime"]


def test_int8_handler_scores_a_mixed_batch_with_errors(tiny_int8_model_dir):
    handler, context = make_handler(tiny_int8_model_dir, precision="int8")
    responses = handler.handle([{"body": "short"}, {"body": ""}, {"body": "a much longer sentence " * 20}],
                               context)
    assert responses[1]["error"]["code"] == 422
    assert [r["model"]["precision"] for r in (responses[0], responses[2])] == ["int8", "int8"]
    assert all(0.0 <= v <= 1.0 for r in (responses[0], responses[2]) for v in r["scores"].values())


def test_int8_without_the_int8_model_is_refused_with_the_fix(tiny_model_dir):
    with pytest.raises(ValueError, match="no model.int8.onnx.*make archive PRECISION=int8"):
        make_handler(tiny_model_dir, precision="int8")


@pytest.mark.parametrize("settings, message", [
    ({"max_length": 4}, "max_length"),
    ({"max_length": 1024}, "max_length"),
    ({"threshold": 1.5}, "threshold"),
    ({"torch_threads": 0}, "torch_threads"),
    ({"bogus": 1}, "unknown handler settings"),
])
def test_invalid_settings_are_refused(settings, message):
    from toxmon.model.handler_files import shipped_model_config
    with pytest.raises(ValueError, match=message):
        HandlerSettings.from_mapping({**shipped_model_config()["handler"], **settings})


def test_a_setting_missing_from_the_model_config_is_refused_by_name():
    """The handler has no defaults of its own: model-config.yaml is the one place for them."""
    from toxmon.model.handler_files import shipped_model_config
    settings = shipped_model_config()["handler"]
    del settings["max_windows"]
    with pytest.raises(ValueError, match=r"lacks \['max_windows'\]"):
        HandlerSettings.from_mapping(settings)


def test_unknown_precision_is_refused(tiny_model_dir):
    with pytest.raises(ValueError, match="unknown precision"):
        make_handler(tiny_model_dir, precision="fp8")


def test_model_with_other_labels_is_refused(tiny_model_dir, tmp_path):
    config = json.loads((tiny_model_dir / "config.json").read_text())
    config["id2label"] = {str(i): f"label{i}" for i in range(6)}
    for path in tiny_model_dir.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(RuntimeError, match="not toxic-bert's"):
        make_handler(tmp_path)


def write_check(model_dir, int8=None, bf16=None, int8_file=True):
    import precision
    check = {name: {"accepted": accepted, "max_abs_diff": 0.01}
             for name, accepted in (("int8", int8), ("bf16", bf16)) if accepted is not None}
    (model_dir / precision.CHECK_FILE).write_text(json.dumps(check))
    if int8_file:
        (model_dir / precision.INT8_MODEL_FILE).write_bytes(b"onnx")


# The flags lines of the two kinds of CPU these machines come with (abridged /proc/cpuinfo).
INTEL_AMX_CPUINFO = ("model name\t: Intel(R) Xeon(R) Platinum 8481C\nflags\t\t: fpu sse2 avx avx2 avx512f "
                     "avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8 avx_vnni\n")
AMD_AVX2_CPUINFO = "model name\t: AMD EPYC\nflags\t\t: fpu sse2 avx avx2 fma bmi2 sha_ni\n"


@pytest.mark.parametrize("cpuinfo, native_bf16, flags", [
    (INTEL_AMX_CPUINFO, True, ["avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile",
                               "amx_bf16", "amx_int8"]),
    (AMD_AVX2_CPUINFO, False, ["avx2"]),
])
def test_cpu_kinds_are_told_apart_by_their_flags(cpuinfo, native_bf16, flags):
    import precision
    found = precision.cpu_flags(cpuinfo)
    assert precision.cpu_has_native_bf16(found) is native_bf16
    assert precision.flags_that_matter(found) == flags
    assert (precision.not_native_reason("bf16", found) is None) is native_bf16
    assert precision.not_native_reason("int8", found) is None and precision.not_native_reason("fp32", found) is None


@pytest.mark.parametrize("check, cpuinfo, expected", [
    (None, INTEL_AMX_CPUINFO, "fp32"),                                    # no agreement record: never guess
    ({"int8": True, "bf16": True}, INTEL_AMX_CPUINFO, "int8"),            # fastest first
    ({"int8": True, "bf16": True}, AMD_AVX2_CPUINFO, "int8"),
    ({"int8": False, "bf16": True}, INTEL_AMX_CPUINFO, "bf16"),
    ({"int8": False, "bf16": True}, AMD_AVX2_CPUINFO, "fp32"),            # emulated bf16 is never chosen
    ({"int8": True, "bf16": True, "int8_file": False}, INTEL_AMX_CPUINFO, "bf16"),
    ({"int8": True, "bf16": True, "int8_file": False}, AMD_AVX2_CPUINFO, "fp32"),
    ({"int8": False, "bf16": False}, INTEL_AMX_CPUINFO, "fp32"),
])
def test_auto_is_the_fastest_native_precision_that_agreed_at_archive_time(
        tmp_path, monkeypatch, check, cpuinfo, expected):
    import precision
    (tmp_path / "cpuinfo").write_text(cpuinfo)
    monkeypatch.setattr(precision, "CPUINFO", tmp_path / "cpuinfo")
    if check is not None:
        write_check(tmp_path, **check)
    chosen, why = precision.resolve("auto", tmp_path)
    assert chosen == expected and "agreed with fp32 at archive time" in why


def test_explicit_precisions_are_taken_as_set_and_int8_needs_its_runtime(tmp_path, monkeypatch):
    import precision
    write_check(tmp_path, int8=False, bf16=False)
    assert precision.resolve("bf16", tmp_path) == ("bf16", "set explicitly")
    assert precision.resolve("int8", tmp_path) == ("int8", "set explicitly")
    monkeypatch.setattr(precision, "int8_runtime_available", lambda: False)
    with pytest.raises(ValueError, match="onnxruntime"):
        precision.resolve("int8", tmp_path)


def test_auto_precision_is_reported_as_what_it_resolved_to(tiny_model_dir):
    handler, context = make_handler(tiny_model_dir, precision="auto")
    [response] = handler.handle([{"body": "hello"}], context)
    assert response["model"]["precision"] == "fp32"  # the tiny model has no agreement record
