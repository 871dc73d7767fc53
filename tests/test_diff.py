from __future__ import annotations

import json
from pathlib import Path

from conftest import Repo, git

from gates.diff import ChangeKind, compute_diff
from gates.git import Git, resolve_revisions


def _diff(repo: Repo, base: str):
    g = Git(repo.path)
    return compute_diff(g, resolve_revisions(g, base, "HEAD", env={}))


def test_added_lines_renames_deletes_binary_and_odd_names(repo: Repo) -> None:
    repo.write("keep.py", "a = 1\nb = 2\nc = 3\n")
    repo.write("gone.py", "x = 1\n")
    repo.write("old name.py", "\n".join(f"v{i} = {i}" for i in range(20)) + "\n")
    base = repo.commit("base")
    repo.write("keep.py", "a = 1\nb = 20\nc = 3\nd = 4\n")
    (repo.path / "gone.py").unlink()
    git(repo.path, "mv", "old name.py", "new näme.py")
    repo.write("bin.dat", b"\0\1\2binary")
    odd = 'we"ird\nname -rf.py'
    repo.write(odd, "print(1)\n")
    repo.commit("pr")
    diff = _diff(repo, base)
    assert diff.files["keep.py"].added_lines == frozenset({2, 4})
    assert diff.files["gone.py"].kind is ChangeKind.DELETED
    renamed = diff.files["new näme.py"]
    assert renamed.kind is ChangeKind.RENAMED and renamed.old_path == "old name.py"
    assert diff.files["bin.dat"].binary
    assert diff.files[odd].added_lines == frozenset({1})
    assert "gone.py" not in diff.changed_paths()
    assert diff.is_new_line("keep.py", 2) and not diff.is_new_line("keep.py", 1)


def test_merge_base_excludes_commits_landed_on_base(repo: Repo) -> None:
    repo.write("a.py", "a = 1\n")
    repo.commit("base")
    git(repo.path, "checkout", "-q", "-b", "pr")
    repo.write("pr.py", "p = 1\n")
    repo.commit("pr")
    git(repo.path, "checkout", "-q", "main")
    repo.write("later.py", "l = 1\n")
    repo.commit("landed later")
    git(repo.path, "checkout", "-q", "pr")
    diff = _diff(repo, "main")
    assert set(diff.files) == {"pr.py"}


def test_event_file_base_and_shallow_fetch(tmp_path: Path) -> None:
    origin = Repo(tmp_path / "origin")
    origin.write("a.py", "a = 1\n")
    base = origin.commit("base")
    for i in range(3):
        origin.write(f"f{i}.py", f"x = {i}\n")
        origin.commit(f"c{i}")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin.path}", str(clone))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"base": {"sha": base}, "head": {"sha": "x"}}}))
    env = {"GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": "pull_request"}
    g = Git(clone)
    rev = resolve_revisions(g, None, "HEAD", env=env)
    assert rev.base == base and rev.merge_base == base
    diff = compute_diff(g, rev)
    assert set(diff.files) == {"f0.py", "f1.py", "f2.py"}
    assert "pull_request.base.sha" in rev.note


def test_no_base_means_every_file_changed(repo: Repo) -> None:
    repo.write("a.py", "a = 1\n")
    repo.commit()
    g = Git(repo.path)
    rev = resolve_revisions(g, None, "HEAD", env={})
    assert rev.base is None and "every file counts as changed" in rev.note
    assert compute_diff(g, rev).all_changed
