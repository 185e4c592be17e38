"""Reduced precisions agree with fp32 on the demo model, through the handler's own code."""

import json

import pytest

from toxmon.model.compare_precision import DEFAULT_TEXTS, MAX_DIFF, compare, load_texts, main
from precision import CHECK_FILE, INT8_MODEL_FILE, flags_that_matter, not_native_reason
from support.servers import ROOT

ARTIFACTS = ROOT / "build" / "test-artifacts"


@pytest.fixture(scope="module")
def demo_model_with_int8(demo_store, demo_model_dir):
    """`make archive` (precision auto) built the int8 model and the agreement record."""
    assert (demo_model_dir / INT8_MODEL_FILE).is_file()
    return demo_model_dir


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_precision_agrees_with_fp32(demo_model_with_int8, precision):
    result = compare(demo_model_with_int8, precision, load_texts(DEFAULT_TEXTS))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"precision-{precision}.json").write_text(json.dumps(result, indent=2))  # the recorded figure
    assert result["precision"] == precision
    assert result["texts"] >= 40
    assert result["max_abs_diff"] <= MAX_DIFF, result["max_abs_diff_per_label"]
    assert result["verdict_flips"] == []


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_reduced_precision_handler_scores_spread_like_fp32(demo_model_with_int8, precision):
    """On the demo model scores spread from ~0 to ~1, so a runner returning constants cannot pass."""
    from toxmon.model.offline_context import OfflineContext
    from toxic_handler import ToxicHandler
    texts = [{"body": "Thank you for the lovely dinner."}, {"body": "You are a stupid worthless idiot."}]
    answers = {}
    for name in ("fp32", precision):
        handler, context = ToxicHandler(), OfflineContext(demo_model_with_int8, {"precision": name})
        handler.initialize(context)
        answers[name] = handler.handle(texts, context)
    benign, toxic = answers["fp32"]
    assert max(benign["scores"].values()) < 0.2 and toxic["scores"]["insult"] > 0.8
    for reference, reduced in zip(answers["fp32"], answers[precision]):
        assert reduced["model"]["precision"] == precision and reduced["is_toxic"] == reference["is_toxic"]
        assert reduced["scores"] == pytest.approx(reference["scores"], abs=MAX_DIFF)


def test_archive_time_check_accepts_what_runs_natively_and_skips_the_rest(demo_model_with_int8):
    check = json.loads((demo_model_with_int8 / CHECK_FILE).read_text())
    for precision in ("int8", "bf16"):
        if reason := not_native_reason(precision):
            assert check[precision] == {"precision": precision, "accepted": False, "skipped": reason}
        else:
            assert check[precision]["accepted"] is True
            assert check[precision]["max_abs_diff"] <= check[precision]["max_diff_allowed"] == MAX_DIFF
    assert check["cpu_flags"] == flags_that_matter()
    assert check["int8_build"]["outlier_channels"] > 0


def test_compare_command_accepts_within_the_limit_and_rejects_over_it(demo_model_with_int8, capsys):
    assert main(["--model-dir", str(demo_model_with_int8), "--precision", "int8"]) == 0
    assert "ACCEPTED" in capsys.readouterr().out
    # The same drift judged against a limit it does not meet must be refused.
    assert main(["--model-dir", str(demo_model_with_int8), "--precision", "int8", "--max-diff", "0.0001"]) == 1
    assert "REJECTED" in capsys.readouterr().out
