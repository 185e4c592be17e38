"""Prepare the model and build the TorchServe archive.

The one implementation behind `toxmon model` / `toxmon archive`, which `make
archive`, the TorchServe image's build, the tests and the benchmark all call.

What goes into `toxic-bert.mar`:
- everything in `handler/`, which holds exactly what the archive ships: the handler
  (`toxic_handler.py`) and its modules, so the archive serves on a bare TorchServe with
  no project installed (see docs/decisions.md), its `requirements.txt`, and
  `model-config.yaml` (workers, batching, handler settings) with the requested precision
  written into it;
- the model files, and for precision auto or int8 the int8 model and the
  archive-time precision check (prepare_precision.py).

A model built here and its precision files are rebuilt only when what they are made from
changed, judged by content hashes (build_cache.py, which also keeps them across clones); an
archive only when one of its inputs or settings changed: their sizes and modification times
are recorded next to it.
"""

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from labels import MODEL_NAME

from . import build_cache
from ..checkout import root
from .handler_files import MODEL_CONFIG, REQUIREMENTS, handler_dir, handler_modules, shipped_model_config

# A rollout's candidate version lives next to the primary in the same model store, under the
# same model name inside (TorchServe serves both as versions of toxic-bert): docs/rollouts.md.
CANDIDATE_FILE_NAME = f"{MODEL_NAME}-candidate"
MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
PRECISION_FILES = ("model.int8.onnx", "precision-check.json")
PRECISIONS = ("auto", "fp32", "bf16", "int8")
BUILT_HERE_NAMES = {"demo": "toxic-bert-demo", "demo-candidate": "toxic-bert-demo-candidate",
                    "bench-base": "toxic-bert-bench-base"}
HERE = Path(__file__).resolve().parent
# The code each kind of model is built by: a change to it rebuilds a built-here model.
MODEL_CODE = (HERE / "prepare_model.py", HERE / "demo_data.py")
PRECISION_CODE = (HERE / "prepare_precision.py", HERE / "int8_model.py", HERE / "compare_precision.py",
                  HERE / "offline_context.py")


class ArchiveError(RuntimeError):
    pass


def model_code() -> list[Path]:
    return [*MODEL_CODE, handler_dir() / "labels.py"]


def precision_code() -> list[Path]:
    return [*PRECISION_CODE, *handler_modules(), handler_dir() / MODEL_CONFIG]


def _fingerprint(paths) -> dict:
    """Size and modification time of each file: cheap, and any rewrite changes them."""
    out = {}
    for path in paths:
        stat = Path(path).stat()
        out[str(Path(path).resolve())] = [stat.st_size, stat.st_mtime_ns]
    return out


# --- the model ---------------------------------------------------------------------------
def built_here_kind(model_dir: Path) -> str | None:
    """demo, demo-candidate or bench-base for a model built here; None for real weights."""
    config = model_dir / "config.json"
    if not config.is_file():
        return None
    recorded_name = json.loads(config.read_text()).get("toxicity_monitor", {}).get("name")
    return next((kind for kind, name in BUILT_HERE_NAMES.items() if name == recorded_name), None)


def model_inputs_hash(kind: str) -> str:
    """What a built-here model is made of: the code that builds it and the pinned packages."""
    return build_cache.content_hash(kind, model_code())


def model_is_current(source: str, model_dir: Path) -> bool:
    if not (model_dir / "config.json").is_file():
        return False
    kind = built_here_kind(model_dir)
    if source in BUILT_HERE_NAMES:
        wanted = kind == source
    elif source == "auto":
        wanted = True  # the real model, or the demo it fell back to
    else:
        wanted = kind is None  # a hub id or a snapshot asks for real weights
    if not wanted:
        return False
    if kind:  # rebuilt when the code that builds it changed (by content: a clone's file times are new)
        return build_cache.recorded(model_dir).get("model") == model_inputs_hash(kind)
    # The real model, from the hub or a snapshot: prepared once; remove the folder to prepare again.
    return True


