"""The baseline file: round trip, blocking, fixed entries, prune, broken files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import Repo

from gates.errors import UsageError
from gates.filters.baseline import load_baseline


def _gates(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gates", *args], capture_output=True, text=True, timeout=300
    )


def _setup(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.ruff.lint]\nselect = ["F"]\n')
    repo.write("a.py", "import os\nimport sys\n")
    repo.commit("legacy code with two findings")


def test_baseline_round_trip_and_prune(repo: Repo) -> None:
    _setup(repo)
    made = _gates("baseline", str(repo.path))
    assert made.returncode == 0, made.stderr
    assert "0 -> 2 entries" in made.stdout
    path = repo.path / ".gates-baseline.json"
    text = path.read_text()
    data = json.loads(text)
    assert [e["rule"] for e in data["findings"]] == ["F401", "F401"]
    assert text.count("\n") == 7  # one entry per line: reviewable diffs
    assert _gates("baseline", str(repo.path)).stdout.count("2 -> 2") == 1  # stable

    # Without a base every file counts as changed; the baselined findings do not block.
    result = _gates("run", str(repo.path))
    assert result.returncode == 0, result.stdout
    report = json.loads((repo.path / "reports/gates.json").read_text())
    assert report["suppressions"]["baseline"] == 2

    # A new finding still blocks.
    repo.write("b.py", "import json\n")
    repo.commit("new finding")
    assert _gates("run", str(repo.path)).returncode == 1

    # Fix one baselined finding: reported as fixed; prune removes exactly that entry.
    repo.write("a.py", "import os\nimport sys\nprint(os)\n")
    repo.write("b.py", "")
    repo.commit("fix")
    _gates("run", str(repo.path))
    report = json.loads((repo.path / "reports/gates.json").read_text())
    assert report["suppressions"]["baseline_fixed"] == 1
    assert any(n["rule"] == "baseline-fixed" for n in report["notices"])
    pruned = _gates("baseline", str(repo.path), "--prune")
    assert "2 -> 1 entries" in pruned.stdout
    assert len(load_baseline(path).entries) == 1


def test_prune_never_adds(repo: Repo) -> None:
    _setup(repo)
    assert "0 -> 0 entries" in _gates("baseline", str(repo.path), "--prune").stdout


def test_broken_baseline_is_a_usage_error(repo: Repo, tmp_path: Path) -> None:
    _setup(repo)
    (repo.path / ".gates-baseline.json").write_text("{not json")
    result = _gates("run", str(repo.path))
    assert result.returncode == 2
    assert ".gates-baseline.json: not a gates baseline" in result.stderr
    try:
        load_baseline(repo.path / ".gates-baseline.json")
    except UsageError as exc:
        assert "regenerate it" in str(exc)
    else:
        raise AssertionError("expected a UsageError")
