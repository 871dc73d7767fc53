"""Base sizes from one `git cat-file --batch-check`, contents in bounded runs, streamed counts."""

from __future__ import annotations

from pathlib import Path

from conftest import Repo

import gates.checks.size_io as size_io
from gates.checks.size_budgets import budget_for, human_bytes, parse_budgets, signed_bytes
from gates.checks.size_io import base_blobs, count_file_lines, count_lines, read_blobs
from gates.git import Git

ODD = ("a b.py", "new\nline.py", "ü/ß.txt", "missing-space .py")


def test_base_blobs_pairs_any_file_name(repo: Repo) -> None:
    for i, name in enumerate(ODD[:3]):
        repo.write(name, "x" * (i + 1) * 10)
    repo.write("dir/f.txt", "")
    base = repo.commit()
    blobs = base_blobs(Git(repo.path), base, [*ODD, "dir", "nope.py"])
    assert {p: b.size for p, b in blobs.items()} == {
        "a b.py": 10,
        "new\nline.py": 20,
        "ü/ß.txt": 30,
    }


def test_read_blobs_in_bounded_runs(repo: Repo, monkeypatch) -> None:
    repo.write("a.txt", "1\n2\n3")
    repo.write("b.txt", "x\n" * 50)
    repo.write("big.txt", "y\n" * 1000)
    base = repo.commit()
    git = Git(repo.path)
    blobs = base_blobs(git, base, ["a.txt", "b.txt", "big.txt"])
    calls: list[bytes] = []
    real_run = git.run

    def counting_run(*args: str, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("stdin") or b"")  # type: ignore[arg-type]
        return real_run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(git, "run", counting_run)
    monkeypatch.setattr(size_io, "BATCH_READ_BUDGET", 100)
    contents = read_blobs(git, blobs.values(), cap=1000)
    assert len(calls) == 2  # a.txt and b.txt do not fit one 100-byte run; big.txt is over cap
    assert blobs["big.txt"].oid not in contents
    assert count_lines(contents[blobs["a.txt"].oid]) == 3
    assert count_lines(contents[blobs["b.txt"].oid]) == 50


def test_count_file_lines_streams_and_caps(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(size_io, "_CHUNK", 7)
    path = tmp_path / "f"
    path.write_bytes(b"one\ntwo\nthree\nno newline")
    assert count_file_lines(path) == 4
    assert count_file_lines(path, cap=5) is None
    path.write_bytes(b"")
    assert count_file_lines(path) == 0


def test_budgets_first_match_and_units() -> None:
    budgets = parse_budgets(
        [{"glob": "agents/**/*.py", "max_bytes": 6656}, {"glob": "*.py", "max_lines": 800}]
    )
    first = budget_for("agents/x/router.py", budgets)
    assert first is not None and first.max_bytes == 6656 and first.describe() == "6.5 KB"
    assert budget_for("lib/a.py", budgets) == budgets[1]
    assert budget_for("README.md", budgets) is None
    assert [human_bytes(n) for n in (0, 1023, 1024, 9000, 1048576, 3 * 1024**3)] == [
        "0 B",
        "1023 B",
        "1.0 KB",
        "8.8 KB",
        "1.0 MB",
        "3.0 GB",
    ]
    assert signed_bytes(-600) == "-600 B" and signed_bytes(1331) == "+1.3 KB"


def test_check_budgets_names_the_entry_and_key() -> None:
    from gates.checks.size_budgets import check_budgets

    assert check_budgets([{"glob": "*.py", "max_lines": 1}]) is None
    assert (
        check_budgets("x")
        == 'must be an array of tables like { glob = "**/*.py", max_lines = 800 }'
    )
    problems = {
        "entry 0: must be a table": [3],
        "entry 0: unknown key 'max'": [{"glob": "a", "max": 1}],
        "entry 0: key 'glob' must be a non-empty string": [{"glob": " ", "max_bytes": 1}],
        "entry 0: key 'max_bytes' must be an integer, got bool": [{"glob": "a", "max_bytes": True}],
        "entry 1: key 'max_lines' must be greater than 0": [
            {"glob": "a", "max_lines": 1},
            {"glob": "b", "max_lines": 0},
        ],
        "entry 0: needs 'max_bytes' or 'max_lines'": [{"glob": "a"}],
    }
    for needle, value in problems.items():
        assert needle in (check_budgets(value) or ""), needle
