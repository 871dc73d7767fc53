"""gates/rule_docs.py: the rule docs parsed from gates/docs/<stage>.md, and the links to them."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Repo
from corpus_harness import Case, corpus_checks, corpus_folders, load_cases

from gates import semgrep_docs
from gates.app import RunRequest, run
from gates.checks import dangerous, injection
from gates.checks.base import Source
from gates.checks.changes import ChangeCheckGate
from gates.gate import traits_of
from gates.judge import NOTICE_RULES
from gates.model import Finding, Severity
from gates.registry import REGISTRY
from gates.rule_docs import (
    DOCS_URL,
    RULES_INDEX_URL,
    _index,
    _read,
    all_rule_docs,
    finding_doc_url,
    gate_doc,
    github_slug,
    parse_rule_docs,
    rule_doc,
    rule_doc_url,
)
from gates.runner import NoProgress

SAMPLE = """# Sample rules

Intro text.

## first-gate

What the gate does.

### `rule-a`
Warning. Does A. Then more.

```python
# a comment in code, not a heading
### `not-a-rule`
```

### `rule-b`
Error. B.

## other-gate

### `rule-a`
Note. The other gate's A.

### Fix
### Fix
"""


def test_sections_become_gate_and_rule_docs() -> None:
    rules, gates = parse_rule_docs(SAMPLE, "sample")
    assert [(d.gate, d.rule) for d in rules] == [
        ("first-gate", "rule-a"),
        ("first-gate", "rule-b"),
        ("other-gate", "rule-a"),
        ("other-gate", "Fix"),
        ("other-gate", "Fix"),
    ]
    assert [g.gate for g in gates] == ["first-gate", "other-gate"]
    assert gates[0].markdown == "What the gate does."
    first = rules[0]
    assert first.markdown.startswith("Warning. Does A. Then more.\n\n```python\n")
    assert "### `not-a-rule`" in first.markdown  # inside a code fence: body, not a heading
    assert first.summary == "Does A."
    assert first.stage == "sample"


def test_anchors_are_githubs_slugs_numbered_when_repeated() -> None:
    rules, _ = parse_rule_docs(SAMPLE, "sample")
    assert [d.anchor for d in rules] == ["rule-a", "rule-b", "rule-a-1", "fix", "fix-1"]


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("eval-nonliteral", "eval-nonliteral"),
        ("Hello, World! (v2)", "hello-world-v2"),
        ("B324 hashlib_md5", "b324-hashlib_md5"),
        ("Ünïcode Wörds", "ünïcode-wörds"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


def test_every_rule_the_safety_checks_report_is_documented_under_its_gate() -> None:
    for gate, rules in (("dangerous-code", dangerous.RULES), ("prompt-injection", injection.RULES)):
        for rule in rules:
            doc = rule_doc(rule, gate)
            assert doc is not None, (gate, rule)
            assert doc.stage == "safety"
            assert doc.markdown.strip()


def test_quality_rules_belong_to_their_gate() -> None:
    doc = rule_doc("test-failed")
    assert doc is not None
    assert (doc.gate, doc.stage, doc.anchor) == ("coverage", "quality", "test-failed")
    assert doc.url == f"{DOCS_URL}/quality.md#test-failed"
    assert rule_doc("test-failed", "benchmark") is None


def test_every_anchor_is_the_slug_of_its_heading() -> None:
    docs = all_rule_docs()
    assert len(docs) >= len(dangerous.RULES) + len(injection.RULES)
    for key, doc in docs.items():
        slug = github_slug(doc.title)
        assert doc.anchor == slug or doc.anchor.startswith(f"{slug}-"), key
        assert key in (doc.rule, f"{doc.gate}/{doc.rule}")


def test_missing_stage_file_reads_as_empty() -> None:
    assert _read("no-such-stage") == ""
    assert parse_rule_docs("", "x") == ([], [])


def test_unknown_rule_has_no_doc() -> None:
    assert rule_doc("no-such-rule") is None
    assert rule_doc_url("no-such-gate", "no-such-rule") is None


@pytest.mark.parametrize(
    ("gate", "rule", "name", "url"),
    [
        ("ruff", "E501", "line-too-long", "https://docs.astral.sh/ruff/rules/line-too-long/"),
        (
            "mypy",
            "arg-type",
            None,
            "https://mypy.readthedocs.io/en/stable/_refs.html#code-arg-type",
        ),
        (
            "bandit",
            "B324",
            "hashlib",
            "https://bandit.readthedocs.io/en/latest/plugins/b324_hashlib.html",
        ),
        (
            "bandit",
            "B307",
            "eval",
            "https://bandit.readthedocs.io/en/latest/blacklists/blacklist_calls.html#b307-eval",
        ),
        (
            "bandit",
            "B403",
            None,
            "https://bandit.readthedocs.io/en/latest/blacklists/blacklist_imports.html",
        ),
        ("audit", "GHSA-j8r2-6x86-q33q", None, "https://osv.dev/vulnerability/GHSA-j8r2-6x86-q33q"),
        ("zizmor", "template-injection", None, "https://docs.zizmor.sh/audits/#template-injection"),
        (
            "workflow-security",
            "no-such-audit-yet",
            None,
            "https://docs.zizmor.sh/audits/#no-such-audit-yet",
        ),
        (
            "semgrep",
            "python.lang.security.audit.eval-detected.eval-detected",
            None,
            "https://semgrep.dev/r/python.lang.security.audit.eval-detected.eval-detected",
        ),
    ],
)
def test_tool_rules_link_the_tools_own_pages(
    gate: str, rule: str, name: str | None, url: str
) -> None:
    assert rule_doc_url(gate, rule, name=name) == url


def test_rules_without_a_page_fall_back_to_the_gate_then_the_stage() -> None:
    assert gate_doc("coverage") is not None
    assert rule_doc_url("coverage", "something-new") == f"{DOCS_URL}/quality.md#coverage"
    # gates' own semgrep rules have no page at semgrep.dev; ruff without a name has no page
    url = rule_doc_url("semgrep", "gates.python.eval-injection", stage="security")
    shipped = (Path(__file__).resolve().parents[1] / "gates/docs/security.md").is_file()
    assert url is not None
    assert url.startswith(f"{DOCS_URL}/security.md") if shipped else url == RULES_INDEX_URL
    assert rule_doc_url("no-such-gate", "R1", stage="quality") == f"{DOCS_URL}/quality.md"
    ruff = gate_doc("ruff")
    fallback = ruff.url if ruff else f"{DOCS_URL}/quality.md"
    assert rule_doc_url("ruff", "E501", stage="quality") == fallback
    assert rule_doc_url("ruff", "E501", name="../../evil", stage="quality") == fallback
    assert rule_doc_url("x", "y", stage="../etc") is None


def test_gates_rule_doc_wins_over_the_tools_page() -> None:
    assert rule_doc_url("dangerous-code", "eval-nonliteral") == (
        f"{DOCS_URL}/safety.md#eval-nonliteral"
    )


def _finding(tool: str, rule: str, **extra: object) -> Finding:
    return Finding(
        gate=tool,
        tool=tool,
        rule=rule,
        severity=Severity.WARNING,
        path="a.py",
        message="m",
        line=1,
        help_uri=str(extra.pop("help_uri")) if "help_uri" in extra else None,
        extra={k: str(v) for k, v in extra.items()},
    )


def _tool_json(tmp_path: Path, *argv: str) -> object:
    (tmp_path / "a.py").write_text(
        'import hashlib\nx = eval(input())\nh = hashlib.md5(b"x")\nimport pickle\n'
        "y = 1  # " + "x" * 100 + "\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", *argv, "a.py"], cwd=tmp_path, capture_output=True, text=True
    )
    return json.loads(done.stdout)


def test_links_from_real_ruff_findings_name_the_rule(tmp_path: Path) -> None:
    items = _tool_json(tmp_path, "ruff", "check", "--select", "E501,S", "--output-format=json")
    assert isinstance(items, list) and items
    for item in items:
        found = _finding("ruff", item["code"], help_uri=item["url"])
        assert finding_doc_url(found) == item["url"].rstrip("/") + "/", item


def test_links_from_real_bandit_findings_are_bandits_own_pages(tmp_path: Path) -> None:
    data = _tool_json(tmp_path, "bandit", "-q", "-f", "json")
    assert isinstance(data, dict)
    results = data["results"]
    assert {r["test_id"] for r in results} >= {"B307", "B324", "B403"}
    for item in results:
        found = _finding(
            "bandit", item["test_id"], help_uri=item["more_info"], test_name=item["test_name"]
        )
        url = finding_doc_url(found)
        # bandit links its own version's pages; ours the latest
        version_free = item["more_info"].split("/en/", 1)[1].split("/", 1)[1]
        assert url == f"https://bandit.readthedocs.io/en/latest/{version_free}", item


def test_finding_without_any_doc_keeps_the_tools_link() -> None:
    found = _finding("some-tool", "R1", help_uri="https://example.org/r1")
    assert finding_doc_url(found) == "https://example.org/r1"


def test_an_id_two_gates_share_is_listed_once_per_gate() -> None:
    rules, _ = parse_rule_docs(SAMPLE, "sample")
    index = _index({(d.gate, d.rule): d for d in rules})
    assert sorted(index) == ["Fix", "first-gate/rule-a", "other-gate/rule-a", "rule-b"]
    assert index["other-gate/rule-a"].summary == "The other gate's A."


def test_a_findings_tool_picks_the_page_whatever_its_gate_is_called() -> None:
    found = _finding("ruff", "E501", help_uri="https://docs.astral.sh/ruff/rules/line-too-long")
    renamed = found.replace(gate="lint")
    assert finding_doc_url(renamed) == "https://docs.astral.sh/ruff/rules/line-too-long/"
    assert rule_doc_url("lint", "E501", name="line-too-long") is None


ROOT = Path(__file__).resolve().parents[1]


def _assert_documented(rule: str, gate: str) -> None:
    doc = rule_doc(rule, gate)
    assert doc is not None, f"{gate}: rule {rule!r} has no `### `{rule}`` heading in gates/docs"
    assert doc.markdown.strip(), f"{gate}/{rule}: the heading has no text under it"
    assert re.fullmatch(rf"{re.escape(DOCS_URL)}/\w+\.md#[\w-]+", doc.url), doc.url
    assert rule_doc_url(gate, rule) == doc.url  # what every report links


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_rule_a_gate_declares_has_a_doc_with_an_anchor(name: str) -> None:
    gate = REGISTRY[name]
    rules = traits_of(gate).rules
    if gate.tool == "gates":  # an in-process check: every id it reports is gates' own
        assert rules, f"{name} declares no rule ids (GateTraits.rules)"
    for rule in sorted(rules):
        _assert_documented(rule, name)


def _corpus_cases() -> Iterator[tuple[Case, str]]:
    for root in (ROOT / "tests/corpus", ROOT / "bench/heldout"):
        for folder in corpus_folders(root):
            for case in load_cases(folder, folder.name):
                yield case, str(folder.relative_to(ROOT))


def _scan(case: Case) -> list[Finding]:
    check = corpus_checks(REGISTRY)[case.gate]
    options = {**{k: o.default for k, o in check.options.items()}, **case.options}
    if isinstance(check, ChangeCheckGate):
        return check.scan_changes(case.files, options)
    return check.scan(Source(case.path, case.text), options)


def test_every_rule_the_corpora_report_is_declared_by_its_gate() -> None:
    """A detector cannot report an id its gate does not declare (and so has no doc for)."""
    reported: dict[str, set[str]] = {}
    undeclared: set[str] = set()
    for case, where in _corpus_cases():
        for found in _scan(case):
            assert found.gate == case.gate, f"{where}: {case.name!r} reported as {found.gate}"
            reported.setdefault(case.gate, set()).add(found.rule)
            if found.rule not in traits_of(REGISTRY[case.gate]).rules:
                undeclared.add(f"{where}: {case.gate}/{found.rule} ({case.name!r})")
    assert not undeclared, sorted(undeclared)
    # every gate with a corpus reported something: the check above was not vacuous
    assert set(reported) == {case.gate for case, _ in _corpus_cases()}
    assert sum(len(rules) for rules in reported.values()) >= 60


def test_every_shipped_semgrep_rule_has_a_doc_written_from_its_yaml() -> None:
    shipped = semgrep_docs.shipped_rules()
    written = sorted(
        m
        for f in (ROOT / "gates/rules").glob("*.yml")
        for m in re.findall(r"^  - id: (\S+)$", f.read_text("utf-8"), re.MULTILINE)
    )
    assert sorted(r.id for r in shipped) == written
    assert len(written) >= 30
    for rule in shipped:
        _assert_documented(rule.id, "semgrep")
        doc = rule_doc(rule.id, "semgrep")
        assert doc is not None and doc.stage == "security"
        assert rule.message in " ".join(doc.markdown.split())
    security = (ROOT / "gates/docs/security.md").read_text("utf-8")
    block = semgrep_docs.render(shipped)
    assert block in security, "gates/docs/security.md is stale: python -m gates.semgrep_docs"


def test_the_semgrep_block_is_replaced_between_its_markers() -> None:
    text = f"# T\n\n{semgrep_docs.BEGIN}\nold\n{semgrep_docs.END}\nafter\n"
    assert semgrep_docs.with_block(text, "NEW") == "# T\n\nNEW\nafter\n"
    with pytest.raises(ValueError, match="no block between"):
        semgrep_docs.with_block("# T\n", "NEW")


def _notice_rules_in(path: Path) -> Iterator[str]:
    """Rule ids of the notices a module makes: `Finding(gate="gates", rule="...")` and the
    marker review's `_notice(path, marker, "rule-id", ...)`."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        keywords = {k.arg: k.value for k in node.keywords}
        gate, rule = keywords.get("gate"), keywords.get("rule")
        if node.func.id == "Finding" and isinstance(gate, ast.Constant) and gate.value == "gates":
            if isinstance(rule, ast.Constant):  # else a helper's parameter: its calls are seen
                yield str(rule.value)
        elif node.func.id == "_notice":
            assert isinstance(node.args[2], ast.Constant), f"{path}: rule is not a literal"
            yield str(node.args[2].value)


