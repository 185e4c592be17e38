"""Each rule in one place: the model's names, the visible-text rule, the readiness check,
TorchServe's settings, the handler's module list, and an import structure without circles.

Each test reads the repository's own sources (tracked files, tests and docs aside), so a
second home for a rule, written tomorrow, fails here."""

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from support.servers import ROOT

SOURCE_SUFFIXES = {".py", ".sh", ".yml", ".yaml", ".properties", ".toml"}
SOURCE_NAMES = {"Dockerfile", "Makefile", "Jenkinsfile"}
# A literal value: a number, a string, a boolean (not a type annotation or a variable).
LITERAL = r"""(?:-?\d|["']|true\b|false\b|True\b|False\b)"""


def sources() -> dict[str, str]:
    """The tracked files that configure or run the product, by repository path."""
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    found = {}
    for name in names:
        path = Path(name)
        if name.startswith(("tests/", "docs/", "bench/results/")):
            continue
        if path.suffix in SOURCE_SUFFIXES or path.name in SOURCE_NAMES:
            found[name] = (ROOT / name).read_text()
    assert "handler/toxic_handler.py" in found and "deploy/torchserve/Dockerfile" in found
    return found


SOURCES = sources()


def hits(pattern: str, flags: int = 0) -> set[str]:
    return {name for name, text in SOURCES.items() if re.search(pattern, text, flags)}


# --- the model's names ------------------------------------------------------------------------
def test_the_uis_copy_of_the_models_names_is_the_handlers():
    """The UI image has no handler, so it keeps a copy: held equal here."""
    import labels
    from toxicity_ui import model_names
    assert model_names.LABELS == labels.LABELS
    assert model_names.MODEL_NAME == labels.MODEL_NAME


