"""bench/real_history.py on a tmp repository: which commits it replays, what it reads from
gates.json, and how labels turn findings into true and false positives."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import Repo, git

ROOT = Path(__file__).resolve().parents[1]

BASE_TEST = "def test_a():\n    assert 1 + 1 == 2\n\n\ndef test_b():\n    assert 2 * 2 == 4\n"
SKIPPED_TEST = "import pytest\n\n\n@pytest.mark.skip(reason='flaky')\n" + BASE_TEST


@pytest.fixture(scope="module")
def real_history() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "real_history", ROOT / "bench" / "real_history.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["real_history"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _history(repo: Repo) -> dict[str, str]:
    """main: root, a test skipped (squash-merged), a docs-only commit, a merged branch."""
    repo.write("tests/test_a.py", BASE_TEST)
    shas = {"root": repo.commit("root")}
    repo.write("tests/test_a.py", SKIPPED_TEST)
    shas["skip"] = repo.commit("Skip a flaky test (#7)")
    repo.write("README.md", "docs\n")
    shas["docs"] = repo.commit("Document it (#8)")
    git(repo.path, "checkout", "-q", "-b", "feature")
    repo.write(".github/workflows/ci.yml", "on: push\njobs: {}\n")
    repo.commit("add ci")
    git(repo.path, "checkout", "-q", "main")
    git(repo.path, "merge", "-q", "--no-ff", "-m", "Merge pull request #9 from x/ci", "-m",
        "Add CI", "feature")  # fmt: skip
    shas["merge"] = git(repo.path, "rev-parse", "HEAD").strip()
    return shas


def test_picks_first_parent_commits_that_touch_tests_or_ci(
    repo: Repo, real_history: ModuleType
) -> None:
    shas = _history(repo)
    picked = real_history.first_parent_prs(repo.path, "main", 10)
    assert [c.sha for c in picked] == [shas["merge"], shas["skip"]]
    assert picked[0].subject == "Merge pull request #9: Add CI"
    assert picked[0].files == (".github/workflows/ci.yml",)
    later = real_history.first_parent_prs(repo.path, "main", 5, skip=1)
    assert [c.sha for c in later] == [shas["skip"]]


def test_a_skipped_test_is_a_labelled_finding_and_the_branch_is_restored(
    repo: Repo, real_history: ModuleType, tmp_path: Path
) -> None:
    shas = _history(repo)
    labels = tmp_path / "labels.toml"
    labels.write_text(
        f'[[label]]\ncommit = "{shas["skip"][:8]}"\ngate = "test-integrity"\n'
        'rule = "test-skipped"\nverdict = "fp"\ncause = "a reasoned skip"\nreason = "flaky"\n'
    )
    args = real_history.parse_args([str(repo.path), "--commits", "1", "--out", str(tmp_path)])
    args.commits, args.out, args.gates_src = 2, tmp_path / "out", ROOT
    args.out.mkdir()
    configs = (
        real_history.write_config(args.out, False),
        real_history.write_config(args.out, True),
    )
    rows = real_history.replay(repo.path, args, configs)
    assert git(repo.path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    skip = next(r for r in rows if r.sha == shas["skip"])
    assert skip.problem == ""
    assert {(f["gate"], f["rule"], f["path"]) for f in skip.findings} == {
        ("test-integrity", "test-skipped", "tests/test_a.py")
    }
    loaded = real_history.load_labels(labels)
    table = real_history.summary(rows, loaded)
    ti = next(line for line in table if line.startswith("| test-integrity "))
    # 2 commits, ran on 1, 1 finding, labelled FP: 50 per 100 commits
    assert ti.split(" | ")[1:10] == ["2", "1", "1", "1", "0", "1", "0", "50.0", "1"]
    assert real_history.false_positives(rows, loaded)[0] == "test-integrity: a reasoned skip"
