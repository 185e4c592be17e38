"""The path a real user takes, without the real hub: `unitary/toxic-bert` downloaded by the
real `huggingface_hub` client from a local server that speaks the hub's API, or given as a
snapshot directory; validated, converted, archived with the precision check and served.
See tests/support/hub.py for what the snapshot copies from the real repository."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from toxmon.model.offline_context import OfflineContext
from support.hub import LocalHub, build_hub_snapshot
from support.servers import ROOT, free_port
from toxic_handler import ToxicHandler

PREPARE = "toxmon.model.prepare_model"
TEXTS = ["You are a stupid worthless idiot.", "Thank you for the lovely dinner.", "I will hurt you."]


@pytest.fixture(scope="module")
def hub_snapshot(demo_model_dir, tmp_path_factory):
    return build_hub_snapshot(demo_model_dir, tmp_path_factory.mktemp("hub") / "toxic-bert")


@pytest.fixture
def hub(hub_snapshot):
    with LocalHub(hub_snapshot) as server:
        yield server


def prepare(source, output, cache, endpoint, *extra):
    env = {**os.environ, "HF_ENDPOINT": endpoint, "HF_HUB_ETAG_TIMEOUT": "5", "HF_HUB_DOWNLOAD_TIMEOUT": "5"}
    for offline in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):  # set in this process by the handler's import
        env.pop(offline, None)
    return subprocess.run([sys.executable, "-m", PREPARE, "--source", source, "--output", str(output),
                           "--cache-dir", str(cache), *extra], env=env, capture_output=True, text=True,
                          timeout=600)


def provenance(model_dir):
    return json.loads((model_dir / "config.json").read_text())["toxicity_monitor"]


def served_scores(model_dir):
    """Scores through the handler's own code (Rust tokenizer from tokenizer.json, fp32)."""
    handler, context = ToxicHandler(), OfflineContext(model_dir, {"precision": "fp32"})
    handler.initialize(context)
    return [v for r in handler.handle([{"body": t} for t in TEXTS], context) for v in r["scores"].values()]


def snapshot_scores(snapshot):
    """The snapshot as transformers reads it: pytorch_model.bin and vocab.txt."""
    tokenizer = AutoTokenizer.from_pretrained(snapshot)
    model = AutoModelForSequenceClassification.from_pretrained(snapshot).eval()
    with torch.inference_mode():
        scores = []
        for text in TEXTS:  # one at a time: no padding
            scores += torch.sigmoid(model(**tokenizer([text], return_tensors="pt")).logits)[0].tolist()
    return scores


