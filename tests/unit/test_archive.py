"""toxmon/model/archive.py: what goes into toxic-bert.mar, and when it is rebuilt."""

import json
import os
import zipfile

import pytest
import yaml

from toxmon.model import build_cache
from toxmon.model.archive import (ArchiveError, ArchiveRequest, build_archive, model_inputs_hash, model_is_current,
                                  prepare_model, handler_dir, MODEL_FILES, PRECISION_FILES)


def archive_members(path):
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist()), yaml.safe_load(archive.read("model-config.yaml"))


def test_the_archive_carries_all_of_handler_the_model_and_the_requested_precision(tiny_model_dir, tmp_path):
    """handler/ holds exactly what the archive ships: every file of it is in there."""
    request = ArchiveRequest(tiny_model_dir, tmp_path / "store", precision="fp32", version="2.1")
    assert build_archive(request) is True
    members, config = archive_members(request.archive_path)
    shipped = {path.name for path in handler_dir().iterdir() if path.is_file()}
    assert {"toxic_handler.py", "labels.py", "model-config.yaml", "requirements.txt"} <= shipped
    assert shipped | set(MODEL_FILES) <= members, shipped - members
    assert "MAR-INF/MANIFEST.json" in members
    assert config["handler"]["precision"] == "fp32"
    assert (config["batchSize"], config["minWorkers"]) == (16, 2)  # the shipped serving settings
    with zipfile.ZipFile(request.archive_path) as archive:
        assert json.loads(archive.read("MAR-INF/MANIFEST.json"))["model"]["modelVersion"] == "2.1"


def test_rebuilt_only_when_an_input_or_setting_changed(tiny_model_dir, tmp_path):
    request = ArchiveRequest(tiny_model_dir, tmp_path / "store", precision="fp32")
    assert build_archive(request) is True
    built = request.archive_path.stat().st_mtime_ns
    assert build_archive(request) is False and request.archive_path.stat().st_mtime_ns == built
    assert build_archive(ArchiveRequest(tiny_model_dir, tmp_path / "store", precision="fp32", version="1.1"))
    weights = tiny_model_dir / "tokenizer_config.json"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 1_000_000))
    assert build_archive(ArchiveRequest(tiny_model_dir, tmp_path / "store", precision="fp32", version="1.1"))


def test_auto_and_int8_need_the_precision_check_files(tiny_model_dir, tiny_int8_model_dir, tmp_path):
    with pytest.raises(ArchiveError, match="missing archive inputs: .*model.int8.onnx"):
        build_archive(ArchiveRequest(tiny_model_dir, tmp_path / "a", precision="int8"))
    request = ArchiveRequest(tiny_int8_model_dir, tmp_path / "b")  # precision as configured: auto
    build_archive(request)
    members, config = archive_members(request.archive_path)
    assert {"model.int8.onnx", "precision-check.json"} <= members and config["handler"]["precision"] == "auto"


def test_an_unknown_precision_is_refused(tiny_model_dir, tmp_path):
    config = tmp_path / "model-config.yaml"
    config.write_text(yaml.safe_dump({"handler": {"precision": "fp8"}}))
    with pytest.raises(ArchiveError, match="unknown precision 'fp8'"):
        build_archive(ArchiveRequest(tiny_model_dir, tmp_path / "store", config_file=config))


def model_folder(tmp_path, name, built_from=None):
    folder = tmp_path / name
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"toxicity_monitor": {"name": name}}))
    if built_from:
        (folder / build_cache.RECORD).write_text(json.dumps({"model": built_from}))
    return folder


def test_which_model_folders_are_current(tmp_path):
    demo = model_folder(tmp_path, "toxic-bert-demo", built_from=model_inputs_hash("demo"))
    real = model_folder(tmp_path, "unitary/toxic-bert".replace("/", "_"))
    assert model_is_current("demo", demo) and model_is_current("auto", demo)
    assert not model_is_current("bench-base", demo), "another built-here model is rebuilt"
    assert not model_is_current("unitary/toxic-bert", demo), "asking for real weights replaces the demo"
    assert model_is_current("auto", real) and model_is_current("unitary/toxic-bert", real)
    assert not model_is_current("demo", real)
    assert not model_is_current("demo", tmp_path / "absent")
    os.utime(demo / "config.json", (0, 0))  # a clone's file times say nothing: the content does
    assert model_is_current("demo", demo)
    stale = model_folder(tmp_path / "stale", "toxic-bert-demo", built_from="0" * 64)
    assert not model_is_current("demo", stale), "built by other code: rebuilt"
    assert not model_is_current("demo", model_folder(tmp_path / "unrecorded", "toxic-bert-demo"))


