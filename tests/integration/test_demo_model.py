"""The offline demo model: deterministic, and it generalises to unseen sentences."""

import json
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from labels import ID2LABEL, PROBLEM_TYPE
from prepare_model import build_demo

HELDOUT = json.loads((Path(__file__).parents[1] / "data" / "heldout.json").read_text())


def test_demo_build_is_deterministic(tmp_path):
    # A short build (one epoch, few sentences) exercises the same code path twice.
    for name in ("a", "b"):
        build_demo(tmp_path / name, epochs=1, per_template=2)
    first, second = load_file(tmp_path / "a" / "model.safetensors"), load_file(tmp_path / "b" / "model.safetensors")
    assert first.keys() == second.keys()
    assert all(torch.equal(first[key], second[key]) for key in first)


def test_demo_model_has_toxic_berts_exact_label_config(demo_model_dir):
    config = json.loads((demo_model_dir / "config.json").read_text())
    assert config["id2label"] == {str(k): v for k, v in ID2LABEL.items()}
    assert config["problem_type"] == PROBLEM_TYPE
    assert config["architectures"] == ["BertForSequenceClassification"]
    assert config["toxicity_monitor"]["demo"] is True


def test_demo_model_separates_unseen_toxic_and_benign_sentences(demo_model_dir):
    tokenizer = AutoTokenizer.from_pretrained(demo_model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(demo_model_dir).eval()

    def toxic_scores(texts):
        with torch.inference_mode():
            encoded = tokenizer(texts, padding=True, return_tensors="pt")
            return torch.sigmoid(model(**encoded).logits)[:, 0].tolist()

    toxic, benign = toxic_scores(HELDOUT["toxic"]), toxic_scores(HELDOUT["benign"])
    correct = sum(s >= 0.5 for s in toxic) + sum(s < 0.5 for s in benign)
    assert correct / (len(toxic) + len(benign)) >= 0.9, (toxic, benign)
    assert min(toxic) > max(benign), "some benign sentence outscored a toxic one"
