"""`toxmon score --file` in bulk against the real stack: streamed, in order, resumable.

The session's gunicorn UI in front of the session's TorchServe (the demo archive); the
console script runs as a user runs it, in a process of its own.
"""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from support.http import metric_sum

TOXMON = str(Path(sys.executable).parent / "toxmon")
TOXIC = ("You are a worthless idiot, number {n}.", "Shut up, you pathetic moron number {n}.")
BENIGN = ("Thanks for fixing reference {n}.", "The museum opens at nine on day {n}.")


def comment(n: int) -> str:
    return (TOXIC if n % 5 == 0 else BENIGN)[n % 2].format(n=n)


def write_csv(path: Path, count: int, extra=()) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "comment_text"])
        for n in range(1, count + 1):
            writer.writerow([f"c{n}", comment(n)])
        for row in extra:
            writer.writerow(row)
    return path


def toxmon(*args, stdin: str | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([TOXMON, *args], input=stdin, capture_output=True, text=True, timeout=timeout)


def texts_scored(ui_url: str) -> float:
    """Texts the UI has had scored in many-texts calls (its batch-size histogram's sum)."""
    return metric_sum(requests.get(f"{ui_url}/metrics", timeout=10).text, "toxicity_ui_batch_texts_sum")


def test_a_csv_file_is_scored_in_many_texts_calls_one_output_row_per_input_row_in_order(ui_server, tmp_path):
    source = write_csv(tmp_path / "comments.csv", 1500, extra=[["bad", "one", "cell too many"], ["long", "x" * 6000]])
    output = tmp_path / "scores.csv"
    before = texts_scored(ui_server.url)
    result = toxmon("score", "--url", ui_server.url, "--file", str(source), "--format", "csv",
                    "--output", str(output), "--progress-every", "0.5")
    assert result.returncode == 1, result.stderr  # two rows not scored
    table = list(csv.DictReader(open(output, newline="", encoding="utf-8")))
    assert [row["row"] for row in table] == [str(n) for n in range(2, 1504)]   # data rows 2..1503, once each
    assert [row["id"] for row in table[:1500]] == [f"c{n}" for n in range(1, 1501)]
    for n, row in enumerate(table[:1500], 1):
        assert row["text"] == comment(n) and row["error"] == ""
        assert row["is_toxic"] == ("1" if n % 5 == 0 else "0"), (n, row)
    assert "cells" in table[1500]["error"] and table[1501]["error"].startswith("text_too_long: ")
    # Many texts per call: the UI scored them in {"texts": [...]} calls, the long one refused by it.
    assert texts_scored(ui_server.url) - before == 1501
    assert "scored 1500 of 1502 texts" in result.stderr
    assert "2 row(s) not scored: " in result.stderr and "unreadable_row 1" in result.stderr
    assert "text_too_long 1" in result.stderr and "texts/s" in result.stderr
    # Not a terminal: plain progress lines, then the summary.
    lines = [line for line in result.stderr.splitlines() if line.startswith("toxmon: ")]
    assert lines and "of 1,502 rows" in lines[-1] and "texts/s" in lines[-1], result.stderr


def test_standard_input_to_standard_output_as_json_lines(ui_server):
    stdin = "".join(json.dumps({"id": n, "text": comment(n)}) + "\n" for n in range(1, 201))
    result = toxmon("score", "--url", ui_server.url, "--file", "-", "--input-format", "jsonl", "--format", "json",
                    stdin=stdin)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["id"] for record in records] == [str(n) for n in range(1, 201)]
    assert all(record["result"]["verdict"]["is_toxic"] == (n % 5 == 0) for n, record in enumerate(records, 1))
    assert records[0]["result"]["demo"] is True and "scored 200 of 200 texts" in result.stderr


