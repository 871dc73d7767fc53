"""The schedule: longest gates first, by what they took last time on this repository."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import Repo

from gates.app import RunOutcome, RunRequest, run
from gates.cache import durations_path, load_durations
from gates.config import Config, GateConfig
from gates.diff import Diff
from gates.gate import GateContext, GateOutcome, Option, Scope
from gates.git import Revisions
from gates.judge import Judging, judge_gates
from gates.model import STAGE_ORDER, Finding, Severity, Stage, Status
from gates.registry import REGISTRY
from gates.runner import (
    NoProgress,
    Planned,
    RunSettings,
    cores_each,
    critical_path_first,
    estimated_seconds,
    python_bytes,
    run_planned,
)


class _Timed:
    """Sleeps for its `seconds`; its default budget says nothing about that on purpose."""

    stage, tool, scope = Stage.QUALITY, "t", Scope.PROJECT
    description, default_fail_on = "", "error"
    options: ClassVar[dict[str, Option]] = {}

    def __init__(self, name: str, seconds: float, budget: float) -> None:
        self.name, self.seconds, self.default_timeout_s = name, seconds, budget

    def run(self, ctx: GateContext) -> GateOutcome:
        time.sleep(self.seconds)
        return GateOutcome()


def _planned(*gates: _Timed) -> list[Planned]:
    config = GateConfig(True, (), (), 60.0, "error", {})
    return [Planned(g, config, ()) for g in gates]  # type: ignore[arg-type]


def test_unknown_gates_go_first_by_budget_then_known_by_last_duration() -> None:
    tests, lint, types, new = (
        _Timed("tests", 0, 1800),
        _Timed("lint", 0, 120),
        _Timed("types", 0, 600),
        _Timed("new", 0, 60),
    )
    order = critical_path_first(_planned(lint, types, tests), {})
    assert [p.gate.name for p in order] == ["tests", "types", "lint"]
    history = {"tests": 4.0, "lint": 9.0, "types": 2.0}
    order = critical_path_first(_planned(lint, types, tests, new), history)
    assert [p.gate.name for p in order] == ["new", "lint", "tests", "types"]


class _Modelled(_Timed):
    def __init__(self, name: str, start: float, per_mb: float) -> None:
        super().__init__(name, 0, 60)
        self.cost_model = (start, per_mb)


def test_a_first_run_estimates_tools_from_the_python_they_read(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text("x = 1\n" * 200_000)  # 1.2 MB
    (tmp_path / "small.py").write_text("x = 1\n")
    (tmp_path / "notes.md").write_text("words\n" * 1_000_000)  # not Python: not counted
    config = GateConfig(True, (), (), 60.0, "error", {})
    heavy_on_few = Planned(_Modelled("heavy", 0.5, 3.0), config, ("small.py", "notes.md"))
    light_on_much = Planned(_Modelled("light", 0.1, 1.0), config, ("big.py", "small.py"))
    unknown = Planned(_Timed("tests", 0, 1800), config, ())
    order = critical_path_first([heavy_on_few, light_on_much, unknown], {}, tmp_path)
    assert [p.gate.name for p in order] == ["tests", "light", "heavy"]
    size = python_bytes(light_on_much, tmp_path)
    assert estimated_seconds(light_on_much, size) == pytest.approx(0.1 + 1.2, abs=0.01)
    assert estimated_seconds(unknown, 0) is None
    # a recorded duration beats the estimate
    order = critical_path_first([heavy_on_few, light_on_much], {"heavy": 9.0}, tmp_path)
    assert [p.gate.name for p in order] == ["heavy", "light"]


def test_a_first_run_packs_the_own_checks_around_the_long_tools(tmp_path: Path) -> None:
    """flask-sized: the checks' estimates put them after the long tools, not before."""
    (tmp_path / "m.py").write_text("x = 1\n" * 100_000)  # 0.6 MB
    config = GateConfig(True, (), (), 60.0, "error", {})
    names = ["dangerous-code", "secrets", "size", "pii", "semgrep", "mypy", "coverage", "bandit"]
    planned = [Planned(REGISTRY[name], config, ("m.py",)) for name in names]
    order = [p.gate.name for p in critical_path_first(planned, {}, tmp_path)]
    assert order[:3] == ["coverage", "semgrep", "mypy"]  # unknown, then the longest estimates
    assert order[3:] == ["bandit", "secrets", "dangerous-code", "size", "pii"]


