"""`restrict_diff`: a diff narrowed to named files (gates run --files), on real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Repo

from gates.diff import ChangeKind, Diff, NamedFiles, compute_diff, repo_relative, restrict_diff
from gates.errors import UsageError
from gates.git import Git, resolve_revisions


def _restricted(repo: Repo, base: str | None, *names: str, whole: bool = False) -> Diff:
    git = Git(repo.path)
    revisions = resolve_revisions(git, base, "HEAD", {})
    return restrict_diff(git, compute_diff(git, revisions), NamedFiles(names, whole))


@pytest.fixture
def changed(repo: Repo) -> tuple[Repo, str]:
    repo.write("src/a.py", "a = 1\nb = 2\n")
    repo.write("src/b.py", "one\ntwo\nthree")  # no newline at the end: still three lines
    repo.write("img.bin", b"\0\1\2")
    repo.write("docs/x.md", "x\n")
    base = repo.commit("base")
    repo.write("src/a.py", "a = 1\nb = 3\n")
    repo.commit("pr")
    return repo, base


def test_changed_files_keep_their_lines_others_come_whole(changed: tuple[Repo, str]) -> None:
    repo, base = changed
    diff = _restricted(repo, base, "src/a.py", "src/b.py", "img.bin", "gone.py")
    assert set(diff.files) == {"src/a.py", "src/b.py", "img.bin"}
    assert diff.files["src/a.py"].added_lines == {2} and not diff.files["src/a.py"].whole
    whole = diff.files["src/b.py"]
    assert whole.whole and whole.kind is ChangeKind.ADDED
    assert whole.added_lines == {1, 2, 3} and (whole.added, whole.deleted) == (0, 0)
    assert diff.files["img.bin"].binary and diff.files["img.bin"].added_lines == frozenset()
    assert diff.is_new_line("src/b.py", 3) and not diff.is_new_line("src/a.py", 1)
    assert diff.added_total == 1
    assert "4 named file(s), 2 of them judged whole (unchanged), 1 not in" in diff.revisions.note


def test_a_directory_or_the_top_names_the_files_below(changed: tuple[Repo, str]) -> None:
    repo, base = changed
    assert set(_restricted(repo, base, "src").files) == {"src/a.py", "src/b.py"}
    everything = _restricted(repo, base, "")
    assert set(everything.files) == {"src/a.py", "src/b.py", "img.bin", "docs/x.md"}
    assert [p for p, f in everything.files.items() if not f.whole] == ["src/a.py"]


def test_whole_takes_changed_files_whole_too(changed: tuple[Repo, str]) -> None:
    repo, base = changed
    diff = _restricted(repo, base, "src/a.py", whole=True)
    assert diff.files["src/a.py"].whole and diff.files["src/a.py"].added_lines == {1, 2}


def test_without_a_base_every_named_file_counts_as_added(repo: Repo) -> None:
    repo.write("a.py", "a\n")
    repo.write("b.py", "b\n")
    repo.commit()
    diff = _restricted(repo, None, "a.py")
    assert diff.all_changed and set(diff.files) == {"a.py"}


def test_names_become_repository_paths(tmp_path: Path) -> None:
    root = tmp_path / "r"
    assert repo_relative(root, ["a.py", "../r/b/c.py", "b/./d.py"], root) == (
        "a.py",
        "b/c.py",
        "b/d.py",
    )
    assert repo_relative(root, ["../x.py", "."], root / "sub") == ("x.py", "sub")
    assert repo_relative(root, ["."], root) == ("",)
    with pytest.raises(UsageError, match="not inside the repository"):
        repo_relative(root, ["../../etc/passwd"], root / "sub")
