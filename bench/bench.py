"""Benchmark `gates run` against the same tools run by hand, in one process, alternating.

    .venv/bin/python bench/bench.py [--project flask|sqlalchemy|all] [--rounds N] [--keep]

For each project, the source comes from its PyPI sdist (`pip download --no-binary :all:`), is
committed as a base, and a PR commit touches a sample of its Python files. A private venv gets
the project and the tools (pinned by constraints.txt). Each round runs, in alternating order:

  gates      `python -m gates run --new all` (every stage, every file), cold caches
  serial     the same tools one after another (the seed workflow), each timed: wall and CPU
  parallel   the same tools launched at once
  packed     the same tools `cores` at a time, longest first, each on one core (semgrep with
             `--jobs 1`): what a scheduler with no work of its own gets from this machine

and prints per-tool wall and CPU, the physical bound max(slowest tool, CPU seconds / cores),
and the ratios of the performance goals (issue 10):
  P1  gates (cold, all stages) / bound
  P2  file-level gates on the PR's diff / the same gates on every file
  P3  warm re-run on an unchanged head / cold run
  P4  `python -m gates --help` wall time, against `python -c pass`
  own gates' in-process work (diff, safety and size checks, filters, reports) / full run
and, since the peers run no safety checks, `--new all` against a bound that also counts the CPU
of gates' own checks on every file: how closely gates packs all the work it has to do.
`--new all / packed` then splits P1's excess in two: what gates adds (its own checks, its own
process) and what the machine charges any run that keeps every core busy (packed / bound).
Medians over the rounds. Ratios, not absolute times, are the figures to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = {
    # name: (sdist spec, package dir inside the sdist, has a runnable test suite)
    "flask": ("flask==3.1.0", "src/flask", True),
    "sqlalchemy": ("sqlalchemy==2.0.36", "lib/sqlalchemy", False),
}
# What an sdist ships that the project's git repository does not hold, left out as a checkout
# would: sqlalchemy's sdist carries its built HTML docs (37 of its 62 MB).
BUILT_ARTIFACTS = {
    "sqlalchemy": ["doc/**/*.html", "doc/*.js", "doc/_static/", "doc/_modules/"],
}
TOUCHED_FILES = 20


@dataclass
class Timing:
    wall: float
    cpu: float
    code: int


@dataclass
class Samples:
    values: dict[str, list[float]] = field(default_factory=dict)
    schedule: list[str] = field(default_factory=list)  # the last --new all run, gate by gate

    def add(self, key: str, value: float) -> None:
        self.values.setdefault(key, []).append(value)

    def median(self, key: str) -> float:
        return statistics.median(self.values[key])


def sh(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Timing:
    """Run a command; wall seconds and CPU seconds of it and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        list(argv), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - started
    return Timing(wall, cpu_since(before), done.returncode)


def cpu_since(before: resource.struct_rusage) -> float:
    """CPU seconds of the children that ended since `before` (all of them: in threads, one
    command's figure would include the others')."""
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def gates(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    """Time a gates run; a run that could not judge (exit 2 or 3) is not a figure."""
    return gates_timed(argv, cwd, env).wall


def gates_timed(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> Timing:
    timing = sh(argv, cwd, env)
    if timing.code not in (0, 1):
        raise SystemExit(f"bench: {' '.join(argv[3:])} exited {timing.code}; fix that first")
    return timing


def prepare(name: str, work: Path) -> tuple[Path, Path, str]:
    """The project's git repo (base + PR commit), its venv python, and the base sha.

    The sdist and the venv are kept between runs; the repo is made anew from the sdist every
    time (seconds), so it always matches this script's config.
    """
    spec, package, _ = PROJECTS[name]
    home = work / name
    repo, venv, dist = home / "repo", home / "venv", home / "dist"
    if not dist.is_dir() or not any(dist.iterdir()):
        _download(spec, dist)
    shutil.rmtree(home / "src", ignore_errors=True)
    shutil.rmtree(repo, ignore_errors=True)
    with tarfile.open(next(dist.iterdir())) as tar:
        tar.extractall(home / "src", filter="data")
    shutil.move(str(next((home / "src").iterdir())), repo)
    if not (venv / "bin/python").exists():
        _make_venv(venv, repo)
    exclude = json.dumps(BUILT_ARTIFACTS.get(name, []))
    (repo / ".gates.toml").write_text(
        f'python = "{venv / "bin/python"}"\nexclude = {exclude}\n'
        "[coverage]\nmin_total = 0\nmin_diff = 0\n"
        f'[mypy]\npaths = ["{package}/"]\n'
        "[audit]\nenabled = false\n"  # the peers run no dependency audit (it needs the network)
    )
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "b@example.com"],
        ["config", "user.name", "bench"],
        ["add", "-A"],
        ["commit", "-qm", "base"],
    ):
        _git(repo, *args)
    base = _git(repo, "rev-parse", "HEAD")
    rng = random.Random(7)  # noqa: S311 - a reproducible sample, not a secret
    sources = sorted(p for p in (repo / package).rglob("*.py"))
    for path in rng.sample(sources, min(TOUCHED_FILES, len(sources))):
        with path.open("a", encoding="utf-8") as handle:
            handle.write("\n\ndef _bench_added(value: int) -> int:\n    return value + 1\n")
    _git(repo, "commit", "-qam", "pr: touch a sample of files")
    return repo, venv / "bin/python", base


