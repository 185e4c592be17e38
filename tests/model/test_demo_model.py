"""The offline demo model: deterministic, and it generalises to unseen sentences."""

import csv
import json
import re
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from labels import ID2LABEL, PROBLEM_TYPE
from toxmon.model.prepare_model import DEMO_SEED, build_demo

HELDOUT = json.loads((Path(__file__).parents[2] / "toxmon" / "model" / "texts" / "heldout.json").read_text())


def test_demo_build_is_deterministic(tmp_path):
    # A short build (one epoch, few sentences) exercises the same code path twice.
    for name in ("a", "b"):
        build_demo(tmp_path / name, epochs=1, per_template=1)
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


# --- the public evaluation set (toxmon/data/public_eval.csv) -----------------------------

PUBLIC_SET = Path(__file__).parents[2] / "toxmon" / "data" / "public_eval.csv"


def _words(text: str) -> frozenset:
    return frozenset(re.findall(r"[a-z']+", text.lower()))


def test_no_public_sentence_nor_a_near_duplicate_is_in_the_demo_training_data():
    from toxmon.model.demo_data import generate_examples
    from toxmon.model.prepare_model import DEMO_TRAINING
    training = [text for text, _ in generate_examples(DEMO_TRAINING["per_template"], DEMO_SEED)]
    training_words = [_words(text) for text in training]
    public = [row["comment_text"] for row in csv.DictReader(PUBLIC_SET.open())]
    assert len(public) >= 300
    closest = []
    for sentence in public:
        words = _words(sentence)
        best = max(len(words & other) / len(words | other) for other in training_words)
        closest.append((best, sentence))
    # Word-set Jaccard 0.6 flags a sentence with a few words swapped; the closest today share half.
    worst = max(closest)
    assert worst[0] < 0.6, worst
    assert not set(public) & set(training)


def test_the_demo_model_meets_its_targets_on_the_public_set(demo_model_dir, tmp_path):
    """Mean ROC-AUC >= 0.97, every identity's subgroup AUC >= 0.95, no benign sentence about
    a group flagged — scored in process with the handler's code (fp32)."""
    from toxmon.evaluation_run import run_evaluation
    from toxmon.texts import from_csv
    outcome = run_evaluation(from_csv(PUBLIC_SET), "public_eval.csv", tmp_path, url="", model_dir=demo_model_dir)
    report = outcome.report
    assert report["scored"] == report["rows"]
    assert report["mean_roc_auc"] >= 0.97, outcome.markdown
    subgroups = report["bias"]["subgroups"]
    assert len(subgroups) >= 15
    assert {name: s["subgroup_auc"] for name, s in subgroups.items() if s["subgroup_auc"] < 0.95} == {}
    assert {name: s["benign_flagged"] for name, s in subgroups.items() if s["benign_flagged"]} == {}


# --- the held-out forms (toxmon/data/heldout_forms.csv) ----------------------------------

HELDOUT_SET = Path(__file__).parents[2] / "toxmon" / "data" / "heldout_forms.csv"


def test_the_demo_model_holds_up_on_the_heldout_forms(demo_model_dir, tmp_path):
    """In process, fp32; the served int8 model through the API: tests/integration/test_toxmon.py."""
    from toxmon.evaluation_run import run_evaluation
    from toxmon.texts import from_csv
    outcome = run_evaluation(from_csv(HELDOUT_SET), "heldout_forms.csv", tmp_path, url="", model_dir=demo_model_dir)
    assert outcome.report["scored"] == outcome.report["rows"] >= 150
    from toxmon.evaluation_page import shortfalls
    assert shortfalls(outcome.report) == []
    assert "## The policy's decisions by category" in outcome.markdown and "## Most wrong" in outcome.markdown
