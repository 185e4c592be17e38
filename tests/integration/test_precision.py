"""Reduced precisions agree with fp32 on the demo model, through the handler's own code."""

import json

import pytest

from compare_precision import DEFAULT_TEXTS, compare, load_texts, main
from support.servers import ROOT

ARTIFACTS = ROOT / "build" / "test-artifacts"


INT8_DRIFT = pytest.mark.xfail(strict=True, reason=(
    "dynamic int8 drifts up to ~0.2 from fp32 on the demo model (measured; per-channel ~0.11), "
    "so `auto` never picks it; strict: a passing run means int8 got good enough to revisit"))


@pytest.mark.parametrize("precision", ["bf16", pytest.param("int8", marks=INT8_DRIFT)])
def test_precision_agrees_with_fp32(demo_model_dir, precision):
    result = compare(demo_model_dir, precision, load_texts(DEFAULT_TEXTS))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"precision-{precision}.json").write_text(json.dumps(result, indent=2))  # the recorded figure
    assert result["texts"] >= 40
    assert result["max_abs_diff"] <= 0.02, result["max_abs_diff_per_label"]
    assert result["verdict_flips"] == []


def test_compare_command_accepts_bf16_and_rejects_over_the_limit(demo_model_dir, capsys):
    assert main(["--model-dir", str(demo_model_dir), "--precision", "bf16"]) == 0
    assert "ACCEPTED" in capsys.readouterr().out
    assert main(["--model-dir", str(demo_model_dir), "--precision", "int8"]) == 1
    assert "REJECTED" in capsys.readouterr().out