def prepare_model(source: str, model_dir: Path, force: bool = False) -> bool:
    """Write the model into `model_dir` unless it is there already; True if it was (re)built.
    A built-here model comes from the build cache when one was built from the same inputs."""
    if not force and model_is_current(source, model_dir):
        return False
    if source in BUILT_HERE_NAMES and not force and _model_from_cache(source, model_dir):
        print(f"{source} model: built before from the same code, copied from the build cache")
        return True
    if source == "auto":  # the real model when the hub answers, else the demo, from the cache if built before
        from .prepare_model import PreparationError, prepare_auto
        try:
            prepare_auto(model_dir, hub_cache(), demo=lambda output: prepare_model("demo", output, force))
        except PreparationError as error:
            raise ArchiveError(str(error)) from None
        return True
    from .prepare_model import main as build_model  # heavy imports (torch, transformers) only when needed
    flag = {"demo": ["--demo"], "demo-candidate": ["--demo-candidate"],
            "bench-base": ["--bench-base"]}.get(source, ["--source", source])
    status = build_model([*flag, "--output", str(model_dir), "--cache-dir", str(hub_cache())])
    if status != 0:
        raise ArchiveError(f"preparing the model from {source} failed (exit status {status})")
    if kind := built_here_kind(model_dir):  # also the demo that `auto` fell back to
        key = model_inputs_hash(kind)
        build_cache.record(model_dir, model=key)
        build_cache.store(f"model-{kind}", key, model_dir)
    return True


def hub_cache() -> Path:
    return root() / "build" / "hf-cache"