def test_a_killed_run_resumes_with_every_row_once_in_order(ui_server, tmp_path):
    """kill -9 in the middle of the file, then --resume: the output holds each input row once."""
    source = write_csv(tmp_path / "comments.csv", 4000)
    output = tmp_path / "scores.jsonl"
    args = ["score", "--url", ui_server.url, "--file", str(source), "--format", "json", "--output", str(output)]
    process = subprocess.Popen([TOXMON, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and (not output.exists() or output.stat().st_size < 150_000):
            assert process.poll() is None, "finished before it could be interrupted: use a longer file"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    written = output.read_bytes().count(b"\n")
    assert 0 < written < 4000
    with open(output, "ab") as handle:
        handle.write(b'{"row": 999999, "id": "cut in the mid')  # as if the kill had cut a record
    result = toxmon("score", *args[1:], "--resume")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [record["row"] for record in records] == list(range(2, 4002))
    assert [record["text"] for record in records] == [comment(n) for n in range(1, 4001)]
    assert f"resumed after the {written} row(s) already in the output" in result.stderr
    assert f"scored {4000 - written} of {4000 - written} texts" in result.stderr


def test_resume_of_a_finished_csv_scores_nothing_and_keeps_the_file(ui_server, tmp_path):
    source = write_csv(tmp_path / "comments.csv", 50)
    output = tmp_path / "scores.csv"
    args = ["score", "--url", ui_server.url, "--file", str(source), "--format", "csv", "--output", str(output)]
    assert toxmon(*args).returncode == 0
    first = output.read_bytes()
    result = toxmon(*args, "--resume")
    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == first and "scored 0 of 0 texts" in result.stderr


def test_resume_refuses_what_it_cannot_continue(ui_server, tmp_path):
    source = write_csv(tmp_path / "comments.csv", 5)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    cases = [(["--format", "csv", "--output", str(other)], "header is not"),
             (["--format", "table", "--output", str(other)], "needs --format json or csv"),
             (["--format", "csv"], "--resume continues an --output file")]
    for extra, words in cases:
        result = toxmon("score", "--url", ui_server.url, "--file", str(source), "--resume", *extra)
        assert result.returncode == 2 if "continues" in words else result.returncode == 1
        assert words in result.stderr and "Traceback" not in result.stderr
    assert other.read_text() == "a,b\n1,2\n"


def test_a_service_that_stops_mid_file_leaves_a_resumable_prefix(torchserve, tmp_path):
    """The UI goes away in the middle of a file: the run stops with the rows before it written,
    says how to continue, and --resume against a UI that is back completes the file."""
    from support.servers import running_ui
    source = write_csv(tmp_path / "comments.csv", 3000)
    output = tmp_path / "scores.jsonl"
    args = ["--file", str(source), "--format", "json", "--output", str(output)]
    with running_ui(torchserve.ports, tmp_path / "ui") as ui:
        process = subprocess.Popen([TOXMON, "score", "--url", ui.url, *args], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        while not output.exists() or output.stat().st_size < 100_000:
            assert process.poll() is None
            time.sleep(0.05)
        url = ui.url
    stderr = process.communicate(timeout=120)[1]
    assert process.returncode == 1
    assert "cannot connect" in stderr and "--resume" in stderr, stderr
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert [record["row"] for record in records] == list(range(2, 2 + len(records)))
    assert "error" not in records[-1]  # stopped, not thousands of error rows
    with running_ui(torchserve.ports, tmp_path / "ui-again") as ui:
        result = toxmon("score", "--url", ui.url, *args, "--resume")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["row"] for line in output.read_text().splitlines()] == list(range(2, 3002))
    assert url  # the first UI was stopped by leaving its block


def test_a_table_for_people_streams_too(ui_server):
    result = toxmon("score", "--url", ui_server.url, *(comment(n) for n in range(1, 41)))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["row", "verdict"] and len(lines) == 41
    assert [line.split()[0] for line in lines[1:]] == [str(n) for n in range(1, 41)]
    assert io.StringIO(result.stderr).read().count("scored 40 of 40 texts") == 1
