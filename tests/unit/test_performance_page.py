"""docs/performance.md carries the latest benchmark exactly as bench/results/latest.md has it."""

import pytest

from support.servers import ROOT
from toxmon.bench.publish import END, START, MarkersMissing, generated_part, publish


def test_the_page_shows_the_latest_results():
    page = (ROOT / "docs" / "performance.md").read_text()
    assert generated_part(page) == (ROOT / "bench" / "results" / "latest.md").read_text()


def test_publishing_replaces_only_the_generated_part(tmp_path):
    page = tmp_path / "performance.md"
    page.write_text(f"# Performance\n\nmethod\n\n{START}\nold table\n{END}\n\nwhat it says\n")
    publish("| new | table |\n", page)
    assert page.read_text() == f"# Performance\n\nmethod\n\n{START}\n| new | table |\n{END}\n\nwhat it says\n"
    assert generated_part(page.read_text()) == "| new | table |\n"


def test_a_page_without_markers_is_left_alone(tmp_path):
    page = tmp_path / "performance.md"
    page.write_text("# Performance\n")
    with pytest.raises(MarkersMissing):
        publish("| new |\n", page)
    assert page.read_text() == "# Performance\n"


def test_the_readme_quotes_no_measured_throughput():
    """Figures depend on the machine: the README links to the generated page, which names it."""
    import re
    readme = (ROOT / "README.md").read_text()
    assert not re.search(r"\d[\d.,]*\s*(requests|req|texts)/s\b|\b\d+(\.\d+)?x (a|the) naive", readme, re.I)
    assert "docs/performance.md" in readme
