"""The shipped semgrep rules: each has positive and negative cases, and `semgrep --test` passes.

Rules live in gates/rules/<topic>.yml, their cases in tests/semgrep_rules/<topic>.py (semgrep
pairs them by file stem); one `semgrep --test` run checks all of them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from gates.tools.semgrep import SCRATCH_ENV, semgrep_command

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "gates" / "rules"
CASES = ROOT / "tests" / "semgrep_rules"
_ANNOTATION = re.compile(r"#\s*(ruleid|ok):\s*(.+)$")


def rules() -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for path in sorted(RULES.glob("*.yml")):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            assert rule["id"] not in out, f"duplicate rule id {rule['id']}"
            out[rule["id"]] = {**rule, "file": path.stem}
    return out


def annotations() -> dict[str, dict[str, set[str]]]:
    """rule id -> {"ruleid": {test files}, "ok": {test files}}."""
    found: dict[str, dict[str, set[str]]] = {}
    for path in sorted(CASES.glob("*.py")):
        for line in path.read_text().splitlines():
            match = _ANNOTATION.search(line)
            if match:
                for rule_id in match.group(2).split(","):
                    entry = found.setdefault(rule_id.strip(), {"ruleid": set(), "ok": set()})
                    entry[match.group(1)].add(path.stem)
    return found


def test_at_least_30_rules_with_metadata() -> None:
    shipped = rules()
    assert len(shipped) >= 30
    for rule_id, rule in shipped.items():
        assert rule_id.startswith("gates.python."), rule_id
        assert rule["languages"] == ["python"], rule_id
        assert rule["severity"] in ("ERROR", "WARNING", "INFO"), rule_id
        assert len(str(rule["message"])) > 40, rule_id
        metadata = rule["metadata"]
        assert isinstance(metadata, dict)
        assert all(re.match(r"CWE-\d+: ", c) for c in metadata["cwe"]), rule_id
        assert all(re.match(r"A\d\d:2021 - ", o) for o in metadata["owasp"]), rule_id


def test_every_rule_has_a_positive_and_a_negative_case_beside_it() -> None:
    shipped = rules()
    cases = annotations()
    assert set(cases) <= set(shipped), f"cases for unknown rules: {set(cases) - set(shipped)}"
    for rule_id, rule in shipped.items():
        entry = cases.get(rule_id, {"ruleid": set(), "ok": set()})
        # semgrep --test only checks a rule against the case file with the same stem
        assert rule["file"] in entry["ruleid"], f"{rule_id}: no '# ruleid:' case"
        assert rule["file"] in entry["ok"], f"{rule_id}: no '# ok:' case"


def test_semgrep_test_passes_for_all_rules(tmp_path: Path) -> None:
    env = {**os.environ, **SCRATCH_ENV, "HOME": str(tmp_path)}
    argv = [*semgrep_command(sys.executable), "--test", "--metrics=off", "--disable-version-check"]
    result = subprocess.run(
        [*argv, "--config", str(RULES), str(CASES)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    count = len(rules())
    assert f"{count}/{count}: ✓ All tests passed" in output, output