def _download(spec: str, dist: Path) -> None:
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    subprocess.run([*pip, spec, "-d", str(dist)], check=True)


def _make_venv(venv: Path, repo: Path) -> None:
    """The project, its test requirements and the tools, pinned by constraints.txt."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin/python"), "-m", "pip", "install", "-q"]
    tools = ["ruff", "mypy", "bandit", "semgrep", "coverage", "pytest", "pip-audit"]
    subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), *tools], check=True)
    subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), "-e", str(repo)], check=True)
    tests_requirements = repo / "requirements" / "tests.txt"
    if tests_requirements.exists():  # what the project's own test suite needs to run
        subprocess.run([*pip, "-r", str(tests_requirements)], check=True)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def tool_commands(name: str, python: Path, scratch: Path, repo: Path) -> dict[str, list[list[str]]]:
    """The tools gates runs, as the seed workflow would run them by hand: each a list of steps.

    The same work as `gates run --new all`: the file-level tools on every tracked Python file,
    mypy on the package, every test (no `-x`), and coverage's JSON report, without which
    coverage has measured nothing anyone can read.
    """
    files = _git(repo, "ls-files", "*.py", "*.pyw").split("\n")
    _, package, has_tests = PROJECTS[name]
    rules = str(ROOT / "gates" / "rules")
    py = str(python)
    commands = {
        "ruff": [
            [py, "-m", "ruff", "check", "--no-cache", "--no-fix", "--output-format=json", *files]
        ],
        "mypy": [[py, "-m", "mypy", "--no-incremental", "-O", "json", package]],
        "bandit": [[py, "-m", "bandit", "-q", "-f", "json", *files]],
        "semgrep": [
            [
                str(python.parent / "semgrep"),
                "scan",
                "--metrics=off",
                "--json",
                "--disable-version-check",
                "--config",
                rules,
                *files,
            ]
        ],
    }
    if has_tests:
        data = f"--data-file={scratch / '.coverage'}"
        commands["pytest+coverage"] = [
            [py, "-m", "coverage", "run", data, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            [py, "-m", "coverage", "json", data, "-o", str(scratch / "coverage.json")],
        ]
    return commands


def gates_argv(repo: Path, base: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "gates", "run", str(repo), "--base", base, *extra]


def cold_env(work: Path) -> dict[str, str]:
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    return {**os.environ, "GATES_CACHE_DIR": str(cache)}


def clean_tool_caches(repo: Path) -> None:
    for name in (".mypy_cache", ".ruff_cache", ".pytest_cache", ".coverage", "reports"):
        target = repo / name
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        elif target.exists():
            target.unlink()


def run_steps(commands: list[list[str]], cwd: Path) -> Timing:
    """A tool's steps one after another, as one timing."""
    timings = [sh(argv, cwd) for argv in commands]
    return Timing(sum(t.wall for t in timings), sum(t.cpu for t in timings), timings[0].code)


def parallel(commands: dict[str, list[list[str]]], cwd: Path) -> Timing:
    """Every tool launched at once (its own steps in order), as `&` and `wait` would; its CPU
    is what the tools cost while they share the machine."""
    return timed_threads(
        [
            threading.Thread(target=run_steps, args=(tool_steps, cwd))
            for tool_steps in commands.values()
        ]
    )


