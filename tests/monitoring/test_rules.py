"""Prometheus and Alertmanager configs checked by their own tools, and rule tests that can fail."""

import shutil
import subprocess

import yaml

from support.servers import ROOT

PROMETHEUS = ROOT / "monitoring" / "prometheus"
ALERTMANAGER = ROOT / "monitoring" / "alertmanager"


def run(*command, cwd=PROMETHEUS):
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def all_rules(kind):
    groups = yaml.safe_load((PROMETHEUS / f"{kind}.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_promtool_checks_the_config_and_rules():
    config = run("promtool", "check", "config", "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr
    rules = run("promtool", "check", "rules", "recording.yml", "alerts.yml")
    assert rules.returncode == 0, rules.stdout + rules.stderr


def test_promtool_rule_unit_tests_pass():
    result = run("promtool", "test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_a_wrong_expectation_makes_promtool_fail(tmp_path):
    for name in ("recording.yml", "alerts.yml"):
        shutil.copy(PROMETHEUS / name, tmp_path / name)
    broken = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())
    first_alert = next(t for t in broken["tests"] if t.get("alert_rule_test", [{}])[0].get("exp_alerts"))
    first_alert["alert_rule_test"][0]["exp_alerts"][0]["exp_labels"]["severity"] = "info"
    (tmp_path / "alerts_test.yml").write_text(yaml.safe_dump(broken))
    result = run("promtool", "test", "rules", "alerts_test.yml", cwd=tmp_path)
    assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr


def test_every_alert_has_severity_for_and_first_response():
    for rule in all_rules("alerts"):
        assert "for" in rule, rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"] and "first" in rule["annotations"]["description"], rule["alert"]


def github_anchor(heading: str) -> str:
    """The anchor GitHub (and most Markdown renderers) give a heading."""
    kept = "".join(char for char in heading.strip().lower() if char.isalnum() or char in " -_")
    return kept.replace(" ", "-")


def test_every_alert_links_to_its_own_runbook_section():
    runbook = (ROOT / "monitoring" / "runbook.md").read_text()
    anchors = {github_anchor(line[3:]) for line in runbook.splitlines() if line.startswith("## ")}
    for rule in all_rules("alerts"):
        url = rule["annotations"].get("runbook_url", "")
        base, _, anchor = url.partition("#")
        # An absolute link: the base is prometheus.yml's external label (test_alert_path.py reads it rendered).
        assert base == "{{ $externalLabels.runbook }}" and anchor == rule["alert"].lower(), (rule["alert"], url)
        assert anchor in anchors, f"{rule['alert']}: monitoring/runbook.md has no section #{anchor}"
        section = runbook.split(f"## {rule['alert']}\n", 1)[1].split("\n## ", 1)[0]
        assert "**Check first**" in section and rule["labels"]["severity"] in section, rule["alert"]


def test_every_alert_is_tested_firing_and_quiet_and_every_recording_rule_is_tested():
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    firing, quiet, expressions = set(), set(), set()
    for test in tests:
        for case in test.get("alert_rule_test", []):
            (firing if case["exp_alerts"] else quiet).add(case["alertname"])
        for case in test.get("promql_expr_test", []):
            expressions.add(case["expr"])
    alerts = {rule["alert"] for rule in all_rules("alerts")}
    assert alerts <= firing, f"never seen firing: {alerts - firing}"
    assert alerts <= quiet, f"never checked quiet: {alerts - quiet}"
    recorded = {rule["record"] for rule in all_rules("recording")}
    assert recorded <= expressions, f"untested recording rules: {recorded - expressions}"


def test_amtool_checks_the_alertmanager_config():
    result = run("amtool", "check-config", "alertmanager.yml", cwd=ALERTMANAGER)
    assert result.returncode == 0, result.stdout + result.stderr


def test_target_down_inhibits_the_alerts_it_causes():
    config = yaml.safe_load((ALERTMANAGER / "alertmanager.yml").read_text())
    inhibitions = {rule["source_matchers"][0]: rule["target_matchers"][0] for rule in config["inhibit_rules"]}
    assert "LatencySLOBreached" in inhibitions['alertname="TorchServeDown"']
    assert config["receivers"][0]["webhook_configs"][0]["send_resolved"] is True
