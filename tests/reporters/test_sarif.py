"""gates.sarif as GitHub code scanning reads it: valid against the SARIF 2.1.0 schema and
against GitHub's own rules (one run per tool and category, the same runs whether or not
anything was found, every rule documented, security rules ranked)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import Repo, gates_run

from gates.model import (
    DiffInfo,
    Finding,
    GateResult,
    Report,
    Severity,
    Stage,
    Status,
    Suppression,
    Verdict,
)
from gates.reporters.sarif import (
    MAX_RESULTS_PER_RUN,
    MAX_TAGS_PER_RULE,
    NOTICES_CATEGORY,
    TOOL_URIS,
    report_to_sarif,
)
from gates.rule_docs import DOCS_URL, rule_doc

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/schemas/sarif-schema-2.1.0.json").read_text("utf-8"))
MAX_RUNS = 20  # GitHub: runs per file
SECURITY_TAGS = {"safety", "integrity", "security"}
# workflow-security, audit and coverage have nothing to judge here (skipped): their runs are there
GATES = (
    "dangerous-code,secrets,hidden-unicode,workflow-security,bandit,semgrep,audit,ruff,mypy,"
    "coverage,size"
)
SECURITY_RUNS = frozenset(
    {"gates/safety/", "gates/zizmor/", "gates/bandit/", "gates/semgrep/", "gates/pip-audit/"}
)


def github_problems(sarif: Mapping[str, Any], security: frozenset[str] = frozenset()) -> list[str]:
    """What GitHub code scanning refuses or cannot use in an upload, one line each; the runs
    of the `security` categories must rank every rule with a security-severity."""
    problems: list[str] = []
    runs = sarif["runs"]
    if len(runs) > MAX_RUNS:
        problems.append(f"{len(runs)} runs")
    seen: set[tuple[str, str]] = set()
    for run in runs:
        driver = run["tool"]["driver"]
        key = (driver["name"], run.get("automationDetails", {}).get("id", "").rpartition("/")[0])
        if not key[1]:
            problems.append(f"{key[0]}: no automationDetails.id category")
        if key in seen:
            problems.append(f"two runs of {key}")
        seen.add(key)
        problems += _driver_problems(driver, key[1] + "/" in security)
        problems += _result_problems(driver, run["results"])
    return problems


def _driver_problems(driver: Mapping[str, Any], security: bool) -> list[str]:
    name = driver["name"]
    problems = [] if driver.get("version") else [f"{name}: no driver.version"]
    if not driver.get("informationUri", "").startswith("https://"):
        problems.append(f"{name}: no informationUri")
    for rule in driver["rules"]:
        where = f"{name} {rule['id']}"
        for key in ("shortDescription", "fullDescription"):
            if not rule.get(key, {}).get("text"):
                problems.append(f"{where}: no {key}")
        if not rule.get("help", {}).get("text") or not rule["help"].get("markdown"):
            problems.append(f"{where}: no help text and markdown")
        if not rule.get("helpUri", "").startswith("https://"):
            problems.append(f"{where}: no helpUri")
        tags = set(rule["properties"]["tags"])
        if len(tags) > MAX_TAGS_PER_RULE:
            problems.append(f"{where}: {len(tags)} tags")
        if security or tags & SECURITY_TAGS:
            problems += _security_severity_problems(where, rule["properties"])
        elif "security-severity" in rule["properties"]:
            problems.append(f"{where}: security-severity on a rule that is not security")
    return problems


def _security_severity_problems(where: str, properties: Mapping[str, Any]) -> list[str]:
    value = properties.get("security-severity")
    if not isinstance(value, str):
        return [f"{where}: no security-severity string"]
    if not 0.0 <= float(value) <= 10.0:
        return [f"{where}: security-severity {value} out of 0-10"]
    return [] if "security" in properties["tags"] else [f"{where}: no security tag"]


def _result_problems(driver: Mapping[str, Any], results: list[dict[str, Any]]) -> list[str]:
    problems = []
    if len(results) > MAX_RESULTS_PER_RUN:
        problems.append(f"{driver['name']}: {len(results)} results")
    for result in results:
        index = result.get("ruleIndex", -1)
        if (
            not 0 <= index < len(driver["rules"])
            or driver["rules"][index]["id"] != result["ruleId"]
        ):
            problems.append(f"{driver['name']} {result['ruleId']}: ruleIndex {index} is wrong")
        if not result.get("locations"):
            problems.append(f"{driver['name']} {result['ruleId']}: no location")
        if not result.get("partialFingerprints"):
            problems.append(f"{driver['name']} {result['ruleId']}: no partialFingerprints")
    return problems


def _runs(sarif: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {(r["tool"]["driver"]["name"], r["automationDetails"]["id"]) for r in sarif["runs"]}


# --- the real run ----------------------------------------------------------------------------

FLAWED = """import os
import hashlib


