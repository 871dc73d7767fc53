"""Plan a run: which gates run, each on which files, and what the schedule needs measured.

The plan is the only step of a run that decides scope: a changed-files gate looks at the
PR's files, a project gate at every tracked file, both through the run's and the gate's path
filters, and never at a symlink or a submodule. Sizes are measured here, once, so the order
(gates.schedule) is a pure function.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gates.config import Config, GateConfig
from gates.gate import Gate, Scope, traits_of
from gates.model import STAGE_ORDER
from gates.paths import PYTHON_SUFFIXES, select
from gates.schedule import Candidate, needs_python_bytes
from gates.sources import file_status


@dataclass(frozen=True)
class Planned:
    gate: Gate
    config: GateConfig
    files: tuple[str, ...]
    touched: tuple[str, ...] = ()  # what the PR touched, through the same filters as `files`


@dataclass(frozen=True)
class RunPaths:
    """The paths a run chooses from, as repository-relative POSIX names."""

    project: tuple[str, ...]  # every tracked file of the revision
    changed: tuple[str, ...]  # what a changed-files gate looks at (the PR's files)
    # Every path the PR touched on either side (gates.diff.Diff.touched_paths); kept as is for
    # the base run, whose own diff is empty, so a gate checks the same packages on both sides.
    touched: tuple[str, ...] = ()


def plan(
    registry: Mapping[str, Gate],
    config: Config,
    root: Path,
    paths: RunPaths,
    only: Sequence[str] = (),
) -> list[Planned]:
    """The gates to run, in stage order, each with the files in its scope."""
    changed = _existing(root, paths.changed)
    everything = _existing(root, paths.project)
    planned: list[Planned] = []
    for stage in STAGE_ORDER:
        if stage not in config.stages:
            continue
        for name, gate in registry.items():
            gate_config = config.gate(name)
            if gate.stage is not stage or not gate_config.enabled or (only and name not in only):
                continue
            pool = changed if gate.scope is Scope.CHANGED and config.new != "all" else everything
            files = _filtered(pool, config, gate_config)
            touched = _filtered(paths.touched, config, gate_config)
            planned.append(Planned(gate, gate_config, files, touched))
    return planned


def _filtered(paths: Sequence[str], config: Config, gate: GateConfig) -> tuple[str, ...]:
    return select(select(paths, exclude=config.exclude), gate.paths, gate.exclude)


def _existing(root: Path, paths: Sequence[str]) -> tuple[str, ...]:
    """Regular files only: never a symlink (it could lead out of the repo) or a submodule.
    One `lstat` per file tells both (a link is not a regular file to it)."""
    out = []
    for rel in paths:
        try:
            mode = os.lstat(root / rel).st_mode
        except OSError:  # gone, or a name the file system refuses
            continue
        if stat.S_ISREG(mode):
            out.append(rel)
    return tuple(out)


def files_bytes(root: Path, paths: Iterable[str]) -> int:
    """The total size of the regular files among `paths` (links and missing files count 0)."""
    total = 0
    for rel in paths:
        found = file_status(root, rel)
        total += found[1].st_size if found is not None else 0
    return total


def python_bytes(planned: Planned, root: Path) -> int:
    return files_bytes(root, (rel for rel in planned.files if rel.endswith(PYTHON_SUFFIXES)))


def candidates(
    planned: Sequence[Planned], durations: Mapping[str, float], root: Path | None
) -> list[Candidate]:
    """What the schedule needs of each planned gate, measuring only what its answer depends
    on. Most gates share one file list: each list is sized once. Without a root nothing is
    measured (the order then goes by durations and budgets alone)."""
    python_sizes: dict[tuple[str, ...], int] = {}
    out = []
    for p in planned:
        traits = traits_of(p.gate)
        candidate = Candidate(
            name=p.gate.name,
            tool=p.gate.tool,
            budget_s=p.gate.default_timeout_s,
            cost_model=traits.cost_model,
        )
        if root is not None and needs_python_bytes(candidate, durations):
            if p.files not in python_sizes:
                python_sizes[p.files] = python_bytes(p, root)
            candidate = replace(candidate, python_bytes=python_sizes[p.files])
        out.append(candidate)
    return out
