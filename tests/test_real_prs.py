"""bench/real_prs.py's pure parts: which commits are PRs, and the table it prints."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import Repo, git

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def real_prs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("real_prs", ROOT / "bench" / "real_prs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["real_prs"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _history(repo: Repo) -> dict[str, str]:
    """main: root, a squash-merged PR, a docs-only PR, a merged branch, a direct commit."""
    shas = {"root": repo.commit("root")}
    repo.write("pkg/a.py", "A = 1\n")
    shas["squash"] = repo.commit("Add a (#11)")
    repo.write("README.md", "docs\n")
    shas["docs"] = repo.commit("Document it (#12)")
    git(repo.path, "checkout", "-q", "-b", "feature")
    repo.write("pkg/b.py", "B = 2\n")
    shas["branch"] = repo.commit("add b")
    git(repo.path, "checkout", "-q", "main")
    repo.write("CHANGES.md", "a change on main meanwhile\n")
    shas["meanwhile"] = repo.commit("changelog")
    git(
        repo.path,
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge pull request #13 from u/feature",
        "feature",
    )
    shas["merge"] = git(repo.path, "rev-parse", "HEAD").strip()
    repo.write("pkg/a.py", "A = 3\n")
    shas["direct"] = repo.commit("fix a typo, no PR")
    return shas


def test_select_prs_finds_merges_and_squashes_that_change_python(
    real_prs: ModuleType, repo: Repo
) -> None:
    shas = _history(repo)

    prs = real_prs.select_prs(repo.path, 5)

    assert [(pr.number, pr.base, pr.head) for pr in prs] == [
        (13, shas["meanwhile"], shas["merge"]),  # the merge result against main, as CI sees it
        (11, shas["root"], shas["squash"]),
    ]
    assert real_prs.select_prs(repo.path, 1) == prs[:1]


def test_merge_pr_files_are_the_branchs_own(real_prs: ModuleType, repo: Repo) -> None:
    shas = _history(repo)

    assert real_prs.changed_files(repo.path, shas["meanwhile"], shas["merge"]) == ["pkg/b.py"]


def test_parse_log_ignores_commits_that_are_not_prs(real_prs: ModuleType) -> None:
    log = "\n".join(
        [
            "c3\x00c2\x00Merge branch 'stable'",
            "c2\x00c1\x00Fix (#7) in the middle of a subject",
            "c1\x00\x00Initial (#1)",
            "c0\x00a\x00Release 1.0 (#5)",
        ]
    )

    prs = real_prs.parse_log(log)

    assert [(pr.number, pr.base, pr.head) for pr in prs] == [(5, "a", "c0")]


def test_render_table(real_prs: ModuleType) -> None:
    rows = [
        real_prs.Row("click", "#3781", "2103e1576aa", "e1fd5946abb", 5, 4, "pass", 11.84),
        real_prs.Row(
            "requests",
            "#7000",
            "aaaaaaaaaaa",
            "bbbbbbbbbbb",
            2,
            1,
            "fail",
            60.0,
            ["coverage fail: min-total total 63 % | below 85 %", "mypy error: crashed"],
        ),
    ]

    assert real_prs.render_table(rows) == "\n".join(
        [
            "| project | PR | base..head | files (py) | verdict | wall s | not pass |",
            "| --- | --- | --- | --- | --- | ---: | --- |",
            "| click | #3781 | 2103e1576..e1fd5946a | 5 (4) | pass | 11.8 | - |",
            "| requests | #7000 | aaaaaaaaa..bbbbbbbbb | 2 (1) | fail | 60.0 | coverage fail: "
            "min-total total 63 % \\| below 85 %; mypy error: crashed |",
        ]
    )


def test_gate_problems_name_the_first_blocking_finding(real_prs: ModuleType) -> None:
    old = {"rule": "E1", "severity": "error", "path": "a.py", "line": 1, "message": "old"}
    new = {"rule": "E2", "severity": "error", "path": "b.py", "line": 2, "message": "new"}
    report = {
        "gates": [
            {"name": "ruff", "status": "pass", "fail_on": "error", "findings": [], "detail": ""},
            {
                "name": "mypy",
                "status": "fail",
                "fail_on": "error",
                "detail": "",
                "findings": [
                    {**old, "new": False, "suppressed": None},
                    {**new, "new": True, "suppressed": {"kind": "noqa"}},
                    {**new, "new": True, "suppressed": None},
                    {**new, "new": True, "suppressed": None, "line": 3},
                ],
            },
            {"name": "semgrep", "status": "error", "fail_on": "warning", "findings": []}
            | {"detail": "semgrep exited 2"},
        ]
    }

    assert real_prs.gate_problems(report) == [
        "mypy fail: E2 b.py:2 new (+1 more)",
        "semgrep error: semgrep exited 2",
    ]
