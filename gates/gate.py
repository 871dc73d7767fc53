"""The contract every gate fulfils, and the context it runs in.

A gate is a small object with a name, a stage, a scope and a `run(ctx)` method. It receives
everything it may use in a `GateContext` (no global state) and returns a `GateOutcome`.
It never decides `new`, suppression or the verdict: those are decided once, after filtering.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gates.cores import Shares
from gates.model import Finding, MetricValue, Stage, Status, Table
from gates.proc import ProcResult, run_process

if TYPE_CHECKING:
    from gates.diff import Diff


class Scope(str, enum.Enum):
    CHANGED = "changed"  # the files the PR added or modified
    PROJECT = "project"  # every tracked file: tools that need whole-program context


class GateError(Exception):
    """Raised by a gate when its tool failed as a whole; the gate becomes `error`."""

    def __init__(self, message: str, output_tail: str = "") -> None:
        super().__init__(message)
        self.output_tail = output_tail


@dataclass(frozen=True)
class Option:
    """A config key a gate accepts, with its type and default, so config errors name the key."""

    kind: type | tuple[type, ...]
    default: object
    item: type | tuple[type, ...] | None = None  # element type when kind is list
    choices: tuple[str, ...] = ()
    check: Callable[[object], str | None] | None = None  # returns an error message or None
    help: str = ""


CostModel = tuple[float, float]  # (seconds to start, seconds per MB of Python in scope)


@dataclass(frozen=True)
class GateTraits:
    """What a gate may declare beyond the protocol; every field has the common default.

    - `cost_model`: estimates a first run's duration from the Python it reads, so the longest
      tools start first on a repository gates has not timed yet (gates.schedule).
    - `runs_project_code`: executes the project's code (its tests, its mypy plugins), so it is
      refused where the checkout keeps a git credential (gates.credentials) and its cache key
      holds the environment that code sees.
    - `default_new`: what counts as new when the run marks by lines and the config does not
      say ("compare": judged against the base's findings).
    - `compare_base = False`: measures the base itself (before -> after), so compare mode
      does not run it on the base again.
    - `cacheable = False`: its outcome depends on the world, not on the tree (advisories, timings).
    - `opt_in`: enabled only when its config table is present (it costs minutes).
    - `rules`: the rule ids the gate makes up itself (its detectors' ids, a tool gate's own
      verdicts such as ruff's `format`), each documented in `gates/docs/<stage>.md` so every
      report can link it (tests/test_rule_docs.py enumerates them). A tool's own ids (ruff's
      `E501`) are not listed: they link to the tool's pages.
    """

    cost_model: CostModel | None = None
    runs_project_code: bool = False
    default_new: str = "lines"
    compare_base: bool = True
    cacheable: bool = True
    opt_in: bool = False
    rules: frozenset[str] = frozenset()


DEFAULT_TRAITS = GateTraits()
_TRAIT_NAMES = tuple(f.name for f in fields(GateTraits))


def traits_of(gate: object) -> GateTraits:
    """A gate's declared traits (`traits = GateTraits(...)` on its class).

    Transition: a trait set the older way, as a plain attribute of its own name
    (`cacheable = False`), still counts and wins over `traits`, so gates written before
    `GateTraits` keep their behaviour until they are converted."""
    declared = getattr(gate, "traits", None)
    base = declared if isinstance(declared, GateTraits) else DEFAULT_TRAITS
    legacy = {name: getattr(gate, name) for name in _TRAIT_NAMES if hasattr(gate, name)}
    return replace(base, **legacy) if legacy else base


@dataclass(frozen=True)
class GateOutcome:
    findings: Sequence[Finding] = ()
    metrics: Mapping[str, MetricValue] = field(default_factory=dict)
    status: Status | None = None  # None: decided from the findings; SKIPPED/ERROR explicit
    detail: str = ""
    tool_version: str = ""
    tables: Sequence[Table] = ()

    @classmethod
    def skipped(cls, reason: str, **metrics: MetricValue) -> GateOutcome:
        return cls(status=Status.SKIPPED, detail=reason, metrics=metrics)


@dataclass(frozen=True)
class GateContext:
    name: str
    root: Path
    diff: Diff
    files: tuple[str, ...]  # repo-relative POSIX paths in this gate's scope, after path filters
    options: Mapping[str, object]
    python: str
    scratch: Path  # private directory for tool outputs, never inside the report directory
    timeout_s: float
    env: Mapping[str, str]
    new_mode: str = "lines"  # the configured `new`: "lines" or "all"
    # Every path the PR added, changed, renamed or deleted, through this gate's path filters,
    # whether or not it exists in this checkout: on the base the same list as on the head.
    touched: tuple[str, ...] = ()
    cancelled: Callable[[], bool] = lambda: False
    # Worker processes, cores per tool and spare cores: what of the machine this gate may use.
    shares: Shares = field(default_factory=Shares)
    # The gates cache directory when caching is on, else None: a gate that keeps a figure of
    # its own between runs (the coverage gate's base total) stores it under here.
    cache_dir: Path | None = None
    # gates' own interpreter: the tools that never import the project (ruff, bandit, semgrep,
    # pip-audit) run here, while `python` is the project's (gates.environment).
    tool_python: str = sys.executable
    # Where gates keeps the tools' own caches (RUFF_CACHE_DIR, MYPY_CACHE_DIR): given to those
    # tools only, so the project's tests see the job's environment, not gates' settings.
    cache_env: Mapping[str, str] = field(default_factory=dict)

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        stdin: bytes | None = None,
        extra_env: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> ProcResult:
        """Run a tool with this gate's scrubbed environment and time budget."""
        env = dict(self.env)
        if extra_env:
            env.update(extra_env)
        return run_process(
            argv,
            cwd=cwd or self.root,
            env=env,
            timeout_s=timeout_s if timeout_s is not None else self.timeout_s,
            stdin=stdin,
            cancelled=self.cancelled,
        )

    def python_module(self, module: str, *args: str, **kwargs: object) -> ProcResult:
        """Run `python -m module` with the interpreter the project's dependencies live in."""
        return self.run([self.python, "-m", module, *args], **kwargs)  # type: ignore[arg-type]

    def tool_module(
        self,
        module: str,
        *args: str,
        extra_env: Mapping[str, str] | None = None,
        **kwargs: object,
    ) -> ProcResult:
        """Run `python -m module` with gates' own interpreter: a tool that never imports the
        project, so neither the project's dependencies nor its pins decide its version."""
        env = {**self.cache_env, **(extra_env or {})}
        argv = [self.tool_python, "-m", module, *args]
        return self.run(argv, extra_env=env, **kwargs)  # type: ignore[arg-type]


class Gate(Protocol):
    """What the runner needs of a gate. Implementations are small classes in tools/ and checks/.

    Optional behaviour is declared once, as a class attribute `traits = GateTraits(...)`, and
    read through `traits_of(gate)`. A finding whose identity is not the text of its line
    (mypy's are their message) says so in `extra["identity"]`
    (gates.model.Finding.fingerprint_key).
    """

    name: str
    stage: Stage
    tool: str  # the program it runs; "gates" for a check computed in this process
    scope: Scope
    description: str
    default_timeout_s: float
    default_fail_on: str
    options: Mapping[str, Option]

    def run(self, ctx: GateContext) -> GateOutcome: ...
