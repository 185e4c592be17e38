"""toxmon/archive.py: what goes into toxic-bert.mar, and when it is rebuilt."""

import json
import os
import zipfile

import pytest
import yaml

from toxmon.archive import (ArchiveError, ArchiveRequest, build_archive, model_is_current,
                            HANDLER, HELPER_MODULES, MODEL_FILES)


def archive_members(path):
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist()), yaml.safe_load(archive.read("model-config.yaml"))


def test_the_archive_carries_handler_modules_model_and_the_requested_precision(tiny_model_dir, tmp_path):
    request = ArchiveRequest(tiny_model_dir, tmp_path / "store", precision="fp32", version="2.1")
    assert build_archive(request) is True
    members, config = archive_members(request.archive_path)
    assert {HANDLER, *HELPER_MODULES, *MODEL_FILES} <= members
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


def model_folder(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"toxicity_monitor": {"name": name}}))
    return folder


def test_which_model_folders_are_current(tmp_path):
    demo, real = model_folder(tmp_path, "toxic-bert-demo"), model_folder(tmp_path, "unitary/toxic-bert".replace("/", "_"))
    assert model_is_current("demo", demo) and model_is_current("auto", demo)
    assert not model_is_current("bench-base", demo), "another built-here model is rebuilt"
    assert not model_is_current("unitary/toxic-bert", demo), "asking for real weights replaces the demo"
    assert model_is_current("auto", real) and model_is_current("unitary/toxic-bert", real)
    assert not model_is_current("demo", real)
    assert not model_is_current("demo", tmp_path / "absent")
    os.utime(demo / "config.json", (0, 0))  # older than the code that builds the demo
    assert not model_is_current("demo", demo)


def test_two_builds_at_once_keep_their_own_files(tiny_model_dir, tmp_path):
    """torch-model-archiver stages files in <temp>/toxic-bert, shared by every build on the machine;
    two builds running together (a workstation's `make archive` and a test run) must not mix."""
    import subprocess
    import sys
    build = ("import sys; from pathlib import Path; from toxmon.archive import ArchiveRequest, build_archive;"
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
