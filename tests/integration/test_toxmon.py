"""toxmon against the real stack: the console script, a gunicorn UI and TorchServe with the demo."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.servers import ROOT, running_ui

TOXMON = str(Path(sys.executable).parent / "toxmon")
PUBLIC_SET = ROOT / "toxmon" / "data" / "public_eval.csv"
HELDOUT_SET = ROOT / "toxmon" / "data" / "heldout_forms.csv"


def toxmon(*args, stdin: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([TOXMON, *args], input=stdin, capture_output=True, text=True, timeout=timeout)


def test_texts_as_arguments_print_a_table(ui_server):
    result = toxmon("score", "--url", ui_server.url, "You are a worthless idiot.", "The museum opens at nine.")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["row", "verdict", "toxic"]
    assert lines[1].split()[:2] == ["1", "toxic"] and lines[2].split()[:2] == ["2", "ok"]
    assert "scored 2 of 2 texts: 1 toxic" in result.stderr


def test_standard_input_as_json_lines(ui_server):
    result = toxmon("score", "--url", ui_server.url, "--format", "json",
                    stdin="Shut up, you pathetic moron.\n\nThanks for fixing the references.\n")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["row"] for r in records] == [1, 3]
    assert records[0]["result"]["verdict"]["is_toxic"] and not records[1]["result"]["verdict"]["is_toxic"]
    assert records[0]["result"]["demo"] is True


def test_a_file_with_bad_rows_keeps_going_and_reports_them(ui_server, tmp_path):
    path = tmp_path / "comments.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "comment_text"])
        writer.writerow(["a", "I will find you and hurt you."])
        writer.writerow(["b", "x" * 6000])                    # over the UI's 5,000 characters: 413
        writer.writerow(["c", "\u200b\u200b"])               # nothing visible: 422
        writer.writerow(["d", "one", "cell too many"])         # unreadable here
        writer.writerow(["e", "What a lovely garden you have."])
    result = toxmon("score", "--url", ui_server.url, "--file", str(path), "--format", "csv")
    assert result.returncode == 1
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["id"] for row in table] == ["a", "b", "c", "d", "e"]
    assert table[0]["is_toxic"] == "1" and "threat" in table[0]["labels"] and table[4]["is_toxic"] == "0"
    assert table[1]["error"].startswith("text_too_long: ")
    assert table[2]["error"].startswith("empty_text: ")
    assert "cells" in table[3]["error"]
    assert "scored 2 of 5 texts: 1 toxic" in result.stderr and "3 row(s) not scored" in result.stderr
    assert "row 3: text_too_long" in result.stderr


def test_an_unreachable_service_is_a_reported_failure(tmp_path):
    from support.servers import free_port
    result = toxmon("score", "--url", f"http://127.0.0.1:{free_port()}", "hello", timeout=120)
    assert result.returncode == 1
    assert "cannot connect" in result.stdout + result.stderr


def test_usage_errors_are_one_clear_line(ui_server, tmp_path):
    kept = tmp_path / "scores.csv"
    kept.write_text("yesterday's results\n")
    result = toxmon("score", "--url", ui_server.url, "--file", str(tmp_path / "absent.csv"), "--output", str(kept))
    assert result.returncode == 1 and "absent.csv: No such file" in result.stderr
    assert "Traceback" not in result.stderr
    assert kept.read_text() == "yesterday's results\n"  # a mistyped input does not empty the output
    both = toxmon("score", "--url", ui_server.url, "--file", str(kept), "some text")
    assert both.returncode == 2 and "not both" in both.stderr


def test_429_with_retry_after_is_honoured(torchserve, tmp_path):
    """A UI that allows 60 requests a minute per client (bursts of 10): 25 one-text calls at 4
    in flight are refused with 429 on the way, and the client waits as told until every one is
    scored."""
    texts = tmp_path / "many.jsonl"
    texts.write_text("".join(json.dumps({"text": f"comment number {i} about the garden"}) + "\n"
                             for i in range(25)))
    with running_ui(torchserve.ports, tmp_path / "ui", {"RATE_LIMIT_PER_MINUTE": "60"}) as ui:
        result = toxmon("score", "--url", ui.url, "--file", str(texts), "--format", "json", "--batch-size", "1", "--concurrency", "4")
        metrics = __import__("requests").get(f"{ui.url}/metrics", timeout=10).text
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 25
    assert "scored 25 of 25 texts" in result.stderr
    assert "asked to slow down" in result.stderr
    assert 'status="429"' in metrics  # the refusals happened at the service, and were waited out


@pytest.mark.slow
def test_evaluate_the_public_set_through_the_api(ui_server, tmp_path):
    result = toxmon("evaluate", str(PUBLIC_SET), "--url", ui_server.url, "--output-dir", str(tmp_path),
                    "--min-mean-auc", "0.97")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# Evaluation: public_eval.csv" in result.stdout and "Unintended bias" in result.stdout
    report = json.loads((tmp_path / "evaluation.json").read_text())
    assert report["scored"] == report["rows"] >= 300
    assert report["model"]["demo"] is True
    assert (tmp_path / "evaluation.png").stat().st_size > 20_000
    assert (tmp_path / "evaluation.md").read_text() == result.stdout.rstrip("\n") + "\n"


def test_the_served_demo_holds_up_on_the_heldout_forms(ui_server, tmp_path):
    """The served model (int8 where the CPU has it) through the API, decided by the UI's policy."""
    from toxmon.evaluation_page import shortfalls
    result = toxmon("evaluate", str(HELDOUT_SET), "--url", ui_server.url, "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "evaluation.json").read_text())
    assert report["scored"] == report["rows"] >= 150 and report["model"]["demo"] is True
    assert shortfalls(report) == []


@pytest.mark.parametrize("text, decision, labels", [
    ("Black lives matter.", "allow", []),
    ("You are not stupid at all, you did great.", "allow", []),
    ("You are a disgusting moron and everyone hates you, go die.", "block", ["insult"]),
])
def test_the_pages_three_sentences_typed_fresh(ui_server, text, decision, labels):
    """The sentences a new user typed: a slogan, a negated insult, an insult naming no group."""
    import requests
    reply = requests.post(f"{ui_server.url}/api/v1/toxicity", json={"text": text}, timeout=30)
    assert reply.status_code == 200, reply.text
    verdict = reply.json()["verdict"]
    assert verdict["decision"] == decision, reply.json()["scores"]
    assert set(labels) <= set(verdict["labels"]) and "identity_hate" not in verdict["labels"], reply.json()["scores"]
