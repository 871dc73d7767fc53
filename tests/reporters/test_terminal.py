"""The terminal: colour from NO_COLOR / FORCE_COLOR / a TTY, the final table and verdict,
blocking and cached marked, plurals, -q and -v, and progress that never contradicts the end."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from sample_pr import four_file_pr

from gates.model import Finding, GateResult, Severity, Stage, Status, Suppression
from gates.progress import Ended
from gates.reporters.terminal import (
    NORMAL,
    QUIET,
    VERBOSE,
    LiveProgress,
    PlainProgress,
    QuietProgress,
    View,
    choose_view,
    make_progress,
    render_report,
)

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("tty", "env", "color", "live"),
    [
        (True, {}, True, True),
        (False, {}, False, False),
        (True, {"NO_COLOR": "1"}, False, True),
        (False, {"FORCE_COLOR": "1"}, True, False),  # coloured CI logs, never a live table
        (True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, True),  # NO_COLOR wins
        (True, {"TERM": "dumb"}, False, False),
        (True, {"NO_COLOR": ""}, True, True),  # set but empty: not asked for
    ],
)
def test_colour_and_live_view_follow_the_environment(
    tty: bool, env: dict[str, str], color: bool, live: bool
) -> None:
    view = choose_view(Tty() if tty else io.StringIO(), env)
    assert (view.color, view.live) == (color, live)


def test_quiet_and_no_progress_show_no_progress() -> None:
    assert not choose_view(Tty(), {}, quiet=True).progress
    assert isinstance(make_progress(Tty(), choose_view(Tty(), {}, no_progress=True)), QuietProgress)
    assert choose_view(Tty(), {}, verbose=True).verbosity == VERBOSE


def test_plain_output_has_no_escape_sequences_and_colour_has_them() -> None:
    plain = render_report(four_file_pr(), View())
    coloured = render_report(four_file_pr(), View(color=True))
    assert "\x1b" not in plain
    assert "\x1b[31m" in coloured or "\x1b[1;31m" in coloured
    assert ANSI.sub("", coloured) == plain  # the same text, only coloured


def test_final_table_marks_cached_blocking_and_counts_with_plurals() -> None:
    text = render_report(four_file_pr(), View())
    ruff = next(line for line in text.splitlines() if line.startswith("  quality   ruff"))
    assert ruff.split() == ["quality", "ruff", "FAIL", "2", "2/2", "cached"]
    assert "== mypy: fail, 1 blocking finding, 1 new of 1" in text
    assert "== ruff: fail, 2 blocking findings, 2 new of 2" in text
    assert "  fix: ruff check --fix app/calc.py" in text
    assert re.search(r"15 +error +BLOCKING +mypy/return-value", text)
    assert re.search(
        r"10 +error +BLOCKING +gates/eval-nonliteral: .*\(also bandit, semgrep\)", text
    )
    assert re.search(r"9 +note +new +bandit/B101", text)
    assert text.rstrip().endswith("gates: FAIL — 7 blocking findings in 6 gates.")


def _with_old_and_suppressed() -> GateResult:
    old = Finding("ruff", "ruff", "E1", Severity.ERROR, "old.py", "old one", line=3, new=False)
    hushed = Finding(
        "ruff", "ruff", "E2", Severity.ERROR, "new.py", "hushed", line=4, new=True,
        suppressed=Suppression("inline", "fine here"),
    )  # fmt: skip
    fresh = Finding("ruff", "ruff", "E3", Severity.ERROR, "new.py", "fresh", line=5, new=True)
    return GateResult("ruff", Stage.QUALITY, Status.FAIL, (old, hushed, fresh))


def test_default_lists_new_findings_and_verbose_every_finding() -> None:
    report = dataclasses.replace(four_file_pr(), gates=(_with_old_and_suppressed(),))
    normal = render_report(report, View(verbosity=NORMAL))
    assert "fresh" in normal and "old one" not in normal and "hushed" not in normal
    assert "2 findings not introduced by this PR or suppressed (-v shows them)" in normal
    verbose = render_report(report, View(verbosity=VERBOSE))
    assert "old one" in verbose and re.search(r"E2: hushed", verbose)
    assert re.search(r"5 +error +BLOCKING", verbose) and re.search(r"3 +error +old ", verbose)
    assert re.search(r"4 +error +suppressed", verbose) and "-v shows" not in verbose


def test_quiet_is_the_blocking_findings_and_the_verdict() -> None:
    text = render_report(four_file_pr(), View(verbosity=QUIET))
    lines = [line for line in text.splitlines() if line.strip()]
    findings = [line for line in lines if line.startswith("    ")]
    assert len(findings) == 7 and all("BLOCKING" in line for line in findings)
    assert "stage" not in text and "B101" not in text and "python 3.11.7" not in text
    assert lines[-1] == "gates: FAIL — 7 blocking findings in 6 gates."


def test_verdict_sentences() -> None:
    report = four_file_pr()
    passing = dataclasses.replace(report, verdict=report.verdict.PASS, gates=report.gates[1:3])
    assert render_report(passing, View()).rstrip().endswith("gates: PASS")
    crashed = GateResult("mypy", Stage.QUALITY, Status.ERROR, detail="mypy: crashed")
    error = dataclasses.replace(report, verdict=report.verdict.ERROR, gates=(crashed,))
    text = render_report(error, View())
    assert "mypy: crashed" in text
    assert text.rstrip().endswith(
        "gates: ERROR — mypy could not run to completion (failing closed)."
    )


def test_untrusted_text_cannot_reach_the_terminal_as_control_or_markup() -> None:
    evil = Finding(
        "ruff", "ruff", "E1", Severity.ERROR, "a\x1b[2Jb.py", "[bold red]x[/] \x1b]0;t\x07 \u202e",
        line=1, new=True,
    )  # fmt: skip
    gate = GateResult("ruff", Stage.QUALITY, Status.FAIL, (evil,))
    report = dataclasses.replace(four_file_pr(), gates=(gate,))
    coloured = render_report(report, View(color=True))
    assert "\x1b[2J" not in coloured and "\x1b]0" not in coloured and "\u202e" not in coloured
    assert "[bold red]x[/]" in coloured  # shown as written, not read as rich markup
    lines = render_report(report, View(github_actions=True)).splitlines()
    assert lines.count("::endgroup::") == 1


def test_progress_never_says_what_the_end_can_contradict() -> None:
    """bandit's raw outcome FAILs alone, then its findings merge into semgrep's and it passes:
    progress is told only that it ended (gates.progress.Ended has no findings or verdict)."""
    stream = io.StringIO()
    PlainProgress(stream).finished(Ended("bandit", None, 0.0))
    assert stream.getvalue() == "  done    bandit (0.0s)\n"
    cached = Ended("bandit", None, 0.0, cached=True)
    errored = Ended("bandit", Status.ERROR, 2.0)
    stream = io.StringIO()
    for ended in (cached, errored):
        PlainProgress(stream).finished(ended)
    assert stream.getvalue() == "  done    bandit (cached)\n  error   bandit (2.0s)\n"


def test_the_live_table_clears_itself_and_shows_no_counts() -> None:
    stream = Tty()
    live = LiveProgress(stream, color=False)
    live.planned([("bandit", Stage.SECURITY), ("ruff", Stage.QUALITY)])
    live.started("bandit")
    live.finished(Ended("bandit", None, 1.5))
    table = _render(live)
    assert "done" in table and "queued" in table and "1.5s" in table
    assert "new" not in table and "fail" not in table.lower()
    live.close()
    tail = stream.getvalue()[-200:]
    assert "\x1b[2K" in tail  # transient: the table's lines are erased when it stops


def _render(live: LiveProgress) -> str:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=120, no_color=True).print(live._table())
    return out.getvalue()


def test_a_skipped_gate_says_why_only_when_asked() -> None:
    assert "no GitHub Actions workflow" not in render_report(four_file_pr(), View())
    verbose = render_report(four_file_pr(), View(verbosity=VERBOSE))
    assert "== workflow-security: skipped\n  no GitHub Actions workflow" in verbose


def test_notices_are_listed_after_the_gates() -> None:
    notice = Finding(
        "gates", "gates", "suppression-without-reason", Severity.NOTE, "app/calc.py",
        "this suppression gives no reason", line=3, new=True,
    )  # fmt: skip
    text = render_report(dataclasses.replace(four_file_pr(), notices=(notice,)), View())
    section = text.split("== notices: 1 notice\n")[1]
    assert re.match(r"  app/calc.py\n +3  note +new +gates/suppression-without-reason", section)
    assert "== notices" not in render_report(four_file_pr(), View())