def test_the_inputs_hash_follows_the_code_that_builds_the_model(tmp_path, monkeypatch):
    import shutil
    from toxmon.model import archive
    code = []
    for path in archive.MODEL_CODE:
        code.append(tmp_path / path.name)
        shutil.copy(path, code[-1])
    monkeypatch.setattr(archive, "MODEL_CODE", tuple(code))
    demo_data = tmp_path / "demo_data.py"
    assert demo_data in code
    before = model_inputs_hash("demo")
    assert model_inputs_hash("demo") == before and model_inputs_hash("demo-candidate") != before
    os.utime(demo_data, (0, 0))
    assert model_inputs_hash("demo") == before, "a new file time alone changes nothing"
    demo_data.write_text(demo_data.read_text() + "\n# changed\n")
    assert model_inputs_hash("demo") != before


def test_a_model_built_before_from_the_same_inputs_comes_from_the_cache(tmp_path, monkeypatch):
    """No training: the cached directory is copied whole into place, and is then current."""
    import sys
    monkeypatch.setenv("TOXMON_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "toxmon.model.prepare_model", None)  # an import (a build) would fail the test
    built = model_folder(tmp_path / "built", "toxic-bert-demo", built_from=model_inputs_hash("demo"))
    (built / "model.safetensors").write_bytes(b"weights")
    build_cache.store("model-demo", model_inputs_hash("demo"), built)
    target = tmp_path / "clone" / "models" / "demo"
    target.mkdir(parents=True)
    (target / "leftover.txt").write_text("from an older build")
    assert prepare_model("demo", target) is True
    assert (target / "model.safetensors").read_bytes() == b"weights"
    assert not (target / "leftover.txt").exists(), "the directory is replaced whole"
    assert model_is_current("demo", target) and prepare_model("demo", target) is False
    with pytest.raises(ImportError):  # another kind has no entry: it would be built
        prepare_model("bench-base", tmp_path / "bench")


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("TOXMON_CACHE_DIR", "off")
    folder = model_folder(tmp_path, "toxic-bert-demo")
    build_cache.store("model-demo", "k" * 64, folder)
    assert build_cache.cache_root() is None and not build_cache.fetch("model-demo", "k" * 64, tmp_path / "x")


def test_precision_files_are_current_by_their_inputs(tiny_int8_model_dir, tmp_path, monkeypatch):
    """The tiny model's int8 files were just made: current; new weights make them stale."""
    import shutil
    import sys
    from toxmon.model.archive import precision_inputs_hash, prepare_precision_files
    monkeypatch.setenv("TOXMON_CACHE_DIR", str(tmp_path / "cache"))
    model = tmp_path / "model"
    shutil.copytree(tiny_int8_model_dir, model)
    build_cache.record(model, precision=precision_inputs_hash(model))
    monkeypatch.setitem(sys.modules, "toxmon.model.prepare_precision", None)  # a rebuild would fail the test
    os.utime(model / "model.safetensors", (0, 0))
    assert prepare_precision_files(model) is False
    build_cache.store("precision", precision_inputs_hash(model), model, PRECISION_FILES)
    (model / "model.int8.onnx").unlink()
    assert prepare_precision_files(model) is True and (model / "model.int8.onnx").is_file()  # from the cache
    with (model / "model.safetensors").open("ab") as weights:
        weights.write(b" ")
    with pytest.raises(ImportError):
        prepare_precision_files(model)


def test_two_builds_at_once_keep_their_own_files(tiny_model_dir, tmp_path):
    """torch-model-archiver stages files in <temp>/toxic-bert, shared by every build on the machine;
    two builds running together (a workstation's `make archive` and a test run) must not mix."""
    import subprocess
    import sys
    build = ("import sys; from pathlib import Path; from toxmon.model.archive import ArchiveRequest, build_archive;"
             "[build_archive(ArchiveRequest(Path(sys.argv[1]), Path(sys.argv[2]) / str(i), precision=sys.argv[3]))"
             " for i in range(5)]")
    processes = [subprocess.Popen([sys.executable, "-c", build, str(tiny_model_dir), str(tmp_path / precision),
                                   precision], stderr=subprocess.PIPE, text=True) for precision in ("fp32", "bf16")]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read()
    for precision in ("fp32", "bf16"):
        for i in range(5):
            _, config = archive_members(tmp_path / precision / str(i) / "toxic-bert.mar")
            assert config["handler"]["precision"] == precision
