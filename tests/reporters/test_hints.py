"""Fix hints and the command that reproduces a run: pasteable as they are, same gates."""

from __future__ import annotations

import dataclasses
import shlex

from sample_pr import BASE, HEAD, four_file_pr

from gates.model import Finding, GateResult, Report, Severity, Stage, Status
from gates.reporters.hints import KnownGates, fix_hints, reproduce_command

KNOWN = KnownGates(
    {
        "secrets": "safety",
        "pii": "safety",
        "ruff": "quality",
        "mypy": "quality",
        "bench": "quality",
    },
    opt_in=frozenset({"bench"}),
)


def _ruff(*findings: Finding) -> GateResult:
    return GateResult("ruff", Stage.QUALITY, Status.FAIL, findings, fail_on="warning")


def _lint(path: str, rule: str = "F401", fixable: bool = True) -> Finding:
    extra = {"fixable": "yes"} if fixable else {}
    return Finding("ruff", "ruff", rule, Severity.WARNING, path, "m", line=1, new=True, extra=extra)


def _with(*names: str, base: str | None = BASE) -> Report:
    report = four_file_pr()
    gates = tuple(GateResult(n, Stage.QUALITY, Status.PASS) for n in names)
    return dataclasses.replace(
        report, gates=gates, diff=dataclasses.replace(report.diff, base=base)
    )


def test_ruff_fixes_name_the_files_quoted_for_a_shell() -> None:
    gate = _ruff(_lint("a.py"), _lint("my file;rm -rf ~.py"), _lint("b.py", fixable=False))
    assert fix_hints(gate) == ["ruff check --fix a.py 'my file;rm -rf ~.py'"]
    assert shlex.split(fix_hints(gate)[0])[-1] == "my file;rm -rf ~.py"


def test_format_hint_and_no_file_list_when_there_are_many() -> None:
    many = [_lint(f"m{i}.py") for i in range(5)]
    gate = _ruff(*many, _lint("c.py", rule="format", fixable=False))
    assert fix_hints(gate) == ["ruff check --fix", "ruff format c.py"]


def test_no_hint_for_findings_that_do_not_block() -> None:
    old = dataclasses.replace(_lint("a.py"), new=False)
    assert fix_hints(_ruff(old)) == []


def test_every_stage_whole_needs_no_stages_option() -> None:
    command = reproduce_command(_with("secrets", "pii", "ruff", "mypy"), KNOWN)
    assert command == f"python -m gates run --base {BASE} --head {HEAD}"


def test_a_partial_stage_is_named_gate_by_gate() -> None:
    command = reproduce_command(_with("secrets", "pii", "ruff"), KNOWN)
    assert command.endswith("--stages safety,ruff")
    assert reproduce_command(_with("ruff", "bench"), KNOWN).endswith("--stages bench,ruff")


def test_no_base_or_an_unsafe_one_is_left_out_and_modes_are_kept() -> None:
    report = _with("secrets", "pii", "ruff", "mypy", base="main; curl evil")
    assert "--base" not in reproduce_command(report, KNOWN)
    compare = dataclasses.replace(_with("secrets", "pii", "ruff", "mypy"), new_mode="compare")
    assert reproduce_command(compare, KNOWN).endswith("--new compare")


def test_the_default_is_the_registry() -> None:
    from gates.gate import traits_of
    from gates.registry import REGISTRY

    names = [n for n, g in REGISTRY.items() if not traits_of(g).opt_in]
    assert reproduce_command(_with(*names)) == f"python -m gates run --base {BASE} --head {HEAD}"
    assert reproduce_command(_with(*names[1:])).endswith(f"--stages {_rest(names[0])}")


def _rest(dropped: str) -> str:
    """The --stages list without one gate: its stage's other gates by name, the other stages."""
    from gates.gate import traits_of
    from gates.model import STAGE_ORDER
    from gates.registry import REGISTRY

    stage = REGISTRY[dropped].stage
    same = [n for n, g in REGISTRY.items() if g.stage is stage and not traits_of(g).opt_in]
    others = [s.value for s in STAGE_ORDER if s is not stage]
    return ",".join([*sorted(set(same) - {dropped}), *others])
