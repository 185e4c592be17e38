"""`promtool check metrics`: what Prometheus's own tooling says of an exposition."""

import shutil
import subprocess

LINT_ONLY = 3  # promtool's exit status when the format is valid and only naming advice is given


def exposition_problems(exposition: str) -> str:
    """'' when the exposition parses as a scrape would (a family given twice does not); else
    promtool's words. Naming advice (e.g. TorchServe's counters without _total) is not a problem."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is installed by scripts/install-system-deps.sh"
    result = subprocess.run([promtool, "check", "metrics"], input=exposition, capture_output=True, text=True,
                            timeout=30)
    output = result.stdout + result.stderr
    if result.returncode in (0, LINT_ONLY) and "error while linting" not in output:
        return ""
    return output or f"promtool exited {result.returncode}"
