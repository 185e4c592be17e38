"""Where the repository checkout is: the operator commands (run, archive, bench, monitor)
read its config/, monitoring/ and ui/ folders.

`pip install -e .` (what `make run` does) runs the checkout's own code, so the
package's parent is the checkout. A plain `pip install .` puts the package in
site-packages; then the checkout is the working directory or one of its parents.
"""

import functools
import os
from pathlib import Path


class NotInCheckout(RuntimeError):
    pass


def _is_checkout(path: Path) -> bool:
    return (path / "pyproject.toml").is_file() and (path / "handler" / "model-config.yaml").is_file()


@functools.cache
def root() -> Path:
    candidates = [Path(__file__).resolve().parent.parent, *(p for p in [Path.cwd(), *Path.cwd().parents])]
    if os.environ.get("TOXMON_ROOT"):
        candidates.insert(0, Path(os.environ["TOXMON_ROOT"]))
    for candidate in candidates:
        if _is_checkout(candidate):
            return candidate.resolve()
    raise NotInCheckout("this command needs a Toxicity Monitor checkout: run it inside one, "
                        "or set TOXMON_ROOT to its folder")