def test_the_next_run_starts_the_gate_that_took_longest(repo: Repo, tmp_path: Path) -> None:
    repo.write("pyproject.toml", "[tool.gates]\njobs = 1\n")  # one at a time: order is visible
    repo.commit()
    cache = tmp_path / "cache"
    registry = {"slow": _Timed("slow", 0.4, 60), "quick": _Timed("quick", 0.05, 600)}

    def started_first() -> str:
        outcome = run(
            RunRequest(path=repo.path, env={"GATES_CACHE_DIR": str(cache), "GATES_NO_CACHE": "1"}),
            registry,  # type: ignore[arg-type]
            NoProgress(),
            threading.Event(),
        )
        return min(outcome.report.gates, key=lambda g: g.started_s or 0.0).name

    assert started_first() == "quick"  # nothing known yet: the bigger budget first
    log = durations_path(cache, repo.path)
    assert load_durations(log)["slow"] >= 0.4
    assert started_first() == "slow"
    assert set(json.loads(log.read_text())) == {"slow", "quick"}


def test_a_broken_duration_log_is_ignored(tmp_path: Path) -> None:
    log = tmp_path / "durations.json"
    log.write_text("{not json")
    assert load_durations(log) == {}
    log.write_text('{"a": 1.5, "b": "x", "c": -2}')
    assert load_durations(log) == {"a": 1.5}


class _OwnCheck(_Timed):
    tool = "gates"


def _run_two_jobs(repo: Repo, tmp_path: Path, registry: dict[str, _Timed]) -> RunOutcome:
    repo.write("pyproject.toml", "[tool.gates]\njobs = 2\n")
    repo.commit()
    return run(
        RunRequest(path=repo.path, env={"GATES_CACHE_DIR": str(tmp_path / "c")}),
        registry,  # type: ignore[arg-type]
        NoProgress(),
        threading.Event(),
    )


class _Counted(_Timed):
    """Records how many gates of its registry run at the same moment."""

    def __init__(self, name: str, seconds: float, budget: float, seen: list[int]) -> None:
        super().__init__(name, seconds, budget)
        self.seen = seen

    def run(self, ctx: GateContext) -> GateOutcome:
        with _COUNT_LOCK:
            _RUNNING[0] += 1
            self.seen.append(_RUNNING[0])
        time.sleep(self.seconds)
        with _COUNT_LOCK:
            _RUNNING[0] -= 1
        return GateOutcome()


class _OwnCounted(_Counted):
    tool = "gates"


_COUNT_LOCK = threading.Lock()
_RUNNING = [0]


def test_no_more_gates_run_at_once_than_jobs_own_checks_included(
    repo: Repo, tmp_path: Path
) -> None:
    seen: list[int] = []
    outcome = _run_two_jobs(
        repo,
        tmp_path,
        {
            "tool-a": _Counted("tool-a", 0.3, 600, seen),
            "tool-b": _Counted("tool-b", 0.3, 600, seen),
            "own": _OwnCounted("own", 0.3, 120, seen),
        },
    )
    assert {g.status for g in outcome.report.gates} == {Status.PASS}
    assert max(seen) == 2  # an in-process check is a busy process too: it waits for a slot
    started = {g.name: g.started_s or 0.0 for g in outcome.report.gates}
    assert started["own"] >= 0.3 > max(started["tool-a"], started["tool-b"])  # by budget


def test_tools_share_the_cores_evenly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gates.runner.os.cpu_count", lambda: 8)
    config = GateConfig(True, (), (), 60.0, "error", {})
    tools = [Planned(_Timed(f"t{i}", 0, 60), config, ()) for i in range(4)]  # type: ignore[arg-type]
    own = [Planned(_OwnCheck("own", 0, 60), config, ())]  # type: ignore[arg-type]
    assert cores_each(tools[:1] + own, 8) == 8  # a tool alone may use the machine
    assert cores_each(tools + own, 8) == 2  # own checks are not counted: one core, in this process
    assert cores_each(tools, 2) == 4  # two slots


class _Finds(_Timed):
    """Reports one error on line 1 of `a.py`."""

    def __init__(self, name: str, stage: Stage) -> None:
        super().__init__(name, 0.0, 60)
        self.stage = stage

    def run(self, ctx: GateContext) -> GateOutcome:
        return GateOutcome([Finding(self.name, "t", "boom", Severity.ERROR, "a.py", "bad", 1)])