def one_error_line(result):
    """Exit 2 with one `error:` line last and no traceback (the hub client's own progress and
    retry notes may come before it)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert result.returncode == 2 and errors == lines[-1:] and "Traceback" not in result.stderr, \
        result.stderr[-2000:]
    return errors[0]


def test_the_hub_id_is_downloaded_converted_and_named_the_real_model(hub, hub_snapshot, tmp_path):
    output = tmp_path / "model"
    result = prepare("unitary/toxic-bert", output, tmp_path / "cache", hub.base_url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in output.iterdir()}
    assert provenance(output)["name"] == "unitary/toxic-bert" and provenance(output)["demo"] is False
    assert json.loads((output / "config.json").read_text())["problem_type"] == "multi_label_classification"
    assert served_scores(output) == pytest.approx(snapshot_scores(hub_snapshot), abs=1e-4)
    toxic, benign = served_scores(output)[0], served_scores(output)[6]  # "toxic" of the first two texts
    assert toxic > 0.8 > 0.2 > benign  # real scores, not noise


def test_auto_chooses_the_real_model_when_the_hub_answers(hub, tmp_path):
    result = prepare("auto", tmp_path / "model", tmp_path / "cache", hub.base_url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "OFFLINE DEMO MODEL" not in result.stderr and "unitary/toxic-bert written" in result.stdout
    assert provenance(tmp_path / "model")["demo"] is False


def test_auto_serves_the_demo_with_a_notice_when_the_hub_does_not_answer(demo_model_dir, tmp_path):
    """`make model` / `toxmon model --source auto` offline: the notice, then the demo, which the
    build cache already holds (the suite's demo was built from the same code)."""
    env = {**os.environ, "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}", "HF_HUB_ETAG_TIMEOUT": "5"}
    for offline in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):  # set in this process by the handler's import
        env.pop(offline, None)
    result = subprocess.run([str(Path(sys.executable).parent / "toxmon"), "model", "--source", "auto",
                             "--model-dir", str(tmp_path / "model")], env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "OFFLINE DEMO MODEL" in result.stderr and "copied from the build cache" in result.stdout
    assert provenance(tmp_path / "model")["demo"] is True
    assert (tmp_path / "model" / "model.safetensors").read_bytes() == \
        (demo_model_dir / "model.safetensors").read_bytes()


@pytest.mark.parametrize("failure", ["answers 500", "unreachable"])
def test_a_hub_failing_is_one_clear_line_and_leaves_nothing(hub, tmp_path, failure):
    hub.mode = "error"
    endpoint = hub.base_url if failure == "answers 500" else f"http://127.0.0.1:{free_port()}"
    result = prepare("unitary/toxic-bert", tmp_path / "model", tmp_path / "cache", endpoint)
    assert "cannot download unitary/toxic-bert" in one_error_line(result)
    assert not (tmp_path / "model").exists() and not (tmp_path / "model.partial").exists()


def test_a_download_cut_in_half_is_not_trusted_by_the_next_run(hub, hub_snapshot, tmp_path):
    hub.mode = "cut"
    result = prepare("unitary/toxic-bert", tmp_path / "model", tmp_path / "cache", hub.base_url)
    assert "cannot download unitary/toxic-bert" in one_error_line(result)
    assert not (tmp_path / "model").exists() and not (tmp_path / "model.partial").exists()
    hub.mode = "ok"  # the next run, same cache: the whole file again, and the right scores
    result = prepare("unitary/toxic-bert", tmp_path / "model", tmp_path / "cache", hub.base_url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert served_scores(tmp_path / "model") == pytest.approx(snapshot_scores(hub_snapshot), abs=1e-4)


def test_a_second_run_reuses_the_cache_even_with_the_hub_gone(hub_snapshot, tmp_path):
    with LocalHub(hub_snapshot) as hub:
        for run in ("first", "second"):
            result = prepare("unitary/toxic-bert", tmp_path / run, tmp_path / "cache", hub.base_url)
            assert result.returncode == 0, result.stderr[-2000:]
        assert hub.downloads("pytorch_model.bin") == 1
    result = prepare("auto", tmp_path / "offline", tmp_path / "cache", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 0 and "OFFLINE DEMO MODEL" not in result.stderr, result.stderr[-2000:]
    assert provenance(tmp_path / "offline")["demo"] is False


def break_labels(snapshot, swap):
    config = json.loads((snapshot / "config.json").read_text())
    if swap:
        config["id2label"]["0"], config["id2label"]["1"] = config["id2label"]["1"], config["id2label"]["0"]
    else:
        config["id2label"]["5"] = "hate"
    (snapshot / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("damage, message", [
    (lambda s: (s / "pytorch_model.bin").unlink(), "no model.safetensors or pytorch_model.bin"),
    (lambda s: break_labels(s, swap=False), "expected toxic-bert's"),
    (lambda s: break_labels(s, swap=True), "expected toxic-bert's"),
    (lambda s: (s / "vocab.txt").write_text("".join(f"{w}\n" for w in
                                                   (s / "vocab.txt").read_text().split()[:5000])),
     "the tokenizer has 5000 tokens but the model's vocabulary has 30522"),
    (lambda s: (s / "pytorch_model.bin").write_bytes((s / "pytorch_model.bin").read_bytes()[:1000]),
     "the weights do not load"),
    (lambda s: (s / "config.json").write_text("{not json"), "is not a model configuration"),
], ids=["no-weights", "wrong-labels", "label-order", "other-vocabulary", "truncated-weights", "bad-config"])
def test_a_bad_snapshot_fails_early_with_one_line_naming_the_problem(hub_snapshot, tmp_path, damage, message):
    snapshot = tmp_path / "snapshot"
    shutil.copytree(hub_snapshot, snapshot)
    damage(snapshot)
    result = prepare(str(snapshot), tmp_path / "model", tmp_path / "cache", "http://127.0.0.1:9")
    assert message in one_error_line(result)
    assert not (tmp_path / "model").exists()


def make(*args, env):
    result = subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=900)
    return result


def test_make_run_serves_a_snapshot_directory_as_the_real_model(hub_snapshot, tmp_path):
    build = tmp_path / "build"
    variables = [f"MODEL_SOURCE={hub_snapshot}", f"MODEL_DIR={build / 'model'}",
                 f"ARCHIVE_DIR={build / 'store'}", f"RUN_DIR={build / 'run'}"]
    ports = {f"TORCHSERVE_{name}_PORT": str(free_port()) for name in
             ("INFERENCE", "MANAGEMENT", "METRICS", "GRPC_INFERENCE", "GRPC_MANAGEMENT")}
    ui_port = free_port()
    env = {**os.environ, **ports, "UI_PORT": str(ui_port)}
    for offline in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(offline, None)
    try:
        first = make("run", *variables, env=env)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        check = json.loads((build / "model" / "precision-check.json").read_text())
        assert check["int8"]["accepted"] is True  # the archive-time check ran on these weights
        reply = requests.post(f"http://127.0.0.1:{ui_port}/api/v1/toxicity",
                              json={"text": "You are a stupid worthless idiot."}, timeout=30)
        body = reply.json()
        assert reply.status_code == 200 and body["verdict"]["is_toxic"], body
        assert (body["model"], body["demo"]) == ("unitary/toxic-bert", False)
        page = requests.get(f"http://127.0.0.1:{ui_port}/", timeout=30).text
        assert "demo-banner" not in page
        prepared = {path: path.stat().st_mtime_ns for path in (build / "model" / "model.safetensors",
                                                                build / "store" / "toxic-bert.mar")}
        assert make("stop", *variables, env=env).returncode == 0

        second = make("run", *variables, env=env)  # everything prepared is reused
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        assert "model up to date, precision check up to date, archive up to date" in second.stdout
        assert {path: path.stat().st_mtime_ns for path in prepared} == prepared
        assert requests.post(f"http://127.0.0.1:{ui_port}/api/v1/toxicity", json={"text": "hello"},
                             timeout=30).json()["model"] == "unitary/toxic-bert"
    finally:
        make("stop", *variables, env=env)
