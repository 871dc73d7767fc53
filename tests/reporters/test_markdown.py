"""The PR comment: a screen for the 4-file PR of issue 23, rule links, fix hints, the rest
collapsed, the links to the run, the command that reproduces it, and no way for a tool's
message to inject Markdown, HTML or a mention (checked on the HTML markdown-it renders)."""

from __future__ import annotations

import dataclasses
import re

from markdown_it import MarkdownIt
from sample_pr import BASE, HEAD, four_file_pr

from gates.model import Finding, GateResult, Severity, Stage, Status
from gates.reporters.markdown import FINDING_PREFIX, RunLinks, render_markdown
from gates.text import markdown_with_code

LINKS = RunLinks("https://github.com/o/r/actions/runs/7", "https://github.com/o/r/runs/9")


def _visible_lines(md: str) -> list[str]:
    """The lines a reader sees before expanding anything: each <details> counts as its summary."""
    folded = re.sub(r"<details>\s*<summary>(.*?)</summary>.*?</details>", r"\1", md, flags=re.S)
    return [line for line in folded.splitlines() if line.strip()]


def _html(md: str) -> str:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)


def test_the_four_file_pr_fits_on_a_screen_verdict_first() -> None:
    md = render_markdown(four_file_pr(), links=LINKS)
    lines = _visible_lines(md)
    assert len(lines) <= 40, len(lines)
    assert lines[0] == "## ❌ **gates failed**: 7 blocking findings"
    failing = [line for line in lines if line.startswith("- ❌ ")]
    assert [line.split("**")[1] for line in failing] == [
        "dangerous\\-code",
        "secrets",
        "ruff",
        "mypy",
        "coverage",
        "size",
    ]
    passed = [line for line in lines if line.startswith("- ✅ ")]
    assert passed == [
        "- ✅ 5 gates passed: prompt\\-injection, hidden\\-unicode, pii, bandit, semgrep"
        " · ⏭️ 2 skipped: workflow\\-security, audit"
    ]


def test_blocking_findings_link_their_rule_docs_and_say_how_to_fix() -> None:
    md = render_markdown(four_file_pr(), links=LINKS)
    blocking = md.split("### Blocking findings")[1].split("<details>")[0]
    assert blocking.count(FINDING_PREFIX) == 7
    assert "[`eval-nonliteral`](https://" in blocking and "#eval-nonliteral)" in blocking
    assert "[`return-value`](https://mypy.readthedocs.io/" in blocking
    assert "— gates, semgrep, bandit" in blocking  # the merged finding names every tool
    assert "fix: `ruff check --fix app/calc.py`" in md
    assert "`# gates: ignore[F401] why it is fine`" in blocking
    assert "uncovered-lines" not in blocking and "B101" not in blocking


def test_the_rest_is_collapsed_and_the_footer_links_the_run_and_reproduces_it() -> None:
    md = render_markdown(four_file_pr(), links=LINKS)
    summaries = re.findall(r"<summary>(.*?)</summary>", md)
    assert summaries == ["2 other new findings", "Why gates errored or were skipped", "Every gate"]
    assert "[workflow run](https://github.com/o/r/actions/runs/7)" in md
    assert "[check run](https://github.com/o/r/runs/9)" in md
    command = md.split("```sh\n")[1].split("\n")[0]  # its --stages: tests/reporters/test_hints.py
    assert command.startswith(f"python -m gates run --base {BASE} --head {HEAD}")
    assert "| quality | ruff | ❌ fail | 2 / 2 | cached |" in md  # cached, not 0.0s


def test_no_links_when_the_run_is_unknown() -> None:
    md = render_markdown(four_file_pr())
    assert "workflow run" not in md and "check run" not in md
    assert "**Reproduce locally**" in md


def test_tool_messages_keep_their_code_spans() -> None:
    assert markdown_with_code("`os` imported but unused") == "`os` imported but unused"
    html = _html(render_markdown(four_file_pr()))
    assert "<code>os</code> imported but unused" in html
    assert "`os`" not in html


def test_untrusted_text_in_and_around_code_spans_cannot_inject() -> None:
    evil = (
        "`</details><img src=x onerror=alert(1)>` then <img src=y> @team #12 "
        "`@owner` ``a`b`` [x](javascript:alert(1)) ` unclosed \u202e"
    )
    finding = Finding("ruff", "ruff", "E1", Severity.ERROR, "a.py", evil, line=1, new=True)
    gate = GateResult("ruff", Stage.QUALITY, Status.FAIL, (finding,))
    report = dataclasses.replace(four_file_pr(), gates=(gate,))
    md = render_markdown(report)
    html = _html(md)
    assert "<img" not in html and '<a href="javascript' not in html
    outside_code = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    assert "@team" not in outside_code and "#12" not in outside_code
    assert "\u202e" not in md and "U+202E" in outside_code
    assert html.count("<details>") == html.count("</details>")


def test_a_rule_link_is_only_ever_http_and_cannot_break_out() -> None:
    bad = Finding(
        "custom", "tool", "R1", Severity.ERROR, "a.py", "m", line=1, new=True,
        help_uri="javascript:alert(1)",
    )  # fmt: skip
    odd = dataclasses.replace(bad, rule="R2", help_uri="https://x.test/a) [y](https://evil")
    gate = GateResult("custom", Stage.QUALITY, Status.FAIL, (bad, odd))
    html = _html(render_markdown(dataclasses.replace(four_file_pr(), gates=(gate,))))
    assert "javascript:" not in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert "https://x.test/a%29%20%5By%5D%28https://evil" in hrefs


def test_a_cut_report_stays_under_the_limit_says_how_many_more_and_keeps_the_footer() -> None:
    many = tuple(
        Finding("ruff", "ruff", "E501", Severity.ERROR, f"m{i}.py", "x" * 150, line=i, new=True)
        for i in range(1, 2001)
    )
    gate = GateResult("ruff", Stage.QUALITY, Status.FAIL, many)
    report = dataclasses.replace(four_file_pr(), gates=(gate,))
    md = render_markdown(report, limit=65_536, more_hint="The rest are in the check run.")
    assert len(md) <= 65_536
    shown = md.count(FINDING_PREFIX)
    assert 0 < shown < 2000
    assert f"… and {2000 - shown} more. The rest are in the check run." in md
    assert md.rstrip().endswith("</sub>") and "python -m gates run --base" in md
    assert "<details>" not in md  # the rest of the blocking list did not fit: nothing after it


def test_a_pr_that_suppresses_its_own_safety_finding_is_shown_not_collapsed() -> None:
    notice = Finding(
        "gates", "gates", "suppression-added-to-safety", Severity.WARNING, "app/calc.py",
        "this PR suppresses its own safety finding (eval-nonliteral): review why before merging",
        line=10, new=True,
    )  # fmt: skip
    report = dataclasses.replace(four_file_pr(), notices=(notice,), suppressions={"inline": 1})
    visible = "\n".join(_visible_lines(render_markdown(report)))
    assert "### Suppressions and notices" in visible
    assert "Suppressed findings: 1 inline" in visible
    assert "suppression-added-to-safety" in visible and "review why before merging" in visible
    assert "Suppressions and notices" not in render_markdown(four_file_pr())
