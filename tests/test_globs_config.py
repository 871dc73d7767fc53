"""Globs in config: checked when the config loads (exit 2 naming key, file and pattern), and
`{a,b}` selects what it says, through the real CLI on real repositories."""

from __future__ import annotations

import json

import pytest
from conftest import Repo, gates_run

# Every config key that takes globs, with a config that puts a bad pattern in it.
BAD = "src/[z-a]/*.py"
GLOB_KEYS = [
    ("[tool.gates]\nexclude = ['ok/**', '{bad}']\n", "[tool.gates]", "'exclude' item 1"),
    ("[tool.gates.safety]\nexclude = ['{bad}']\n", "[safety]", "'exclude' item 0"),
    ("[tool.gates.ruff]\npaths = ['src/**', '{bad}']\n", "[ruff]", "'paths' item 1"),
    ("[tool.gates.secrets]\nexclude = ['{bad}']\n", "[secrets]", "'exclude' item 0"),
    (
        "[tool.gates.size]\nbudgets = [{ glob = '**/*.py', max_lines = 9 },"
        " { glob = '{bad}', max_bytes = 9 }]\n",
        "[size]",
        "'budgets' entry 1: key 'glob'",
    ),
    ("[tool.gates.size]\npr_size_exclude = ['{bad}']\n", "[size]", "'pr_size_exclude' item 0"),
    ("[tool.gates.size]\nbinary_allowed = ['{bad}']\n", "[size]", "'binary_allowed' item 0"),
    (
        "[tool.gates.dangerous-code]\nallowed_hosts = ['{bad}']\n",
        "[dangerous-code]",
        "'allowed_hosts' item 0",
    ),
]


@pytest.mark.parametrize(("config", "section", "key"), GLOB_KEYS)
def test_a_bad_glob_in_any_key_exits_2_naming_key_file_and_pattern(
    repo: Repo, config: str, section: str, key: str
) -> None:
    repo.write("pyproject.toml", config.replace("{bad}", BAD))
    repo.write("a.py", "a = 1\n")
    repo.commit()
    result = gates_run(repo.path, "--stages", "size")
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert str(repo.path / "pyproject.toml") in line and section in line and key in line
    assert f"bad glob '{BAD}': bad character range z-a" in line


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("agents/**/*.{py,md", "unbalanced '{'"),
        ("agents/[abc.py", "unclosed '['"),
        ("!agents/**", "negation"),
    ],
)
def test_other_malformed_globs_are_named(repo: Repo, pattern: str, why: str) -> None:
    repo.write(".gates.toml", f"[size]\nbudgets = [{{ glob = '{pattern}', max_bytes = 9 }}]\n")
    repo.commit()
    result = gates_run(repo.path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert ".gates.toml [size]: key 'budgets' entry 0" in result.stderr
    assert why in result.stderr


def test_a_brace_budget_catches_a_file_over_it(repo: Repo) -> None:
    """The issue's case: `*.{py,md}` used to match nothing, so 10 KB passed a 4 KB budget."""
    repo.write(
        "pyproject.toml",
        '[tool.gates.size]\nbudgets = [{ glob = "agents/**/*.{py,md}", max_bytes = 4096 }]\n',
    )
    base = repo.commit("base")
    repo.write("agents/deep/notes.md", "x" * 10_000 + "\n")
    repo.write("agents/small.py", "x = 1\n")
    repo.write("other/notes.md", "x" * 10_000 + "\n")  # outside the budget's glob
    repo.commit("pr")
    out = repo.path.parent / "out"
    result = gates_run(repo.path, "--base", base, "--stages", "size", "--output-dir", str(out))
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((out / "gates.json").read_text())
    over = [(f["rule"], f["path"]) for g in report["gates"] for f in g["findings"]]
    assert over == [("budget-bytes", "agents/deep/notes.md")]


def test_brace_paths_select_the_files_of_a_gate(repo: Repo) -> None:
    repo.write(".gates.toml", '[secrets]\npaths = ["{src,lib}/**/*.{py,cfg}"]\n')
    base = repo.commit("base")
    line = 'password = "Zq8#vLm2$Tr9!xWp4"\n'
    for name in ("src/a.py", "lib/deep/b.cfg", "docs/c.py", "src/d.txt"):
        repo.write(name, line)
    repo.commit("pr")
    out = repo.path.parent / "out"
    gates_run(repo.path, "--base", base, "--stages", "secrets", "--output-dir", str(out))
    report = json.loads((out / "gates.json").read_text())
    (gate,) = report["gates"]
    assert sorted({f["path"] for f in gate["findings"]}) == ["lib/deep/b.cfg", "src/a.py"]