def test_the_runner_hands_back_raw_outcomes_that_only_the_judge_marks(
    repo: Repo, tmp_path: Path
) -> None:
    repo.write("a.py", "x = 1\n")
    repo.commit()
    gate = _Finds("g", Stage.QUALITY)
    gate_config = GateConfig(True, (), (), 60.0, "error", {})
    config = Config(source="defaults", stages=STAGE_ORDER, fail_fast=False, exclude=(),
                    python="python3", new="lines", jobs=1, output_dir="out",
                    safety_pr_suppressions=True, gates={"g": gate_config})  # fmt: skip
    settings = RunSettings(repo.path, Diff(Revisions(None, "h" * 40, None, ""), all_changed=True),
                           config, tmp_path / "scratch", {})  # fmt: skip
    [ran] = run_planned([Planned(gate, config.gate("g"), ("a.py",))], settings,  # type: ignore[arg-type]
                        NoProgress(), threading.Event())  # fmt: skip
    [raw] = ran.outcome.findings
    assert raw.fingerprint == "" and raw.new is None and ran.outcome.status is None
    assert ran.duration_s >= 0 and ran.started_s is not None
    judging = Judging(repo.path, settings.diff, config, dt.date(2026, 1, 1))
    [result] = judge_gates(judging, [ran])
    assert result.status is Status.FAIL and result.findings[0].new is True
    assert result.findings[0].fingerprint and result.duration_s == ran.duration_s


def _fail_fast_run(repo: Repo, fail_fast: bool, marker: str = "") -> dict[str, Status]:
    repo.write("pyproject.toml", f"[tool.gates]\nfail_fast = {str(fail_fast).lower()}\n")
    repo.write("a.py", f"x = 1{marker}\n")
    repo.commit()
    registry = {
        "unsafe": _Finds("unsafe", Stage.SAFETY),
        "lint": _Timed("lint", 0.0, 60),
    }
    request = RunRequest(path=repo.path, env={"GATES_NO_CACHE": "1"})
    outcome = run(request, registry, NoProgress(), threading.Event())  # type: ignore[arg-type]
    return {g.name: g.status for g in outcome.report.gates}


def test_fail_fast_skips_the_stages_after_one_that_failed(repo: Repo) -> None:
    assert _fail_fast_run(repo, True) == {"unsafe": Status.FAIL, "lint": Status.SKIPPED}
    assert _fail_fast_run(repo, False) == {"unsafe": Status.FAIL, "lint": Status.PASS}


def test_fail_fast_stops_on_the_judged_status_not_the_raw_outcome(repo: Repo) -> None:
    """The raw finding would fail; an inline suppression (judging step 3) makes it pass."""
    marker = "  # gates: ignore[boom] -- checked by hand"
    assert _fail_fast_run(repo, True, marker) == {"unsafe": Status.PASS, "lint": Status.PASS}


class _Malformed(_Timed):
    """A gate with a bug: one of its findings is not a Finding, which finishing it trips on."""

    def run(self, ctx: GateContext) -> GateOutcome:
        return GateOutcome(findings=(None,))  # type: ignore[arg-type]


def test_a_gate_that_cannot_be_finished_is_an_error_and_the_others_still_run(repo: Repo) -> None:
    # Before: the exception ended the worker thread, no other gate started, and the run
    # waited for the watchdog (timeout_s + grace) to call every gate "timed out".
    registry = {
        "broken": _Malformed("broken", 0.0, 30),
        "a": _Timed("a", 0.0, 30),
        "b": _Timed("b", 0.0, 30),
        "c": _Timed("c", 0.0, 30),
    }
    repo.write("pyproject.toml", "[tool.gates]\njobs = 2\n")
    repo.commit()
    request = RunRequest(path=repo.path, env={"GATES_NO_CACHE": "1"})  # straight to finishing
    outcome = run(request, registry, NoProgress(), threading.Event())  # type: ignore[arg-type]
    by_name = {g.name: g for g in outcome.report.gates}
    assert by_name["broken"].status is Status.ERROR
    assert by_name["broken"].detail.startswith("gate crashed: AttributeError")
    assert {by_name[n].status for n in "abc"} == {Status.PASS}


class _BrokenStartNotice(NoProgress):
    """A terminal that fails when told a gate started (a closed pipe, say)."""

    def started(self, name: str) -> None:
        if name == "told":
            raise BrokenPipeError("stderr is closed")


def test_a_failure_to_announce_a_gate_is_its_error_and_the_run_goes_on(repo: Repo) -> None:
    repo.write("pyproject.toml", "[tool.gates]\njobs = 2\n")
    repo.commit()
    registry = {
        "told": _Timed("told", 0.0, 30),
        "a": _Timed("a", 0.0, 30),
        "b": _Timed("b", 0.0, 30),
    }
    request = RunRequest(path=repo.path, env={"GATES_NO_CACHE": "1"})
    outcome = run(request, registry, _BrokenStartNotice(), threading.Event())  # type: ignore[arg-type]
    by_name = {g.name: g for g in outcome.report.gates}
    assert by_name["told"].status is Status.ERROR and "stderr is closed" in by_name["told"].detail
    assert by_name["a"].status is by_name["b"].status is Status.PASS
