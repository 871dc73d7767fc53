"""Bad repositories and odd files: a correct report or exit 2 with one clear sentence."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import Repo, gates_run, git

RUFF_F = '[tool.ruff.lint]\nselect = ["F"]\n'


def report(repo: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((repo / "reports/gates.json").read_text())


def assert_one_clear_line(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], result.stderr


def test_empty_repository(repo: Repo) -> None:
    assert_one_clear_line(gates_run(repo.path), "no commits")


def test_detached_head_and_base_equals_head(repo: Repo) -> None:
    repo.write("a.py", "import os\n")
    sha = repo.commit()
    git(repo.path, "checkout", "-q", "--detach", sha)
    result = gates_run(repo.path, "--base", sha)
    assert result.returncode == 0, result.stderr
    data = report(repo.path)
    assert data["diff"]["changed_files"] == 0 and data["head"] == sha


def test_unknown_unfetchable_base(repo: Repo) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit()
    result = gates_run(repo.path, "--base", "deadbeef" * 5)
    assert result.returncode == 0, result.stderr  # the run completes and says how
    diff = report(repo.path)["diff"]
    assert diff["mode"] == "all-files" and "could not be found or fetched" in diff["note"]
    assert "could not be found or fetched" in (repo.path / "reports/gates.md").read_text()


def test_odd_file_names_deleted_and_symlinked_files(repo: Repo, tmp_path: Path) -> None:
    repo.write("pyproject.toml", RUFF_F)
    repo.write("gone.py", "import os\n")
    base = repo.commit("base")
    outside = tmp_path / "outside.py"
    outside.write_text("import secret_outside\n")
    names = ["-rf.py", "with space.py", 'quo"te.py', "new\nline.py", "ünï cødé.py", "--help.py"]
    for name in names:
        repo.write(name, "import os\n")
    (repo.path / "link.py").symlink_to(outside)
    (repo.path / "gone.py").unlink()
    repo.commit("pr")
    result = gates_run(repo.path, "--base", base)
    assert result.returncode == 1, result.stdout + result.stderr
    found = {f["path"] for g in report(repo.path)["gates"] for f in g["findings"]}
    assert found == set(names)  # every odd name checked; the link and the deleted file not
    assert "secret_outside" not in (repo.path / "reports/gates.json").read_text()


def test_binary_invalid_utf8_utf16_and_nul_files(repo: Repo) -> None:
    repo.write("pyproject.toml", RUFF_F)
    base = repo.commit("base")
    repo.write("latin1.py", "x = 'caf\xe9'\n".encode("latin-1"))
    repo.write("utf16.txt", "hello\n".encode("utf-16"))
    repo.write("nul.bin", b"\0" * 1000 + b"import os\n")
    repo.write("ok.py", "import os\n")
    repo.commit("pr")
    result = gates_run(repo.path, "--base", base)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    gates = report(repo.path)["gates"]
    assert all(g["status"] != "error" for g in gates), gates
    rules = {(f["path"], f["gate"], f["rule"]) for g in gates for f in g["findings"]}
    assert ("latin1.py", "mypy", "decode-error") in rules  # reported, and the rest still checked
    assert ("ok.py", "ruff", "F401") in rules


def test_submodule_is_not_entered(repo: Repo, tmp_path: Path) -> None:
    sub = Repo(tmp_path / "sub")
    sub.write("bad.py", "import os\n")
    sub.commit()
    repo.write("pyproject.toml", RUFF_F)
    base = repo.commit("base")
    git(
        repo.path,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(sub.path),
        "vendor",
    )
    repo.commit("add submodule")
    result = gates_run(repo.path, "--base", base)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [f for g in report(repo.path)["gates"] for f in g["findings"]]


def test_ten_thousand_changed_files(repo: Repo) -> None:
    repo.write("pyproject.toml", RUFF_F)
    base = repo.commit("base")
    for i in range(10_000):
        repo.write(f"pkg{i % 50}/m{i}.py", f"X{i} = {i}\n")
    repo.write("pkg0/bad.py", "import os\n")
    repo.commit("huge pr")
    result = gates_run(repo.path, "--base", base, "--stages", "ruff")
    assert result.returncode == 1, result.stderr
    data = report(repo.path)
    assert data["diff"]["changed_files"] == 10_001
    assert [f["path"] for g in data["gates"] for f in g["findings"]] == ["pkg0/bad.py"]


@pytest.mark.slow
def test_two_hundred_megabyte_file(repo: Repo) -> None:
    repo.write("pyproject.toml", RUFF_F)
    base = repo.commit("base")
    with (repo.path / "huge.txt").open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: cheap to make, still 200 MB to read
    repo.write("ok.py", "import os\n")
    repo.commit("pr")
    result = gates_run(repo.path, "--base", base)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    found = {(f["path"], f["gate"]) for g in report(repo.path)["gates"] for f in g["findings"]}
    assert found == {("ok.py", "ruff"), ("huge.txt", "size")}  # the size gate flags it, once


def test_a_full_run_leaves_the_checkout_untouched(repo: Repo) -> None:
    """Every gate, on a project whose own config asks tools to fix and cache in place: the
    only new thing in the work tree afterwards is the report directory."""
    repo.write(".gitignore", "")
    repo.write(
        "pyproject.toml",
        '[tool.ruff]\nfix = true\n[tool.ruff.lint]\nselect = ["F", "I"]\n'
        "[tool.mypy]\nincremental = true\n",
    )
    repo.write("pkg/__init__.py", "")
    base = repo.commit("base")
    repo.write("pkg/mod.py", "import sys\nimport os\n\n\ndef f(x: int) -> int:\n    return x\n")
    repo.write(
        "tests/test_mod.py", "from pkg.mod import f\n\n\ndef test_f():\n    assert f(1) == 1\n"
    )
    repo.commit("pr")
    writes_bytecode = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = gates_run(repo.path, "--base", base, env=writes_bytecode)
    assert result.returncode in (0, 1), result.stderr
    status = git(repo.path, "status", "--porcelain", "--untracked-files=all", "--ignored")
    assert [line for line in status.splitlines() if not line[3:].startswith("reports/")] == []


def test_a_file_name_that_is_not_utf8_is_checked_and_shown_by_its_bytes(repo: Repo) -> None:
    """git gives names as bytes. Before: finishing the first finding in such a file killed the
    worker threads, the run hung until its watchdog, and no report could be written."""
    base = repo.commit("base")
    name = b"caf\xe9.py".decode("utf-8", errors="surrogateescape")
    (repo.path / name).write_text("import os\n\n\ndef f(x):\n    os.system('ls ' + x)\n")
    repo.commit("pr")
    result = gates_run(repo.path, "--base", base, "--stages", "safety,size", timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    shown = "caf\\xe9.py"
    data = report(repo.path)  # valid UTF-8 JSON
    [finding] = [f for g in data["gates"] for f in g["findings"] if f["rule"] == "shell-command"]
    assert finding["path"] == shown and finding["new"] and len(finding["fingerprint"]) == 32
    assert shown in (repo.path / "reports/gates.md").read_text(encoding="utf-8")
    assert json.loads((repo.path / "reports/gates.sarif").read_text(encoding="utf-8"))
    assert shown in result.stdout
    assert sorted(p.name for p in (repo.path / "reports").iterdir()) == [
        "gates.json",
        "gates.md",
        "gates.sarif",
    ]
