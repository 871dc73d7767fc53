"""Does each scheduling heuristic still pay? `gates run --new all`, cold, with one heuristic
switched off at a time, against the same run with all of them on, in one process, alternating.

    .venv/bin/python bench/heuristics.py [--project flask|sqlalchemy|all] [--rounds N]
                                         [--only NAME,...]

The projects and their PR commits are bench/bench.py's. A heuristic is switched off by running
gates through this script (`--as-gates NAME -- ARGS`), which replaces the heuristic's function
or threshold with the plain choice before calling gates' own `main`: nothing in the package
knows about this bench. Each round runs every variant once, in a shuffled order, each cold
(no result cache, no tool caches, no remembered durations).

`--tree PATH` adds one more variant: gates imported from another checkout (PYTHONPATH), all
heuristics on: a change to the run itself, measured against the tree it changes.

Printed per variant: the median wall time, and the median over rounds of (variant / all-on of
the same round). A heuristic is worth keeping when switching it off costs at least 3 % on one
project (ratio >= 1.03); the spread (min-max of the per-round ratios) tells whether that is
more than noise.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench as peer  # bench/bench.py, beside this script


def _replace(owner: object, name: str, value: object) -> None:
    """Set `owner.name`, which must exist: a switch that misses its target measures nothing."""
    if not hasattr(owner, name):
        raise SystemExit(f"heuristics: {owner!r} has no {name}; update this switch")
    setattr(owner, name, value)


def _off_cost_model() -> None:
    """No first-run estimates: every gate not timed before is ordered by its budget."""
    from gates import schedule

    _replace(schedule, "estimated_seconds", lambda cost_model, python_bytes: None)


def _off_cores_each() -> None:
    """Every tool may use every core (semgrep --jobs = cpus), whatever runs beside it."""
    from gates import schedule

    _replace(schedule, "cores_each", lambda tools, jobs, cpus: cpus)


def _off_worker_pool() -> None:
    """gates' own checks always read their files in this process, never in worker processes."""
    from gates.checks import base

    _replace(base, "POOL_MIN_BYTES", 10**15)


OFF: dict[str, Callable[[], None]] = {
    "cost-model": _off_cost_model,
    "cores-each": _off_cores_each,
    "worker-pool": _off_worker_pool,
}
ALL_ON = "all on"
TREE = "other tree"  # `--tree PATH`: the same run with gates imported from another checkout


def as_gates(variant: str, argv: Sequence[str]) -> int:
    """The child: gates' own `main` with one heuristic switched off."""
    if variant in OFF:
        OFF[variant]()
    from gates.cli import main

    return main(list(argv))


def _argv(variant: str, repo: Path, base: str, stages: str) -> list[str]:
    gates_args = ["run", str(repo), "--base", base, "--new", "all", "--stages", stages, "-q"]
    return [sys.executable, __file__, "--as-gates", variant, "--", *gates_args]


@contextlib.contextmanager
def _cold(repo: Path, work: Path) -> Iterator[dict[str, str]]:
    peer.clean_tool_caches(repo)
    yield peer.cold_env(work)


def measure(
    name: str, variants: Sequence[str], rounds: int, work: Path, tree: Path | None = None
) -> None:
    repo, _, base = peer.prepare(name, work)
    with_tests = peer.PROJECTS[name][2]
    stages = "safety,security,quality,size" if with_tests else "safety,security,size,ruff,mypy"
    walls: dict[str, list[float]] = {v: [] for v in (ALL_ON, *variants)}
    with _cold(repo, work) as env:  # the first run after a new checkout is slower: not a figure
        peer.gates(_argv(ALL_ON, repo, base, stages), repo, env)
    for number in range(rounds):
        order = list(walls)
        random.shuffle(order)
        for variant in order:
            with _cold(repo, work) as env:
                if variant == TREE and tree is not None:
                    env = {**env, "PYTHONPATH": str(tree)}  # before the installed gates
                walls[variant].append(peer.gates(_argv(variant, repo, base, stages), repo, env))
        print(f"  {name} round {number + 1}/{rounds} done", file=sys.stderr, flush=True)
    _print(name, walls, rounds)


def _print(name: str, walls: dict[str, list[float]], rounds: int) -> None:
    on = walls[ALL_ON]
    print(
        f"\n{name}: --new all, cold, {rounds} rounds; all on: median {statistics.median(on):.2f} s"
    )
    print(f"{'switched off':<16} {'median s':>9} {'off/on':>7} {'spread':>13}  verdict")
    for variant, values in walls.items():
        if variant == ALL_ON:
            continue
        ratios = [off / base for off, base in zip(values, on, strict=True)]
        ratio = statistics.median(ratios)
        verdict = "keep (>= 3 %)" if ratio >= 1.03 else "does not pay here"
        if variant == TREE:
            verdict = "(the other tree / this one)"
        spread = f"{min(ratios):.3f}-{max(ratios):.3f}"
        print(
            f"{variant:<16} {statistics.median(values):>9.2f} {ratio:>7.3f} {spread:>13}  {verdict}"
        )


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["--as-gates"]:
        return as_gates(argv[1], argv[3:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", default="flask", choices=[*peer.PROJECTS, "all"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated heuristics (default: all)")
    parser.add_argument("--tree", type=Path, help="also run gates from this checkout")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "gates-bench")
    args = parser.parse_args(argv)
    variants = [v for v in args.only.split(",") if v] or list(OFF)
    variants = [v for v in variants if v != "none"]  # `--only none --tree X`: trees alone
    unknown = sorted(set(variants) - set(OFF) - {"none"})
    if unknown:
        parser.error(f"unknown heuristic {', '.join(unknown)}; known: {', '.join(OFF)}")
    names = list(peer.PROJECTS) if args.project == "all" else [args.project]
    for name in names:
        extra = [TREE] if args.tree else []
        measure(name, [*variants, *extra], args.rounds, args.work, args.tree)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