def run(expr, name):
    os.system("ls " + name)
    return eval(expr), hashlib.md5(name.encode()).hexdigest()
"""
CLEAN = "def add(a: int, b: int) -> int:\n    return a + b\n"


def _sarif_of_pr(root: Path, content: str) -> dict[str, Any]:
    """The SARIF of a real run on a PR that adds `content` (its own HOME and cache)."""
    repo = Repo(root / "repo")
    repo.write("pyproject.toml", '[tool.ruff.lint]\nselect = ["E", "F", "S"]\n')
    base = repo.commit("base")
    repo.write("app.py", content)
    repo.commit("pr")
    env = {**os.environ, "HOME": str(root), "GATES_CACHE_DIR": str(root / "cache")}
    done = gates_run(repo.path, "--base", base, "--stages", GATES, env=env)
    assert done.returncode in (0, 1), done.stderr
    sarif: dict[str, Any] = json.loads((repo.path / "reports/gates.sarif").read_text())
    return sarif


@pytest.fixture(scope="module")
def flawed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _sarif_of_pr(tmp_path_factory.mktemp("flawed"), FLAWED)


def test_real_report_is_valid_and_meets_githubs_rules(flawed: dict[str, Any]) -> None:
    jsonschema.validate(flawed, SCHEMA)
    assert github_problems(flawed, SECURITY_RUNS) == []
    names = {
        name
        for run in flawed["runs"]
        for r in run["results"]
        for name in [
            f"{r['properties']['tool']}:{r['ruleId']}",
            *r["properties"].get("alsoReportedBy", []),
        ]
    }
    assert {
        "gates:eval-nonliteral",
        "semgrep:gates.python.eval-injection",
        "bandit:B307",
        "ruff:S307",
        "gates:shell-command",
        "bandit:B605",
        "bandit:B324",
    } <= names


def test_runs_are_the_same_whether_or_not_anything_was_found(
    flawed: dict[str, Any], tmp_path: Path
) -> None:
    clean = _sarif_of_pr(tmp_path, CLEAN)
    assert github_problems(clean, SECURITY_RUNS) == []
    assert _runs(clean) == _runs(flawed)
    assert [r["results"] for r in clean["runs"]] == [[] for _ in clean["runs"]]
    assert _runs(flawed) == {
        ("bandit", "gates/bandit/"),
        ("gates", NOTICES_CATEGORY),
        ("gates", "gates/safety/"),
        ("gates", "gates/size/"),
        ("ruff", "gates/ruff/"),
        ("semgrep", "gates/semgrep/"),
        ("zizmor", "gates/zizmor/"),
        ("pip-audit", "gates/pip-audit/"),
        ("mypy", "gates/mypy/"),
        ("pytest", "gates/pytest/"),
    }


def test_every_run_names_its_tool_version_and_home(flawed: dict[str, Any]) -> None:
    for run in flawed["runs"]:
        driver = run["tool"]["driver"]
        assert driver["informationUri"] == TOOL_URIS[driver["name"]]
        assert driver["version"][0].isdigit(), driver
        assert not driver["version"].startswith(driver["name"])
    ruff = next(r for r in flawed["runs"] if r["tool"]["driver"]["name"] == "ruff")
    assert ruff["tool"]["driver"]["informationUri"] == "https://docs.astral.sh/ruff/"


def test_gates_rules_carry_their_docs(flawed: dict[str, Any]) -> None:
    rules = {
        rule["id"]: rule
        for run in flawed["runs"]
        if run["automationDetails"]["id"] == "gates/safety/"
        for rule in run["tool"]["driver"]["rules"]
    }
    for rule_id, rule in rules.items():
        doc = rule_doc(rule_id)
        assert doc is not None, rule_id
        assert rule["helpUri"] == f"{DOCS_URL}/{doc.stage}.md#{doc.anchor}"
        assert rule["help"]["markdown"].startswith(doc.markdown.strip())
        assert rule["shortDescription"]["text"] == doc.summary
        assert rule["properties"]["security-severity"] in ("3.0", "5.5", "9.0")


def test_merged_findings_name_the_other_tools(flawed: dict[str, Any]) -> None:
    merged = [
        r for run in flawed["runs"] for r in run["results"] if r["properties"].get("alsoReportedBy")
    ]
    assert merged
    for result in merged:
        names = result["properties"]["alsoReportedBy"]
        assert all(":" in name for name in names)
        assert result["message"]["text"].endswith(f"(also reported by {', '.join(names)})")


# --- built reports ---------------------------------------------------------------------------


def _finding(gate: str, tool: str, rule: str, path: str = "a.py", **kw: Any) -> Finding:
    values: dict[str, Any] = {"line": 2, "new": True, "fingerprint": "f" * 32}
    values.update(kw)
    severity = values.pop("severity", Severity.WARNING)
    return Finding(gate, tool, rule, severity, path, f"{tool} says {rule}", **values)


def _report(*gates: GateResult, notices: tuple[Finding, ...] = ()) -> Report:
    diff = DiffInfo("b" * 40, "h" * 40, "b" * 40, "diff", "note", 1, 1, 0)
    return Report(Verdict.FAIL, diff, gates, "now", 1.0, notices=notices, version="9.9.9")


def _gate(name: str, stage: Stage, *findings: Finding, **kw: Any) -> GateResult:
    return GateResult(name, stage, kw.pop("status", Status.FAIL), findings, **kw)


def _rule(sarif: Mapping[str, Any], rule_id: str) -> dict[str, Any]:
    rule: dict[str, Any] = next(
        r for run in sarif["runs"] for r in run["tool"]["driver"]["rules"] if r["id"] == rule_id
    )
    return rule


def test_security_severity_follows_githubs_scale() -> None:
    sarif = report_to_sarif(
        _report(
            _gate(
                "secrets",
                Stage.SAFETY,
                _finding("secrets", "gates", "secret-token", severity=Severity.ERROR),
            ),
            _gate(
                "bandit",
                Stage.SECURITY,
                _finding("bandit", "bandit", "B324"),
                tool_version="bandit 1.9.4",
            ),
            _gate(
                "semgrep",
                Stage.SECURITY,
                _finding("semgrep", "semgrep", "x.y", severity=Severity.ERROR),
                _finding("semgrep", "semgrep", "x.z", severity=Severity.NOTE),
            ),
            _gate("mypy", Stage.QUALITY, _finding("mypy", "mypy", "arg-type")),
        )
    )
    assert float(_rule(sarif, "secret-token")["properties"]["security-severity"]) >= 9.0
    assert 4.0 <= float(_rule(sarif, "B324")["properties"]["security-severity"]) < 7.0
    assert 7.0 <= float(_rule(sarif, "x.y")["properties"]["security-severity"]) < 9.0
    assert float(_rule(sarif, "x.z")["properties"]["security-severity"]) < 4.0
    assert "security-severity" not in _rule(sarif, "arg-type")["properties"]
    assert _rule(sarif, "arg-type")["properties"]["precision"] == "very-high"
    assert _rule(sarif, "arg-type")["helpUri"].endswith("_refs.html#code-arg-type")
    bandit = next(r for r in sarif["runs"] if r["tool"]["driver"]["name"] == "bandit")
    assert bandit["tool"]["driver"]["version"] == "1.9.4"
    assert bandit["tool"]["driver"]["semanticVersion"] == "1.9.4"


def test_a_rule_takes_the_worst_severity_of_its_findings() -> None:
    findings = (
        _finding("semgrep", "semgrep", "r", severity=Severity.NOTE),
        _finding("semgrep", "semgrep", "r", severity=Severity.ERROR, line=5),
    )
    sarif = report_to_sarif(_report(_gate("semgrep", Stage.SECURITY, *findings)))
    rule = _rule(sarif, "r")
    assert rule["defaultConfiguration"]["level"] == "error"
    (run,) = [r for r in sarif["runs"] if r["tool"]["driver"]["name"] == "semgrep"]
    assert [r["level"] for r in run["results"]] == ["note", "error"]


def test_project_level_findings_become_notifications_not_results() -> None:
    pr_lines = _finding("size", "gates", "pr-lines", path="", line=None)
    sarif = report_to_sarif(_report(_gate("size", Stage.SIZE, pr_lines)))
    jsonschema.validate(sarif, SCHEMA)
    (run,) = [r for r in sarif["runs"] if r["automationDetails"]["id"] == "gates/size/"]
    assert run["results"] == []
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"] == "pr-lines: gates says pr-lines"
    assert github_problems(sarif) == []


def test_an_errored_gate_is_an_unsuccessful_run_naming_why() -> None:
    broken = _gate("semgrep", Stage.SECURITY, status=Status.ERROR, detail="semgrep missing")
    sarif = report_to_sarif(_report(broken))
    (run,) = [r for r in sarif["runs"] if r["tool"]["driver"]["name"] == "semgrep"]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == (
        "semgrep: semgrep missing"
    )


def test_notices_have_a_run_of_their_own_always() -> None:
    notice = _finding("gates", "gates", "unused-suppression")
    with_notice = report_to_sarif(_report(notices=(notice,)))
    without = report_to_sarif(_report())
    assert _runs(with_notice) == _runs(without) == {("gates", NOTICES_CATEGORY)}
    (run,) = with_notice["runs"]
    assert [r["ruleId"] for r in run["results"]] == ["unused-suppression"]
    assert run["tool"]["driver"]["version"] == "9.9.9"


def test_suppressed_and_old_findings_are_marked() -> None:
    old = _finding("bandit", "bandit", "B101", new=False)
    hidden = _finding("bandit", "bandit", "B102", suppressed=Suppression("inline", "ok"))
    sarif = report_to_sarif(_report(_gate("bandit", Stage.SECURITY, old, hidden)))
    (run,) = [r for r in sarif["runs"] if r["tool"]["driver"]["name"] == "bandit"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["B101"]["baselineState"] == "unchanged"
    assert by_rule["B102"]["suppressions"] == [{"kind": "inSource", "justification": "ok"}]


def test_a_run_is_cut_at_githubs_limit_keeping_new_findings() -> None:
    old = [
        _finding("ruff", "ruff", "E501", line=n + 1, new=False) for n in range(MAX_RESULTS_PER_RUN)
    ]
    new = _finding("ruff", "ruff", "F401", line=1, path="z.py")
    sarif = report_to_sarif(_report(_gate("ruff", Stage.QUALITY, *old, new)))
    (run,) = [r for r in sarif["runs"] if r["tool"]["driver"]["name"] == "ruff"]
    assert len(run["results"]) == MAX_RESULTS_PER_RUN
    assert run["results"][0]["ruleId"] == "F401"
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"] == "1 more results than code scanning accepts"
