"""The command line: help everywhere, init gives a client that builds, check formats and exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from generator.checks import REGISTRY
from generator.cli import app

from .conftest import copy_demo

runner = CliRunner()


@pytest.mark.parametrize("command", ["", "init", "sync", "import", "validate", "build", "serve", "check", "diff",
                                     "health", "bundle", "audit", "incident"])
def test_help_everywhere(command):
    result = runner.invoke(app, [command, "--help"] if command else ["--help"])
    assert result.exit_code == 0 and "Usage" in result.output
    assert "clients//" not in result.output and "build//" not in result.output  # <client> shown, not eaten


@pytest.mark.slow
def test_init_scaffolds_a_client_that_builds(tmp_path):
    result = runner.invoke(app, ["init", "acme-retail", "--name", "Acme Retail Ltd", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["validate", "acme-retail", "--root", str(tmp_path)]).exit_code == 0
    result = runner.invoke(app, ["build", "acme-retail", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "build/acme-retail/site/index.html").is_file()
    assert (tmp_path / "build/acme-retail/acme-retail-handover.pdf").stat().st_size > 10_000
    again = runner.invoke(app, ["init", "acme-retail", "--root", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_init_refuses_bad_names(tmp_path):
    result = runner.invoke(app, ["init", "Acme Ltd", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "lower case" in result.output


def test_check_json_and_fail_on(tmp_path):
    copy_demo(tmp_path)
    result = runner.invoke(app, ["check", "demo", "--root", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    rows = document["findings"]
    assert any(r["check"] == "ACCESS-005" and r["resource"] == "make:88125"
               and r["location"] == "clients/demo/snapshot/credentials.yml" for r in rows)
    assert all("value" not in r for r in rows)
    controls = {c["id"]: c for c in document["controls"]}
    assert set(controls) == {c.id for c in REGISTRY}
    for c in controls.values():
        assert {"id", "title", "area", "severity", "status", "reason", "frameworks", "results"} <= set(c)
        assert all({"status", "resource", "evidence", "location"} <= set(r) for r in c["results"])
    assert {c["status"] for c in controls.values()} >= {"pass", "fail", "not_assessed"}
    assert controls["ISO-001"]["status"] == "not_assessed" and "only client" in controls["ISO-001"]["reason"]
    passed = controls["ACCESS-006"]
    assert passed["status"] == "fail" and any(r["status"] == "pass" and "requires" in r["evidence"]
                                              for r in passed["results"])
    assert controls["INC-001"]["status"] == "pass" and controls["INC-001"]["results"][0]["evidence"]
    assert "CC6.1" in passed["frameworks"]["SOC 2"]
    # the findings are the failing results of the controls (info-level review lists aside)
    failing = {(c["id"], r["resource"]) for c in controls.values() if c["severity"] != "info"
               for r in c["results"] if r["status"] == "fail"}
    assert failing == {(f["check"], f["resource"]) for f in rows}
    assert len(rows) == len(failing)  # one finding per control and resource
    assert runner.invoke(app, ["check", "demo", "--root", str(tmp_path), "--fail-on", "high"]).exit_code == 1
    assert runner.invoke(app, ["check", "demo", "--root", str(tmp_path), "--fail-on", "critical"]).exit_code == 0


def test_build_needs_one_client_or_all(tmp_path):
    copy_demo(tmp_path)
    result = runner.invoke(app, ["build", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "--all" in result.output


def test_check_csv_and_sarif(tmp_path):
    import csv
    import io

    copy_demo(tmp_path)
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["check", "demo", "--root", str(tmp_path),
                                                               "--format", "csv"]).stdout)))
    assert rows and {"control", "control_status", "reason", "status", "resource", "evidence", "location",
                     "frameworks"} <= set(rows[0])
    assert any(r["status"] == "fail" and r["muted"] == "true" and r["mute_reason"] for r in rows)
    assert any(r["control"] == "ISO-001" and r["control_status"] == "not_assessed" and not r["status"] for r in rows)
    sarif = json.loads(runner.invoke(app, ["check", "demo", "--root", str(tmp_path), "--format", "sarif"]).stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids)) and "SEC-001" in rule_ids
    judged = [r for r in rows if r["status"]]
    unjudged = {r["control"] for r in rows if r["reason"]}
    assert len(run["results"]) == len(judged) + len(unjudged)  # one per result, one per control not judged
    assert {r["kind"] for r in run["results"]} >= {"pass", "fail", "open", "review"}
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note") if result["kind"] == "fail" else result["level"] == "none"
        if result["kind"] == "open":
            continue
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("clients/demo/") and (tmp_path / uri.rstrip("/")).exists(), uri
    assert any(r.get("suppressions") for r in run["results"])


def test_check_list_and_only(tmp_path):
    listed = runner.invoke(app, ["check", "--list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0
    assert all(c.id in listed.output for c in REGISTRY) and "ISO/IEC 27001" in listed.output
    copy_demo(tmp_path)
    only = runner.invoke(app, ["check", "demo", "--root", str(tmp_path), "--format", "json", "--only", "MON-001",
                               "--only", "iso-001"])
    assert only.exit_code == 0, only.output
    document = json.loads(only.stdout)
    assert [c["id"] for c in document["controls"]] == ["ISO-001", "MON-001"]
    assert {f["check"] for f in document["findings"]} == {"MON-001"}
    unknown = runner.invoke(app, ["check", "demo", "--root", str(tmp_path), "--only", "NOPE-9"])
    assert unknown.exit_code == 2 and "--only NOPE-9: no such control" in unknown.output
    assert runner.invoke(app, ["check", "--root", str(tmp_path)]).exit_code == 2  # a client or --list
