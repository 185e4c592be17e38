"""What `toxmon score` prints: a table for people, JSON Lines or CSV for programs, and a summary."""

import csv
import json
from collections import Counter

from labels import LABELS

from .api_client import ScoreError

SHORT = {"toxic": "toxic", "severe_toxic": "severe", "obscene": "obscene", "threat": "threat",
         "insult": "insult", "identity_hate": "id_hate"}
TEXT_WIDTH = 48


def _clip(text: str, width: int = TEXT_WIDTH) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def _problem(row, result) -> str | None:
    if row.problem:
        return row.problem
    if isinstance(result, ScoreError):
        return str(result)
    return None


def write_table(rows, results, out) -> None:
    header = f"{'row':>5}  {'verdict':<8}" + "".join(f"{SHORT[label]:>9}" for label in LABELS) + "  text"
    out.write(header + "\n")
    for row, result in zip(rows, results):
        problem = _problem(row, result)
        if problem:
            out.write(f"{row.number:>5}  {'ERROR':<8}  {problem}\n")
            continue
        verdict = "toxic" if result["verdict"]["is_toxic"] else "ok"
        scores = "".join(f"{result['scores'][label]:>9.3f}" for label in LABELS)
        out.write(f"{row.number:>5}  {verdict:<8}{scores}  {_clip(row.text)}\n")


def write_jsonl(rows, results, out) -> None:
    for row, result in zip(rows, results):
        record = {"row": row.number, "id": row.row_id, "text": row.text}
        problem = _problem(row, result)
        if problem:
            record["error"] = problem
        else:
            record["result"] = result
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_csv(rows, results, out) -> None:
    writer = csv.writer(out)
    writer.writerow(["row", "id", "text", "is_toxic", "labels", *LABELS, "error"])
    for row, result in zip(rows, results):
        problem = _problem(row, result)
        if problem:
            writer.writerow([row.number, row.row_id, row.text, "", "", *[""] * len(LABELS), problem])
        else:
            verdict = result["verdict"]
            writer.writerow([row.number, row.row_id, row.text, int(verdict["is_toxic"]), ";".join(verdict["labels"]),
                             *[f"{result['scores'][label]:.6f}" for label in LABELS], ""])


WRITERS = {"table": write_table, "json": write_jsonl, "csv": write_csv}


def summary(rows, results, retries_honoured: int = 0) -> tuple[str, int]:
    """A few lines for people (standard error) and how many rows failed."""
    problems = [(row, result, _problem(row, result)) for row, result in zip(rows, results)]
    failed = [(row, problem) for row, _, problem in problems if problem]
    scored = [result for _, result, problem in problems if not problem]
    toxic = sum(result["verdict"]["is_toxic"] for result in scored)
    by_label = Counter(label for result in scored for label in result["verdict"]["labels"])
    lines = [f"scored {len(scored)} of {len(rows)} texts: {toxic} toxic"
             + (f" ({toxic / len(scored):.0%})" if scored else "")]
    if by_label:
        lines.append("by label: " + ", ".join(f"{label} {by_label[label]}" for label in LABELS if by_label[label]))
    if retries_honoured:
        lines.append(f"the service asked to slow down {retries_honoured} time(s) (429/503 with Retry-After): waited")
    if failed:
        lines.append(f"{len(failed)} row(s) not scored:")
        lines += [f"  row {row.number}: {problem}" for row, problem in failed[:20]]
        if len(failed) > 20:
            lines.append(f"  ... and {len(failed) - 20} more")
    return "\n".join(lines), len(failed)
