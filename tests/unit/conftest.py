import re

import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

from labels import ID2LABEL, LABEL2ID, PROBLEM_TYPE
from toxmon.model.prepare_model import minilm_encoder_dir, save_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A two-layer BERT with toxic-bert's labels and the real vocabulary: fast to load."""
    torch.manual_seed(0)
    config = BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, num_labels=6, id2label=dict(ID2LABEL),
                        label2id=dict(LABEL2ID), problem_type=PROBLEM_TYPE)
    model = BertForSequenceClassification(config).eval()
    tokenizer = AutoTokenizer.from_pretrained(minilm_encoder_dir())
    output = tmp_path_factory.mktemp("tiny-model")
    save_model(model, tokenizer, output, {"name": "tiny", "source": "test", "demo": True,
                                          "created": "2026-01-01T00:00:00Z"})
    return output


@pytest.fixture(scope="session")
def tiny_int8_model_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model with its int8 ONNX model and agreement record, as `make archive` builds them."""
    import shutil
    from toxmon.model.prepare_precision import prepare
    output = tmp_path_factory.mktemp("tiny-int8") / "model"
    shutil.copytree(tiny_model_dir, output)
    prepare(output, ["a friendly sentence", "you are a stupid idiot", "thanks for the lovely photo"])
    return output


@pytest.fixture
def fake_torchserve():
    from support.fake_torchserve import FakeTorchServe
    with FakeTorchServe() as server:
        yield server


@pytest.fixture
def ui_settings(fake_torchserve, tmp_path):
    from toxicity_ui.config import Settings
    return Settings(torchserve_inference_url=fake_torchserve.url, feedback_file=str(tmp_path / "feedback.sqlite"),
                    torchserve_management_url=fake_torchserve.url,
                    read_timeout_seconds=1.0, connect_timeout_seconds=0.5,
                    secret_key="test-secret", max_text_chars=5000, max_body_bytes=64 * 1024)


@pytest.fixture
def ui_app(ui_settings):
    from toxicity_ui import create_app
    return create_app(ui_settings)


@pytest.fixture
def ui(ui_app):
    return ui_app.test_client()


def csrf_token(page_html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page_html)
    assert match, "no CSRF token in the form"
    return match.group(1)