def test_the_labels_and_the_model_name_are_spelled_out_once_per_image():
    every_label = r""",\s*""".join(f"[\"']{label}[\"']" for label in
                                  ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"))
    assert hits(every_label) == \
        {"handler/labels.py", "ui/toxicity_ui/model_names.py"}
    python = {name for name in hits(r"""["']toxic-bert["']""") if name.endswith(".py")}
    assert python == {"handler/labels.py", "ui/toxicity_ui/model_names.py"}
    assert {name for name in hits(r"""["']unitary/toxic-bert["']""") if name.endswith(".py")} == {"handler/labels.py"}


# --- the visible-text rule ----------------------------------------------------------------------
def test_the_ui_and_the_handler_refuse_the_same_texts():
    """The UI refuses a text without a round trip only if the handler would refuse it too: the
    two copies of the rule (the UI image has no handler) agree on every code point."""
    from request_parsing import INVISIBLE_CATEGORIES as HANDLER_CATEGORIES, InputError, check_text
    from toxicity_ui.config import Settings
    from toxicity_ui.errors import ApiError
    from toxicity_ui.text_rules import INVISIBLE_CATEGORIES as UI_CATEGORIES, validate_text
    assert HANDLER_CATEGORIES == UI_CATEGORIES
    settings = Settings(secret_key="x")

    def refused_by_ui(text):
        try:
            validate_text(text, settings)
        except ApiError:
            return True
        return False

    def refused_by_handler(text):
        if not text.strip():
            return True
        try:
            check_text(text)
        except InputError:
            return True
        return False

    differ = [hex(code) for code in range(0x110000)
              if refused_by_ui(chr(code) * 2) != refused_by_handler(chr(code) * 2)]
    assert not differ, f"refused by one side only: {differ[:20]}"


# --- is TorchServe ready? ------------------------------------------------------------------------
def test_the_ready_check_is_written_once():
    assert hits(r"""["']?status["']?\]?\)?\s*==\s*["']READY["']""") == {"ui/toxicity_ui/torchserve_ready.py"}
    assert not hits(r"urlopen\([^)]*/models/"), "an inline readiness probe: use torchserve-ready"


def test_every_torchserve_probe_is_the_images_script():
    compose = yaml.safe_load(SOURCES["docker-compose.yml"])
    assert compose["services"]["torchserve"]["healthcheck"]["test"] == ["CMD", "torchserve-ready"]
    assert 'CMD ["torchserve-ready"]' in SOURCES["deploy/torchserve/Dockerfile"]
    assert "ui/toxicity_ui/torchserve_ready.py /usr/local/bin/torchserve-ready" in SOURCES["deploy/torchserve/Dockerfile"]
    probes = 0
    for name in (n for n in SOURCES if n.startswith("deploy/k8s/")):
        for document in yaml.safe_load_all(SOURCES[name]):
            for probe in re.findall(r"'readinessProbe': (\{[^}]*\})", str(document)):
                if "exec" in probe:
                    probes += 1
                    assert "'command': ['torchserve-ready']" in probe, (name, probe)
    assert probes == 3  # base, KServe, the rollout's candidate


# --- TorchServe's settings -------------------------------------------------------------------------
def properties(text: str) -> dict:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


# A stock TorchServe's own file: the benchmark's baseline, different on purpose.
STOCK_BASELINE = "bench/torchserve-stock.properties"
# Where a per-place property (torchserve_process.PER_PLACE) may be given: a local run and the
# tools that find what TorchServe found (the entrypoint, the readiness probe).
PER_PLACE_HOMES = {"toxmon/torchserve_process.py", "deploy/torchserve/torchserve-entrypoint.sh",
                   "ui/toxicity_ui/torchserve_ready.py"}


def test_torchserve_properties_are_set_in_config_properties_only():
    from toxmon.torchserve_process import PER_PLACE
    keys = properties(SOURCES["config/config.properties"])
    assert set(PER_PLACE) <= set(keys)
    for key in keys:
        found = hits(rf"\bTS_{key.upper()}\b") | hits(rf"^\s*{key}\s*=", re.M) | hits(rf"""["']{key}["']\s*:""")
        found -= {"config/config.properties", STOCK_BASELINE}
        allowed = PER_PLACE_HOMES if key in PER_PLACE else set()
        assert found <= allowed, f"{key} is set in {sorted(found - allowed)} too"
    # TorchServe's flags that repeat a property: --models is load_models, the other
    # disable_token_authorization.
    assert not hits(r"--models\b|--disable-token-auth\b")


MODEL_CONFIG = yaml.safe_load((ROOT / "handler" / "model-config.yaml").read_text())
# Variations a benchmark measures against the shipped values (its own rows say so).
MEASURED_VARIATIONS = {("toxmon/bench/batching.py", "batchSize"), ("toxmon/bench/batching.py", "maxBatchDelay"),
                       ("toxmon/bench/scenarios.py", "length_grouping")}


@pytest.mark.parametrize("key", [k for k in MODEL_CONFIG if k != "handler"] + list(MODEL_CONFIG["handler"]))
def test_a_model_config_setting_is_given_a_value_in_model_config_yaml_only(key):
    found = hits(rf"""^\s*["']?{key}["']?\s*:\s*{LITERAL}""", re.M) | hits(rf"""["']{key}["']\s*:\s*{LITERAL}""")
    found = {name for name in found if (name, key) not in MEASURED_VARIATIONS} - {"handler/model-config.yaml"}
    assert not found, f"{key} has a value in {sorted(found)} too"


def test_the_offline_scorer_scores_with_the_archives_settings():
    from toxmon.model.offline_context import OfflineContext
    context = OfflineContext(ROOT / "no-model", {"precision": "fp32"})
    assert context.model_yaml_config["handler"] == {**MODEL_CONFIG["handler"], "precision": "fp32"}
    assert context.system_properties["batch_size"] == MODEL_CONFIG["batchSize"]


# --- handler/ is the archive's ------------------------------------------------------------------
def test_every_handler_module_is_installed_flat_and_no_other():
    pyproject = tomllib.loads(SOURCES["pyproject.toml"])
    assert sorted(pyproject["tool"]["setuptools"]["py-modules"]) == \
        sorted(path.stem for path in (ROOT / "handler").glob("*.py"))


def test_handler_holds_no_build_tool():
    """The tools that make a model never enter the archive, so they live in toxmon/model/."""
    for path in (ROOT / "handler").glob("*.py"):
        imported = imports_of(path, None)
        assert not {name for name in imported if name.split(".")[0] in ("toxmon", "toxicity_ui", "argparse")}, path


# --- the structure --------------------------------------------------------------------------------
HANDLER_MODULES = {path.stem for path in (ROOT / "handler").glob("*.py")}


def module_name(path: Path) -> str | None:
    relative = path.relative_to(ROOT)
    if relative.parts[0] == "handler":
        return path.stem
    if relative.parts[:2] == ("ui", "toxicity_ui"):
        relative = relative.relative_to("ui")
    parts = list(relative.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package: str | None, modules=()) -> set[str]:
    """Every module a file imports, at the top or inside a function, relative imports resolved.
    `from package import module` depends on that module (and on the package only for names
    that are not modules of it)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            submodules = {f"{base}.{alias.name}" for alias in node.names} & set(modules)
            found |= submodules
            if len(submodules) < len(node.names):
                found.add(base)
    return found


def project_graph() -> dict[str, set[str]]:
    files = [*(ROOT / "handler").glob("*.py"), *(ROOT / "toxmon").rglob("*.py"), *(ROOT / "ui" / "toxicity_ui").glob("*.py")]
    modules = {module_name(path): path for path in files}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = {target for target in imports_of(path, package, modules) if target in modules and target != name}
    return graph


def test_no_import_circle():
    graph = project_graph()
    assert {"toxicity_ui.errors", "toxicity_ui.pages", "toxmon.model.archive"} <= set(graph)
    state, cycles = {}, []

    def visit(node, path):
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = "done"

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_layers_import_downwards_only():
    """toxmon (the operator's tools) may use the UI package and the handler; the UI never toxmon;
    the handler neither (it runs inside TorchServe with no project installed)."""
    for name, targets in project_graph().items():
        tops = {target.split(".")[0] for target in targets}
        if name.startswith("toxicity_ui"):
            assert "toxmon" not in tops, name
        if name in HANDLER_MODULES:
            assert not tops & {"toxmon", "toxicity_ui"}, name


def test_make_test_runs_every_layer_exactly_once():
    """`make test` runs tests/unit, then the Makefile's two lanes: a layer in neither would never
    run in CI, one in both would run twice at once."""
    makefile = (ROOT / "Makefile").read_text()
    lanes = [re.search(rf"^{name} := (.*)$", makefile, re.M).group(1).split()
             for name in ("TEST_LANE_SERVICE", "TEST_LANE_BUILDS")]
    ini = (ROOT / "tests" / "pytest.ini").read_text()
    layers = re.search(r"^testpaths *= *(.*)$", ini, re.M).group(1).split()
    with_tests = {path.parent.name for path in (ROOT / "tests").glob("*/test_*.py")}
    assert sorted(["unit", *lanes[0], *lanes[1]]) == sorted(layers)
    assert with_tests == set(layers)
