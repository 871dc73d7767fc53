"""Compare mode on real repos with the real ruff: new means "not in the base's findings"."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import ClassVar

from conftest import Repo

from gates.app import RunRequest, run
from gates.gate import GateContext, GateOutcome, Option, Scope
from gates.model import Finding, Severity, Stage
from gates.runner import NoProgress
from gates.tools.ruff import RuffGate

RUFF_F = '[tool.ruff.lint]\nselect = ["F"]\n'


def _run(repo: Repo, base: str, new: str, registry: dict[str, object], cache: Path):  # type: ignore[no-untyped-def]
    request = RunRequest(path=repo.path, base=base, new=new, env={"GATES_CACHE_DIR": str(cache)})
    return run(request, registry, NoProgress(), threading.Event())  # type: ignore[arg-type]


def _ruff_findings(outcome) -> list[Finding]:  # type: ignore[no-untyped-def]
    return [f for g in outcome.report.gates if g.name == "ruff" for f in g.findings]


def test_import_made_unused_is_new_in_compare_mode_only(repo: Repo, tmp_path: Path) -> None:
    repo.write("pyproject.toml", RUFF_F)
    repo.write("app.py", "import os\n\n\ndef where():\n    return os.getcwd()\n")
    base = repo.commit("base")
    repo.write("app.py", "import os\n\n\ndef where():\n    return '.'\n")
    repo.commit("pr drops the only use of os")
    registry = {"ruff": RuffGate()}

    lines = _run(repo, base, "lines", registry, tmp_path / "cache")
    [finding] = _ruff_findings(lines)
    assert finding.rule == "F401" and finding.line == 1 and not finding.new
    assert lines.report.verdict.value == "pass"

    compare = _run(repo, base, "compare", registry, tmp_path / "cache")
    [finding] = _ruff_findings(compare)
    assert finding.new and compare.report.verdict.value == "fail"
    data = json.loads((compare.output_dir / "gates.json").read_text())
    assert data["new_mode"] == "compare" and "compare mode" in data["diff"]["note"]


def test_moved_block_with_old_finding_is_not_new(repo: Repo, tmp_path: Path) -> None:
    repo.write("pyproject.toml", RUFF_F)
    old = "def broken():\n    return undefined_name\n"
    repo.write("mod.py", old)
    base = repo.commit("base")
    filler = "".join(f"X{i} = {i}\n" for i in range(20))
    repo.write("mod.py", filler + "\n\n" + old)
    repo.commit("pr moves the block down")
    outcome = _run(repo, base, "compare", {"ruff": RuffGate()}, tmp_path / "cache")
    [finding] = _ruff_findings(outcome)
    assert finding.rule == "F821" and finding.line == 24 and finding.new is False
    assert outcome.report.verdict.value == "pass"


def test_renamed_file_keeps_its_old_findings_old(repo: Repo, tmp_path: Path) -> None:
    repo.write("pyproject.toml", RUFF_F)
    repo.write("a.py", "import os\nVALUE = 1\n")
    base = repo.commit("base")
    (repo.path / "a.py").rename(repo.path / "b.py")
    repo.commit("rename")
    outcome = _run(repo, base, "compare", {"ruff": RuffGate()}, tmp_path / "cache")
    [finding] = _ruff_findings(outcome)
    assert finding.path == "b.py" and finding.new is False


class _CountingGate:
    """Counts its runs per revision in a file outside the repo, to see cache hits."""

    name, stage, tool, scope = "counter", Stage.QUALITY, "counter", Scope.CHANGED
    description, default_timeout_s, default_fail_on = "", 30.0, "warning"
    options: ClassVar[dict[str, Option]] = {}
    log: ClassVar[Path]

    def run(self, ctx: GateContext) -> GateOutcome:
        text = (ctx.root / "c.py").read_text()
        with self.log.open("a") as handle:
            handle.write(text.splitlines()[0] + "\n")
        return GateOutcome(
            findings=[Finding("counter", "counter", "R", Severity.WARNING, "c.py", "m", line=1)],
            metrics={"total_coverage": 90.0 if "base" in text else 80.0},
        )


def test_base_results_are_cached_and_metrics_compared(repo: Repo, tmp_path: Path) -> None:
    _CountingGate.log = tmp_path / "runs.log"
    repo.write("c.py", "# base\n")
    base = repo.commit("base")
    repo.write("c.py", "# head\n")
    repo.commit("pr")
    registry = {"counter": _CountingGate()}
    first = _run(repo, base, "compare", registry, tmp_path / "cache")
    second = _run(repo, base, "compare", registry, tmp_path / "cache")
    # The second run reuses both the head's and the base's results: nothing runs again.
    assert _CountingGate.log.read_text().splitlines() == ["# head", "# base"]
    assert "0 of 1 gates from cache" in first.report.diff.note
    assert "1 of 1 gates from cache" in second.report.diff.note
    [gate] = second.report.gates
    assert gate.metrics["total_coverage"] == 80.0 and gate.metrics["total_coverage_base"] == 90.0
    # The flagged line's content changed, so its fingerprint differs from the base's: new.
    assert [f.new for f in gate.findings] == [True]


def test_cache_is_invalidated_by_config_change(repo: Repo, tmp_path: Path) -> None:
    _CountingGate.log = tmp_path / "runs.log"
    repo.write("c.py", "# base\n")
    base = repo.commit("base")
    repo.write("c.py", "# head\n")
    repo.commit("pr")
    registry = {"counter": _CountingGate()}
    _run(repo, base, "compare", registry, tmp_path / "cache")
    repo.write(".gates.toml", "[counter]\ntimeout_s = 12\n")
    repo.commit("config")
    _run(repo, base, "compare", registry, tmp_path / "cache")
    assert _CountingGate.log.read_text().splitlines() == ["# head", "# base", "# head", "# base"]
