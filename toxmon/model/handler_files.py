"""Where the archive's files are: handler/ holds exactly what the archive ships, so its
contents are the archive's file list (the model's files aside)."""

from pathlib import Path

import yaml

from ..checkout import root

HANDLER = "toxic_handler.py"
MODEL_CONFIG = "model-config.yaml"
REQUIREMENTS = "requirements.txt"


class MissingHandler(RuntimeError):
    pass


def handler_dir() -> Path:
    return root() / "handler"


def handler_modules() -> list[Path]:
    """The handler's Python modules: every one in handler/, the handler itself first."""
    modules = sorted(handler_dir().glob("*.py"), key=lambda path: (path.name != HANDLER, path.name))
    if not modules or modules[0].name != HANDLER:
        raise MissingHandler(f"{handler_dir()} has no {HANDLER}")
    return modules


def shipped_model_config(config_file: Path | None = None) -> dict:
    """The model config an archive ships (handler/model-config.yaml unless another is named)."""
    return yaml.safe_load(Path(config_file or handler_dir() / MODEL_CONFIG).read_text())
