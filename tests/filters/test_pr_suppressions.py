"""Suppressions a PR adds to its own safety findings: announced by default, refused in strict
mode (set in the base's config, which the PR cannot change)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Repo, gates_run

EVIL = "import os\nos.system(input())  # gates: ignore[*] harmless, trust me\n"


def _run(repo: Path, base: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = gates_run(
        str(repo), "--base", base, "--stages", "dangerous-code", "--config-from", "base"
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads((repo / "reports/gates.json").read_text())


def _notices(report: dict) -> set[tuple[str, int]]:  # type: ignore[type-arg]
    return {(n["rule"], n["line"]) for n in report["notices"]}


def test_by_default_honoured_but_announced(repo: Repo) -> None:
    repo.write("README.md", "x\n")
    base = repo.commit("base")
    repo.write("tool.py", EVIL)
    repo.commit("pr")
    code, report = _run(repo.path, base)
    assert code == 0
    [finding] = report["gates"][0]["findings"]
    assert finding["suppressed"]["kind"] == "inline"
    assert ("suppression-added-to-safety", 2) in _notices(report)


def test_strict_base_config_refuses_them(repo: Repo) -> None:
    repo.write(".gates.toml", "safety_pr_suppressions = false\n")
    base = repo.commit("base")
    repo.write("tool.py", EVIL)
    repo.write(".gates.toml", "safety_pr_suppressions = true\n")  # the PR tries to relax it
    repo.commit("pr")
    code, report = _run(repo.path, base)
    assert code == 1
    [finding] = report["gates"][0]["findings"]
    assert finding["suppressed"] is None and finding["extra"]["suppression_refused"] == "2"
    assert ("suppression-refused", 2) in _notices(report)
    assert ("config-changed", None) in {(n["rule"], n["line"]) for n in report["notices"]}


def test_markers_already_in_the_base_still_apply_in_strict_mode(repo: Repo) -> None:
    repo.write(".gates.toml", "safety_pr_suppressions = false\n")
    repo.write("tool.py", EVIL)
    base = repo.commit("base")
    repo.write("tool.py", "# a comment on top\n" + EVIL)
    repo.commit("pr")
    code, report = _run(repo.path, base)
    assert code == 0
    assert report["gates"][0]["findings"][0]["suppressed"]["kind"] == "inline"
    assert not {r for r, _ in _notices(report)} & {
        "suppression-refused",
        "suppression-added-to-safety",
    }


def test_integrity_findings_are_reviewed_like_safety_ones(repo: Repo) -> None:
    """A PR that weakens a test and silences that finding in the same change is refused."""
    repo.write(".gates.toml", "safety_pr_suppressions = false\n")
    repo.write("tests/test_calc.py", "def test_add():\n    assert 1 + 1 == 2\n")
    base = repo.commit("base")
    repo.write(
        "tests/test_calc.py",
        "import pytest\n\n\n"
        "@pytest.mark.skip  # gates: ignore[test-skipped] flaky\n"
        "def test_add():\n    assert 1 + 1 == 2\n",
    )
    repo.commit("pr")
    result = gates_run(
        str(repo.path), "--base", base, "--stages", "test-integrity", "--config-from", "base"
    )
    assert result.returncode == 1, result.stderr
    report = json.loads((repo.path / "reports/gates.json").read_text())
    [finding] = report["gates"][0]["findings"]
    assert finding["rule"] == "test-skipped"
    assert finding["suppressed"] is None and finding["extra"]["suppression_refused"] == "4"
