"""The Jenkinsfile: a Groovy lint, then the declarative pipeline's branches, stages and targets."""

import re
import subprocess

from support.servers import ROOT

JENKINSFILE = (ROOT / "Jenkinsfile").read_text()
GROOVY_LINT = ROOT / "build" / "npm" / "node_modules" / ".bin" / "npm-groovy-lint"


def stages() -> dict:
    """Stage name -> its body, for the declarative pipeline's top-level stages."""
    found, positions = {}, [(m.start(), m.group(1)) for m in re.finditer(r"stage\('([^']+)'\)", JENKINSFILE)]
    for (start, name), (end, _) in zip(positions, positions[1:] + [(len(JENKINSFILE), None)]):
        found[name] = JENKINSFILE[start:end]
    return found


def make_targets() -> set:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))


def test_groovy_lint_finds_no_error():
    result = subprocess.run([str(GROOVY_LINT), "--noserver", "--failon", "error", "--output", "txt", "Jenkinsfile"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"'Error'\s*│\s*0\s", result.stdout), result.stdout[-1000:]


def test_pipeline_is_declarative():
    assert JENKINSFILE.lstrip().startswith("//") and "\npipeline {" in JENKINSFILE
    assert "agent any" in JENKINSFILE


def test_every_branch_builds_and_unit_tests_then_feature_branches_stop():
    for name in ("Build", "Unit tests"):
        assert "when {" not in stages()[name], f"{name} must run on every branch"
    for name, body in stages().items():
        if name not in ("Build", "Unit tests"):
            assert re.search(r"when \{ branch '(develop|release/\*|master)' \}", body), f"{name} would run on feature/*"


def test_branch_conditions_and_stages():
    by_branch = {}
    for name, body in stages().items():
        match = re.search(r"when \{ branch '([^']+)' \}", body)
        by_branch.setdefault(match.group(1) if match else "*", []).append(name)
    assert by_branch["develop"] == ["Integration and end-to-end tests", "Stress test", "Images",
                                    "Prepare release branch"]
    assert by_branch["release/*"] == ["User acceptance", "Merge to master"]
    assert by_branch["master"] == ["Deploy", "Tag release"]
    assert "input message:" in stages()["User acceptance"]


def test_every_make_call_names_an_existing_target():
    targets = make_targets()
    calls = re.findall(r"sh '(make [^']+)'", JENKINSFILE)
    assert calls
    for call in calls:
        for word in call.split()[1:]:
            if "=" not in word:
                assert word in targets, f"{call}: no target {word}"


def test_credentials_only_through_jenkins():
    assert "withCredentials" in stages()["Images"] and "withCredentials" in stages()["Deploy"]
    assert not re.search(r"(password|token)\s*=\s*['\"][^'\"$]", JENKINSFILE, re.I)


def test_results_are_published():
    assert "junit 'build/test-results/*.xml'" in JENKINSFILE
    for artifact in ("build/coverage/**", "build/test-artifacts/**", "build/stress/**, build/reports/**"):
        assert artifact in JENKINSFILE
