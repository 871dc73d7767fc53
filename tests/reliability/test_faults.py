"""Faults: tools that crash, hang, babble or flood; signals mid-run; a disk that fills up.
Each gate that fails becomes `error`, the others complete, and the report is still written."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import Repo, processes_running

from gates.app import RunRequest, atomic_write, run
from gates.gate import GateContext, GateOutcome, Option, Scope
from gates.model import Stage
from gates.proc import run_process
from gates.runner import NoProgress
from gates.tools.common import require_ran, tool_failure

ROOT = Path(__file__).resolve().parents[2]


class _ToolGate:
    """Runs one command as its tool and fails the way real adapters do."""

    stage, tool, scope = Stage.QUALITY, "t", Scope.CHANGED
    description, default_timeout_s, default_fail_on = "", 20.0, "error"
    options: ClassVar[dict[str, Option]] = {}

    def __init__(self, name: str, argv: list[str], timeout: float = 20.0) -> None:
        self.name, self.argv, self.default_timeout_s = name, argv, timeout

    def run(self, ctx: GateContext) -> GateOutcome:
        result = ctx.run(self.argv)
        require_ran(result, "nothing to install")
        if not result.ok:
            raise tool_failure(result, "tool failed")
        try:
            json.loads(result.stdout)
        except ValueError:
            raise tool_failure(result, "unreadable output") from None
        return GateOutcome()


def test_crash_hang_garbage_and_missing_tools_are_errors(repo: Repo) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit()
    py = sys.executable
    gates = [
        _ToolGate(
            "segfault", [py, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
        ),
        _ToolGate("hang", ["sh", "-c", "sleep 301.5 & sleep 301.5"], timeout=1.0),
        _ToolGate("garbage", [py, "-c", "print('\\x00\\xff not json {')"]),
        _ToolGate("missing", ["/nonexistent/tool"]),
        _ToolGate("fine", [py, "-c", "print('{}')"]),
    ]
    started = time.monotonic()
    outcome = run(RunRequest(path=repo.path, env={}), {g.name: g for g in gates}, NoProgress())
    assert time.monotonic() - started < 60
    status = {g.name: (g.status.value, g.detail) for g in outcome.report.gates}
    assert status["fine"][0] == "pass"
    assert status["segfault"][0] == "error" and "SIGSEGV" in status["segfault"][1]
    assert status["hang"][0] == "error" and "timed out" in status["hang"][1]
    assert status["garbage"][0] == "error" and "unreadable output" in status["garbage"][1]
    assert status["missing"][0] == "error" and "not installed" in status["missing"][1]
    assert outcome.report.verdict.value == "error"
    assert (repo.path / "reports/gates.json").exists()
    # The hung tool's whole process tree was killed, not just its shell.
    assert processes_running("sleep 301.5") == []


def test_a_gigabyte_of_output_is_captured_bounded(tmp_path: Path) -> None:
    result = run_process(
        ["sh", "-c", "head -c 1073741824 /dev/zero"],
        cwd=tmp_path,
        timeout_s=120,
        max_capture=8 * 1024 * 1024,
    )
    assert result.returncode == 0 and result.truncated
    assert len(result.out) == 8 * 1024 * 1024


_SIGNAL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import gates.registry
    from gates.cli import main
    from gates.gate import GateOutcome, Scope
    from gates.model import Stage

    class Slow:
        name, stage, tool, scope = "slow", Stage.QUALITY, "slow", Scope.CHANGED
        description, default_timeout_s, default_fail_on = "", 600.0, "error"
        options = {}
        def run(self, ctx):
            ctx.run(["sh", "-c", "sleep 302.5 & sleep 302.5"])
            return GateOutcome()

    class Quick(Slow):
        name, default_timeout_s = "quick", 5.0
        def run(self, ctx):
            return GateOutcome()

    gates.registry.REGISTRY = {"slow": Slow(), "quick": Quick()}
    sys.exit(main(["run", sys.argv[1]]))
    """
)


def _start_slow_run(repo: Repo, tmp_path: Path) -> subprocess.Popen[str]:
    repo.write("a.py", "x = 1\n")
    repo.commit()
    script = tmp_path / "slow_run.py"
    script.write_text(_SIGNAL_SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(repo.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the slow tool is running
        if processes_running("sleep 302.5"):
            return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the slow gate never started")


def test_sigterm_mid_run_writes_a_partial_report(repo: Repo, tmp_path: Path) -> None:
    proc = _start_slow_run(repo, tmp_path)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "SIGTERM received" in err and "Traceback" not in err
    report = json.loads((repo.path / "reports/gates.json").read_text())
    assert report["incomplete"] is True and report["verdict"] == "error"
    assert {g["name"]: g["status"] for g in report["gates"]}["slow"] == "error"
    assert processes_running("sleep 302.5") == []


def test_sigint_mid_run_writes_a_partial_report(repo: Repo, tmp_path: Path) -> None:
    proc = _start_slow_run(repo, tmp_path)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert json.loads((repo.path / "reports/gates.json").read_text())["incomplete"] is True


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (400, 400))


def test_full_disk_when_writing_reports_is_a_clear_error(repo: Repo) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit()
    result = subprocess.run(
        [sys.executable, "-m", "gates", "run", str(repo.path), "--stages", "ruff"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr
    leftovers = [p.name for p in (repo.path / "reports").iterdir()]
    assert not [n for n in leftovers if n.startswith(".")]  # no half-written temp files


def test_a_write_that_fails_any_other_way_leaves_no_temp_file(tmp_path: Path) -> None:
    with pytest.raises(UnicodeEncodeError):
        atomic_write(tmp_path / "gates.json", "not encodable: \udce9")
    assert list(tmp_path.iterdir()) == []


def test_planted_symlink_in_reports_is_not_followed(repo: Repo, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    (repo.path / "reports").mkdir(parents=True)
    for name in (".gates.json.tmp", "gates.json"):
        (repo.path / "reports" / name).symlink_to(victim)
    repo.write("a.py", "x = 1\n")
    repo.commit()
    result = subprocess.run(
        [sys.executable, "-m", "gates", "run", str(repo.path), "--stages", "ruff"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "untouched"
    assert not (repo.path / "reports/gates.json").is_symlink()
    _ = threading  # keep the import used by the signal tests' helpers
