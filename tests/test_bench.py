"""The benchmark's peers: the packed peer keeps to the core count and the given order."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", ROOT / "bench" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_only_semgrep_gets_one_job(bench: ModuleType) -> None:
    commands = {
        "semgrep": [["semgrep", "scan", "--json", "a.py"]],
        "ruff": [["python", "-m", "ruff", "check", "a.py"]],
    }
    assert bench.one_job_each(commands) == {
        "semgrep": [["semgrep", "scan", "--jobs", "1", "--json", "a.py"]],
        "ruff": [["python", "-m", "ruff", "check", "a.py"]],
    }


def test_packed_runs_the_tools_cores_at_a_time_in_order(bench: ModuleType, tmp_path: Path) -> None:
    log = tmp_path / "log"
    step = f'echo "start $0" >> {log}; sleep 0.2; echo "end $0" >> {log}'
    tools = [f"tool{n}" for n in range(5)]
    commands = {tool: [["sh", "-c", step, tool], ["true"]] for tool in tools}
    order = list(reversed(tools))
    timing = bench.packed(commands, tmp_path, order)
    events = log.read_text().split("\n")[:-1]
    cores = min(os.cpu_count() or 1, len(tools))
    started = [e.split()[1] for e in events if e.startswith("start")]
    assert sorted(started) == sorted(order)
    # slots take tools in order; tools taken at the same time may start in either order
    assert all(abs(order.index(tool) - k) < cores for k, tool in enumerate(started))
    running, most = 0, 0
    for event in events:
        running += 1 if event.startswith("start") else -1
        most = max(most, running)
    assert most == cores
    assert timing.code == 0 and timing.wall > 0


def test_longest_first_orders_by_median_wall(bench: ModuleType) -> None:
    samples = bench.Samples()
    for tool, walls in {"ruff": [0.1, 0.2], "mypy": [3.0, 2.0, 9.0], "bandit": [1.0]}.items():
        for wall in walls:
            samples.add(f"{tool} wall", wall)
    assert bench.longest_first(samples, ["ruff", "mypy", "bandit"]) == ["mypy", "bandit", "ruff"]


SWITCH_EFFECTS = {
    # switch -> code that must print True once it is applied (in a fresh interpreter)
    "cost-model": "from gates import schedule as s; print(s.estimated_seconds((1, 1), 1) is None)",
    "cores-each": "from gates import schedule; print(schedule.cores_each(4, 4, 8) == 8)",
    "worker-pool": "from gates.checks import base; print(not base._worth_workers(10**12))",
}


@pytest.mark.parametrize("switch", sorted(SWITCH_EFFECTS))
def test_each_heuristic_switch_reaches_the_code_it_names(switch: str) -> None:
    """A switch that patched a name the package no longer uses would measure nothing."""
    import subprocess

    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import heuristics\n"
        f"heuristics.OFF[{switch!r}]()\n{SWITCH_EFFECTS[switch]}"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "True", done.stderr


def test_the_switches_are_the_ones_tested() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import heuristics
    finally:
        sys.path.remove(str(ROOT / "bench"))
    assert set(heuristics.OFF) == set(SWITCH_EFFECTS)