def test_every_run_notice_is_declared_and_documented() -> None:
    made = {rule for path in (ROOT / "gates").rglob("*.py") for rule in _notice_rules_in(path)}
    assert len(made) >= 8
    assert made <= NOTICE_RULES, sorted(made - NOTICE_RULES)
    for rule in sorted(NOTICE_RULES):
        _assert_documented(rule, "gates")
        doc = rule_doc(rule, "gates")
        assert doc is not None and doc.stage == "notices"


def test_a_pr_that_breaks_every_size_budget_reports_exactly_the_declared_rules(
    repo: Repo,
) -> None:
    repo.write(
        "pyproject.toml",
        '[tool.gates.size]\nbudgets = [{ glob = "*.py", max_bytes = 400, max_lines = 10 }]\n'
        "max_function_lines = 3\nmax_class_lines = 3\nmax_pr_lines = 5\nmax_pr_files = 2\n"
        "max_file_bytes = 2048\n",
    )
    base = repo.commit("base")
    body = "".join(f"    x{i} = {i}\n" for i in range(20))
    repo.write("mod.py", f"def f():\n{body}\n\nclass C:\n    def g(self):\n    {body}")
    repo.write("big.txt", "a" * 4096)
    repo.write("tool.bin", b"\x7fELF\x00" + b"x" * 10)
    repo.commit("pr")
    request = RunRequest(path=repo.path, base=base, stages=("size",), env={})
    (gate,) = run(request, {"size": REGISTRY["size"]}, NoProgress(), threading.Event()).report.gates
    assert {f.rule for f in gate.findings} == traits_of(REGISTRY["size"]).rules


_RULE_ARGUMENT = {"finding": 0, "_finding": 0, "_Hit": 0, "_verdict": 0, "Finding": 2}


def _literal_rule_ids(path: Path) -> Iterator[str]:
    """String literals a module passes as a finding's rule: `rule="..."`, `Finding(gate, tool,
    "rule", ...)` and the gates' own helpers (`finding("rule", ...)`, `_Hit("rule", ...)`)."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        values = [k.value for k in node.keywords if k.arg == "rule"]
        if name in _RULE_ARGUMENT and len(node.args) > _RULE_ARGUMENT[name]:
            values.append(node.args[_RULE_ARGUMENT[name]])
        yield from (
            v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )


def test_every_rule_id_written_in_gates_code_is_declared() -> None:
    """The tool gates and the size gate have no corpus: their literal ids are checked here."""
    declared = NOTICE_RULES.union(*(traits_of(gate).rules for gate in REGISTRY.values()))
    written = {rule for path in (ROOT / "gates").rglob("*.py") for rule in _literal_rule_ids(path)}
    assert {"format", "decode-error", "no-tests", "pr-lines", "typosquat"} <= written
    assert written <= declared, sorted(written - declared)