def packed(commands: dict[str, list[list[str]]], cwd: Path, order: Sequence[str]) -> Timing:
    """The tools `cores` at a time in `order`, each starting as soon as a slot frees: the
    schedule gates aims at, without gates. Its CPU is what sharing the machine costs."""
    waiting = list(order)
    lock = threading.Lock()

    def slot() -> None:
        while True:
            with lock:
                if not waiting:
                    return
                tool = waiting.pop(0)
            run_steps(commands[tool], cwd)

    return timed_threads([threading.Thread(target=slot) for _ in range(os.cpu_count() or 1)])


def timed_threads(threads: Sequence[threading.Thread]) -> Timing:
    """Start the threads, wait for all: wall time and the CPU of the processes they ran."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return Timing(wall, cpu_since(before), 0)


def one_job_each(commands: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    """The commands with semgrep on one job: with a core per tool, more jobs only wait."""
    return {
        tool: [[*argv[:2], "--jobs", "1", *argv[2:]] if tool == "semgrep" else argv for argv in run]
        for tool, run in commands.items()
    }


def longest_first(samples: Samples, tools: Sequence[str]) -> list[str]:
    """The tools by their median wall time alone so far, longest first."""
    return sorted(tools, key=lambda tool: -samples.median(f"{tool} wall"))


def one_round(name: str, repo: Path, python: Path, base: str, work: Path, samples: Samples) -> None:
    commands = tool_commands(name, python, work, repo)
    stages = (
        "safety,security,quality,size" if PROJECTS[name][2] else "safety,security,size,ruff,mypy"
    )
    file_level = "safety,security,ruff"

    def run_gates() -> None:
        clean_tool_caches(repo)
        env = cold_env(work)
        every = ("--new", "all", "--stages", stages)
        samples.add("gates cold", gates(gates_argv(repo, base, "--stages", stages), repo, env))
        samples.add("gates warm", gates(gates_argv(repo, base, "--stages", stages), repo, env))
        clean_tool_caches(repo)
        samples.add("gates cold all", gates(gates_argv(repo, base, *every), repo, cold_env(work)))
        samples.schedule = schedule(repo / "reports" / "gates.json")

    def run_serial() -> None:
        clean_tool_caches(repo)
        total = 0.0
        for tool, tool_steps in commands.items():
            timing = run_steps(tool_steps, repo)
            samples.add(f"{tool} wall", timing.wall)
            samples.add(f"{tool} cpu", timing.cpu)
            total += timing.wall
        samples.add("serial", total)

    def run_parallel() -> None:
        clean_tool_caches(repo)
        timing = parallel(commands, repo)
        samples.add("parallel", timing.wall)
        samples.add("parallel cpu", timing.cpu)

    def run_packed() -> None:
        clean_tool_caches(repo)
        timing = packed(one_job_each(commands), repo, longest_first(samples, list(commands)))
        samples.add("packed", timing.wall)
        samples.add("packed cpu", timing.cpu)

    def run_diff_scope() -> None:
        env = {**cold_env(work), "GATES_NO_CACHE": "1"}
        samples.add(
            "file-level diff", gates(gates_argv(repo, base, "--stages", file_level), repo, env)
        )
        samples.add(
            "file-level all",
            gates(gates_argv(repo, base, "--new", "all", "--stages", file_level), repo, env),
        )
        samples.add(
            "own work",
            gates(gates_argv(repo, base, "--stages", "safety,size"), repo, env),
        )
        own_all = gates_timed(
            gates_argv(repo, base, "--new", "all", "--stages", "safety,size"), repo, env
        )
        samples.add("own all cpu", own_all.cpu)

    steps: list[Callable[[], None]] = [run_gates, run_parallel, run_packed, run_diff_scope]
    random.shuffle(steps)  # alternate the order, so drift does not favour one side
    # serial anywhere, but before packed in the first round: packed orders the tools by it
    latest = len(steps) if samples.values else steps.index(run_packed)
    steps.insert(random.randint(0, latest), run_serial)  # noqa: S311 - an order, not a secret
    for step in steps:
        step()


def schedule(report: Path) -> list[str]:
    """When each gate started and ended, from gates.json: where the run's time went."""
    gates = json.loads(report.read_text(encoding="utf-8"))["gates"]
    rows = []
    for gate in sorted(gates, key=lambda g: g.get("started_s") or 0.0):
        start = gate.get("started_s") or 0.0
        end = start + gate["duration_s"]
        rows.append(f"  {gate['name']:<18} {start:6.2f} -> {end:6.2f} s  {gate['status']}")
    return rows


