"""`gates explain RULE`, run as a user types it: the rule's doc from gates/docs, exit 2 when
the rule is unknown, rendered on a terminal and plain in a pipe."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys

from gates.checks import dangerous
from gates.rule_docs import rule_doc

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def explain(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gates", "explain", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_prints_the_rules_section_of_the_docs_plain_in_a_pipe() -> None:
    done = explain("eval-nonliteral")
    assert done.returncode == 0, done.stderr
    doc = rule_doc("eval-nonliteral")
    assert doc is not None
    assert done.stdout.startswith("eval-nonliteral (rule of gate dangerous-code, safety stage)\n")
    assert doc.markdown.strip() in done.stdout  # the same text as docs, byte for byte
    assert done.stdout.rstrip().endswith(f"Docs: {doc.url}")
    assert not _ANSI.search(done.stdout)


def test_every_dangerous_code_rule_is_explained() -> None:
    for rule in list(dangerous.RULES)[:3]:
        done = explain(rule)
        assert done.returncode == 0 and done.stdout.startswith(f"{rule} ("), (rule, done.stderr)


def test_a_gate_name_prints_its_section_and_rules() -> None:
    done = explain("coverage")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("coverage (gate, quality stage)\n")
    assert "Rules: test-failed, test-error, no-tests" in done.stdout


def test_a_run_notice_says_it_is_one() -> None:
    done = explain("suppression-unused")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("suppression-unused (rule of gate gates, a notice of the run)\n")
    assert done.stdout.rstrip().endswith("/gates/docs/notices.md#suppression-unused")


def test_gate_slash_rule_picks_that_gates_rule() -> None:
    assert explain("coverage/test-failed").stdout.startswith("test-failed (rule of gate coverage")
    assert explain("benchmark/test-failed").returncode == 2


def test_unknown_rule_is_exit_2_naming_it_with_close_matches() -> None:
    done = explain("eval-nonliteal")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "unknown rule 'eval-nonliteal'; did you mean eval-nonliteral" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_rule_without_any_close_match_still_names_it() -> None:
    done = explain("E501")
    assert done.returncode == 2
    assert "unknown rule 'E501' (" in done.stderr
    assert "did you mean" not in done.stderr


def test_hostile_name_is_escaped_in_the_error() -> None:
    done = explain("x\x1b[31mred\u202e")
    assert done.returncode == 2
    assert "\x1b" not in done.stderr and "\u202e" not in done.stderr


def test_missing_rule_argument_is_a_usage_error() -> None:
    done = explain()
    assert done.returncode == 2
    assert "RULE" in done.stderr


def _run_in_terminal(*args: str, env: dict[str, str]) -> str:
    """The command's output on a pseudo-terminal, as a person running it sees it."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gates", "explain", *args],
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=30)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_on_a_terminal_the_markdown_is_rendered() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(TERM="xterm-256color", COLUMNS="100")
    shown = _run_in_terminal("eval-nonliteral", env=env)
    assert _ANSI.search(shown), shown  # styled
    plain = _ANSI.sub("", shown)
    assert "eval-nonliteral (rule of gate dangerous-code" in plain
    assert "`ast.literal_eval`" not in plain  # code spans rendered, not shown as backticks
    assert "ast.literal_eval" in plain


def test_no_color_on_a_terminal_prints_plain_text() -> None:
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm-256color"}
    shown = _run_in_terminal("eval-nonliteral", env=env)
    assert not _ANSI.search(shown)
    assert "`ast.literal_eval`" in shown
