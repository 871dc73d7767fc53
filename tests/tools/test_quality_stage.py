"""The whole quality stage through `python -m gates run`: ruff, mypy and coverage together."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from conftest import Repo, gates_run

ROOT = Path(__file__).resolve().parents[2]


def test_quality_stage_reports_every_gate_with_valid_reports(repo: Repo) -> None:
    repo.write(
        "pyproject.toml",
        '[tool.coverage.run]\nsource = ["pkg"]\n[tool.mypy]\nfiles = ["pkg"]\n'
        "[tool.gates.coverage]\nmin_total = 50\n",
    )
    repo.write("pkg/__init__.py", "")
    repo.write("pkg/core.py", "def double(x: int) -> int:\n    return 2 * x\n")
    repo.write(
        "tests/test_core.py",
        "from pkg.core import double\n\n\ndef test_double():\n    assert double(2) == 4\n",
    )
    base = repo.commit("base")
    repo.write(
        "pkg/core.py",
        "def double(x: int) -> int:\n    return 2 * x\n\n\n"
        "def label(x: int) -> str:\n    return x\n",
    )
    repo.commit("pr")
    result = gates_run(repo.path, "--base", base, "--stages", "quality", timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((repo.path / "reports/gates.json").read_text())
    schema = json.loads((ROOT / "reports/gates-report.schema.json").read_text())
    jsonschema.validate(report, schema)
    gates = {g["name"]: g for g in report["gates"]}
    assert {n: g["status"] for n, g in gates.items()} == {
        "ruff": "pass",
        "mypy": "fail",
        "coverage": "fail",
    }
    (mypy_finding,) = gates["mypy"]["findings"]
    assert (mypy_finding["path"], mypy_finding["line"], mypy_finding["rule"]) == (
        "pkg/core.py",
        6,
        "return-value",
    )
    coverage = gates["coverage"]
    assert coverage["metrics"]["total_coverage"] == 75.0
    assert coverage["metrics"]["diff_coverage"] == 50.0  # `def label` ran at import
    rules = sorted(f["rule"] for f in coverage["findings"])
    assert rules == ["min-diff", "total-dropped", "uncovered-lines"]
    assert coverage["metrics"]["total_coverage_base"] == 100.0
    uncovered = [f for f in coverage["findings"] if f["rule"] == "uncovered-lines"]
    assert [(f["path"], f["line"], f["new"]) for f in uncovered] == [("pkg/core.py", 6, True)]
    sarif = json.loads((repo.path / "reports/gates.sarif").read_text())
    sarif_schema = json.loads((ROOT / "tests/schemas/sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, sarif_schema)
    md = (repo.path / "reports/gates.md").read_text()
    assert "total 75\\.0% \\(base 100\\.0%\\), diff 50\\.0%" in md  # escaped for Markdown
