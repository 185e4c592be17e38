"""`pip install .` in a clean venv gives a working `toxmon`: the package, its data and the
handler's modules installed, and every import path free of the checkout."""

import subprocess
import sys

import pytest

from support.servers import ROOT


@pytest.mark.slow
def test_pip_install_in_a_clean_venv_gives_a_working_toxmon(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--constraint",
                              str(ROOT / "constraints.txt"), str(ROOT)],
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]

    elsewhere = tmp_path / "elsewhere"  # not a checkout: only what was installed can be imported
    elsewhere.mkdir()
    toxmon = str(venv / "bin" / "toxmon")
    help_text = subprocess.run([toxmon, "--help"], cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert help_text.returncode == 0, help_text.stderr
    for command in ("score", "evaluate", "model", "archive", "run", "stop", "status", "bench"):
        assert f"  {command} " in help_text.stdout, command

    probe = ("import importlib.resources, toxmon, labels, toxmon.model.offline_context, toxicity_ui;"
             "print(importlib.resources.files('toxmon').joinpath('data/public_eval.csv').is_file(),"
             " importlib.resources.files('toxicity_ui').joinpath('templates/index.html').is_file())")
    # toxicity_ui needs Flask and the rest of the UI's requirements, which toxmon does not: only for the probe.
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--constraint", str(ROOT / "constraints.txt"),
                    "-r", str(ROOT / "ui" / "requirements.txt")], check=True, timeout=600)
    found = subprocess.run([str(venv / "bin" / "python"), "-c", probe], cwd=elsewhere, capture_output=True,
                           text=True, timeout=60)
    assert found.returncode == 0 and found.stdout.split() == ["True", "True"], found.stderr

    # Operator commands say what they need, in one line: a checkout, and the serving packages.
    outside = subprocess.run([toxmon, "archive", "--source", "demo"], cwd=elsewhere, capture_output=True,
                             text=True, timeout=60)
    assert outside.returncode == 1 and "needs a Toxicity Monitor checkout" in outside.stderr, outside.stderr
    no_torch = subprocess.run([toxmon, "model", "--source", "bench-base", "--model-dir", str(tmp_path / "m")],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert no_torch.returncode == 1 and "needs the Python package 'torch'" in no_torch.stderr, no_torch.stderr
    assert "Traceback" not in outside.stderr + no_torch.stderr