def help_time(samples: Samples) -> None:
    for _ in range(10):
        samples.add("help", sh([sys.executable, "-m", "gates", "--help"], ROOT).wall)
        samples.add("python", sh([sys.executable, "-c", "pass"], ROOT).wall)


def report(name: str, samples: Samples, tools: Sequence[str]) -> None:
    cores = os.cpu_count() or 1
    print(f"\n== {name} (medians of {len(samples.values['gates cold'])} rounds, {cores} cores)")
    print(f"{'tool':<18} {'wall s':>8} {'cpu s':>8}")
    for tool in tools:
        wall, cpu = samples.median(tool + " wall"), samples.median(tool + " cpu")
        print(f"{tool:<18} {wall:>8.2f} {cpu:>8.2f}")
    slowest = max(samples.median(t + " wall") for t in tools)
    cpu = sum(samples.median(t + " cpu") for t in tools)
    bound = max(slowest, cpu / cores)
    cold, warm = samples.median("gates cold"), samples.median("gates warm")
    print(
        f"serial {samples.median('serial'):.2f} s, parallel {samples.median('parallel'):.2f} s, "
        f"gates cold {cold:.2f} s, warm {warm:.2f} s; bound {bound:.2f} s "
        f"(slowest {slowest:.2f} s, cpu/cores {cpu / cores:.2f} s)"
    )
    cold_all = samples.median("gates cold all")
    print(f"P1 gates cold / bound           {cold / bound:6.2f}  (goal <= 1.10; the PR's diff)")
    runs = ", ".join(f"{v:.2f}" for v in samples.values["gates cold all"])
    print(f"   gates cold, every file       {cold_all / bound:6.2f}  (--new all: {runs} s)")
    print(f"   serial / bound               {samples.median('serial') / bound:6.2f}")
    print(f"   parallel / bound             {samples.median('parallel') / bound:6.2f}")
    # The peers run no safety checks: with them, the least a machine could take is higher.
    own_cpu = samples.median("own all cpu")
    with_own = max(slowest, (cpu + own_cpu) / cores)
    print(
        f"   --new all / bound with gates' own checks {cold_all / with_own:6.2f}  "
        f"(their CPU on every file {own_cpu:.2f} s; bound {with_own:.2f} s)"
    )
    # Two processes on two cores each run slower than one alone (shared caches, memory
    # bandwidth): the CPU the tools need when they share the machine, as every parallel run does.
    shared_cpu = samples.median("parallel cpu")
    shared = max(slowest, (shared_cpu + own_cpu) / cores)
    print(
        f"   --new all / bound at the tools' shared CPU {cold_all / shared:6.2f}  (all at once "
        f"they take {shared_cpu:.2f} s of CPU, {shared_cpu / cpu - 1:+.0%}; bound {shared:.2f} s)"
    )
    packed_wall = samples.median("packed")
    print(
        f"   packed / bound               {packed_wall / bound:6.2f}  (the tools {cores} at a "
        f"time: {packed_wall:.2f} s, {samples.median('packed cpu'):.2f} s of CPU)"
    )
    print(
        f"   --new all / packed           {cold_all / packed_wall:6.2f}  (what gates adds to "
        "the same schedule: its own checks and process)"
    )
    p2 = samples.median("file-level diff") / samples.median("file-level all")
    print(f"P2 file-level diff / all files  {p2:6.2f}  (goal <= 0.15)")
    print("schedule of the last `--new all` run (gates' own clock, from gates.json):")
    print("\n".join(samples.schedule))
    print(f"P3 warm / cold                  {warm / cold:6.2f}  (goal <= 0.10)")
    print(
        f"   own work / gates cold        {samples.median('own work') / cold:6.2f}  (goal <= 0.10)"
    )


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", default="flask", choices=[*PROJECTS, "all"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "gates-bench")
    args = parser.parse_args(argv)
    names = list(PROJECTS) if args.project == "all" else [args.project]
    general = Samples()
    help_time(general)
    print(
        f"P4 gates --help {general.median('help'):.3f} s (python -c pass "
        f"{general.median('python'):.3f} s; goal < 0.15 s)"
    )
    for name in names:
        repo, python, base = prepare(name, args.work)
        samples = Samples()
        for _ in range(args.rounds):
            one_round(name, repo, python, base, args.work, samples)
        report(name, samples, list(tool_commands(name, python, args.work, repo)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
