"""constraints.txt is the one lock: every pin written elsewhere agrees with it, and
every package of this environment is in it at the installed release."""

import re
import tomllib
from importlib import metadata

from support.servers import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines) -> dict:
    found = {}
    for line in lines:
        if match := PIN.match(line.strip()):
            found[normalize(match[1])] = match[2]
    return found


LOCK = pins((ROOT / "constraints.txt").read_text().splitlines())


def test_every_pin_elsewhere_matches_the_lock():
    files = ["handler/requirements.txt", "ui/requirements.txt", "tests/requirements.txt"]
    written = {f: pins((ROOT / f).read_text().splitlines()) for f in files}
    written["pyproject.toml"] = pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    disagreements = [f"{where}: {name}=={version}, lock {LOCK.get(name)}"
                     for where, found in written.items() for name, version in found.items()
                     if LOCK.get(name) != version]
    assert disagreements == []
    assert LOCK["torch"] == "2.13.0"


def test_this_environment_is_the_locked_one():
    """A package installed here but missing from the lock (a new dependency) fails until
    `make constraints` records it."""
    own = {"toxicity-monitor", "pip", "setuptools", "wheel"}
    installed = {normalize(d.metadata["Name"]): d.version.split("+")[0] for d in metadata.distributions()}
    unlocked = {name: version for name, version in installed.items()
                if name not in own and LOCK.get(name) != version}
    assert unlocked == {}, "run `make constraints` and commit constraints.txt"