def _model_from_cache(kind: str, model_dir: Path) -> bool:
    """The model directory replaced whole by the cached one (copied beside it, then renamed)."""
    partial = model_dir.with_name(model_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    if not build_cache.fetch(f"model-{kind}", model_inputs_hash(kind), partial):
        shutil.rmtree(partial, ignore_errors=True)
        return False
    if model_dir.exists():
        shutil.rmtree(model_dir)
    partial.rename(model_dir)
    return True


# --- the precision check ------------------------------------------------------------------
def needs_precision_files(precision: str) -> bool:
    return precision in ("auto", "int8")


def precision_inputs_hash(model_dir: Path) -> str:
    """The int8 model and the check depend on the weights, the check's texts and the code."""
    from .compare_precision import DEFAULT_TEXTS
    inputs = [model_dir / "config.json", model_dir / "model.safetensors", *DEFAULT_TEXTS, *precision_code()]
    return build_cache.content_hash("precision", inputs)


def prepare_precision_files(model_dir: Path) -> bool:
    """The int8 model and the check against fp32, unless built from these very inputs; from the
    build cache when they were built before."""
    from .compare_precision import DEFAULT_TEXTS
    key = precision_inputs_hash(model_dir)
    have_files = all((model_dir / name).is_file() for name in PRECISION_FILES)
    if have_files and build_cache.recorded(model_dir).get("precision") == key:
        return False
    if build_cache.fetch("precision", key, model_dir, PRECISION_FILES):
        build_cache.record(model_dir, precision=key)
        print("precision check: made before from the same weights and code, copied from the build cache")
        return True
    from .prepare_precision import main as check_precision
    status = check_precision(["--model-dir", str(model_dir), "--texts", *map(str, DEFAULT_TEXTS)])
    if status != 0:
        raise ArchiveError(f"the precision check failed (exit status {status})")
    build_cache.record(model_dir, precision=key)
    build_cache.store("precision", key, model_dir, PRECISION_FILES)
    return True


# --- the archive ----------------------------------------------------------------------------
@dataclass
class ArchiveRequest:
    model_dir: Path
    export_dir: Path
    precision: str | None = None      # None: as in the model config; else written into it
    version: str = "1.0"
    config_file: Path | None = None   # default: handler/model-config.yaml
    archive_format: str = "default"   # or no-archive: a folder, not re-extracted at every start
    file_name: str = MODEL_NAME       # the archive's file name; the model inside is always toxic-bert
    workers: int | None = None        # None: as in the model config; else min and max workers

    @property
    def archive_path(self) -> Path:
        name = self.file_name if self.archive_format == "no-archive" else f"{self.file_name}.mar"
        return self.export_dir / name

    @property
    def record_path(self) -> Path:
        return self.export_dir / f".{self.file_name}.inputs.json"


def model_config(request: ArchiveRequest) -> dict:
    """The archive's model-config.yaml: the shipped one with the requested precision."""
    config = shipped_model_config(request.config_file)
    handler = config.setdefault("handler", {})
    handler["precision"] = request.precision or handler.get("precision", "auto")
    if handler["precision"] not in PRECISIONS:
        raise ArchiveError(f"unknown precision {handler['precision']!r}: choose from {', '.join(PRECISIONS)}")
    if request.workers is not None:
        if request.workers < 1:
            raise ArchiveError(f"workers must be at least 1, not {request.workers}")
        config["minWorkers"] = config["maxWorkers"] = request.workers
    return config


def archive_precision(request: ArchiveRequest) -> str:
    return model_config(request)["handler"]["precision"]


def archive_inputs(request: ArchiveRequest, precision: str) -> list[Path]:
    files = [*handler_modules(), handler_dir() / REQUIREMENTS]
    files += [request.model_dir / name for name in MODEL_FILES]
    if needs_precision_files(precision):
        files += [request.model_dir / name for name in PRECISION_FILES]
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise ArchiveError(f"missing archive inputs: {', '.join(missing)}")
    return files


def build_archive(request: ArchiveRequest, force: bool = False) -> bool:
    """Write the archive unless an identical one is there; True if it was (re)built."""
    from model_archiver.model_archiver_config import ModelArchiverConfig
    from model_archiver.model_packaging import generate_model_archive

    config = model_config(request)
    inputs = archive_inputs(request, config["handler"]["precision"])
    record = {"version": request.version, "format": request.archive_format, "model_config": config,
              "files": _fingerprint(inputs)}
    if not force and request.archive_path.exists() and request.record_path.is_file() \
            and json.loads(request.record_path.read_text()) == record:
        return False
    request.export_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as staging, \
            tempfile.TemporaryDirectory(dir=request.export_dir, prefix=".building-") as exported:
        config_path = Path(staging) / "model-config.yaml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        # torch-model-archiver gathers the files in <temp dir>/<model name>, one folder for every
        # build on the machine: a private temp dir keeps two builds at once from mixing files.
        saved, tempfile.tempdir = tempfile.tempdir, staging
        try:
            generate_model_archive(ModelArchiverConfig(
                model_name=MODEL_NAME, handler=str(inputs[0]), version=request.version,
                extra_files=",".join(str(path) for path in inputs[1:] if path.name != REQUIREMENTS),
                requirements_file=str(handler_dir() / REQUIREMENTS), config_file=str(config_path),
                export_path=exported, archive_format=request.archive_format, force=True))
        finally:
            tempfile.tempdir = saved
        # The archiver names its output after the model; a candidate's file has another name.
        # Built beside the store and renamed: the store never holds half an archive.
        built = Path(exported) / (MODEL_NAME if request.archive_format == "no-archive" else f"{MODEL_NAME}.mar")
        if request.archive_path.is_dir():
            shutil.rmtree(request.archive_path)
        built.replace(request.archive_path)
    request.record_path.write_text(json.dumps(record, indent=2) + "\n")
    return True


def build(source: str, request: ArchiveRequest, force: bool = False) -> dict:
    """Everything `toxmon archive` does: the model, its precision files, the archive."""
    steps = {"model": prepare_model(source, request.model_dir)}
    if needs_precision_files(archive_precision(request)):
        steps["precision check"] = prepare_precision_files(request.model_dir)
    steps["archive"] = build_archive(request, force=force)
    return steps
