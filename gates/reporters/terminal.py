"""What a person sees in the terminal: progress while gates run, then the report.

On a terminal, progress is one live rich table that clears when the run ends; elsewhere (CI
logs, a pipe) it is one plain line per event. Progress says only what is final when it is
said (gates.progress.Ended): a gate is queued, running, done, errored or skipped, and how long
it took. Its counts and pass/fail are shown once, in the final table: they are decided after
every gate has finished (several tools' findings on one problem merge, compare mode re-marks
what is new), and a live `fail` the report then calls a pass would be a contradiction.

Colour follows NO_COLOR (wins) and FORCE_COLOR, else whether stdout is a terminal; without
colour the output is plain text with no escape sequences. Under GitHub Actions each gate's
details are a `::group::` block. Untrusted text is made safe by `_safe` and always placed as
rich `Text`, never parsed as markup. rich is imported only when it is used.
"""

from __future__ import annotations

import io
import secrets
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from gates.model import DUPLICATES_MERGED, Finding, GateResult, Report, Stage, Status, Verdict
from gates.progress import Ended, NoProgress
from gates.reporters.headline import headline_metrics
from gates.reporters.hints import fix_hints
from gates.text import escape_workflow_data, one_line, reveal_invisible

if TYPE_CHECKING:
    from rich.text import Text

_STATUS_WORD = {
    Status.PASS: "PASS",
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "SKIP",
}
_STATUS_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
    Status.SKIPPED: "dim",
}
_VERDICT_STYLE = {
    Verdict.PASS: "bold green",
    Verdict.FAIL: "bold red",
    Verdict.ERROR: "bold magenta",
}
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "note": "cyan"}
DEFAULT_LIMIT = 200  # findings listed per gate without -v; gates.json has them all

QUIET, NORMAL, VERBOSE = -1, 0, 1


@dataclass(frozen=True)
class View:
    """How the run is shown: colour, live or plain progress, and how much of the report."""

    color: bool = False
    live: bool = False  # a live table that clears (a terminal only); else plain lines
    progress: bool = True
    verbosity: int = NORMAL  # QUIET: verdict and blocking findings; VERBOSE: every finding
    github_actions: bool = False


def choose_view(
    stream: TextIO,
    env: Mapping[str, str],
    quiet: bool = False,
    verbose: bool = False,
    no_progress: bool = False,
) -> View:
    """The view for this stream and environment: NO_COLOR wins over FORCE_COLOR, which wins over
    whether the stream is a terminal; only a real terminal gets the live table."""
    tty = _isatty(stream)
    if env.get("NO_COLOR"):
        color = False
    elif env.get("FORCE_COLOR"):
        color = True
    else:
        color = tty and env.get("TERM") != "dumb"
    verbosity = QUIET if quiet else VERBOSE if verbose else NORMAL
    progress = not no_progress and verbosity != QUIET
    return View(
        color=color,
        live=progress and tty and env.get("TERM") != "dumb",
        progress=progress,
        verbosity=verbosity,
        github_actions=env.get("GITHUB_ACTIONS") == "true",
    )


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or file-less stream is no terminal
        return False


def _safe(text: str) -> str:
    """Terminal-safe: untrusted text stays on one visible line (a newline in a file name must
    not start a new log line), carries no escape sequences or invisible characters, and never
    reads as a workflow command."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    text = reveal_invisible(text).replace("\x1b", "<ESC>")
    return text.replace("::", ":\u200a:") if text.lstrip().startswith("::") else text


def plural(count: int, word: str) -> str:
    """`1 blocking finding`, `2 blocking findings`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _cached(result: GateResult) -> bool:
    return result.metrics.get("cache_hit") is True


def _time(cached: bool, duration_s: float) -> str:
    """`cached` for an outcome from the result cache (its time is not this run's), else seconds."""
    return "cached" if cached else f"{duration_s:.1f}s"


class QuietProgress(NoProgress):
    """No progress at all (`-q`, `--no-progress`)."""


class PlainProgress:
    """One line per event: readable in CI logs, no cursor movement, nothing a later line
    contradicts (no counts or pass/fail: see the module docstring)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def planned(self, gates: Sequence[tuple[str, Stage]]) -> None:
        names = ", ".join(f"{n} ({s.value})" for n, s in gates)
        self._say(f"gates: running {plural(len(gates), 'gate')}: {names}")

    def started(self, name: str) -> None:
        self._say(f"  … {name} started")

    def finished(self, ended: Ended) -> None:
        self._say(f"  {_state(ended)[0]:7} {ended.name} ({_time(ended.cached, ended.duration_s)})")

    def close(self) -> None:
        pass

    def _say(self, line: str) -> None:
        with self._lock:
            print(_safe(line), file=self.stream, flush=True)


def _state(ended: Ended) -> tuple[str, str]:
    """A finished gate's state word and style: only what the final report cannot change."""
    if ended.state is Status.ERROR:
        return "error", "bold magenta"
    if ended.state is Status.SKIPPED:
        return "skipped", "dim"
    return "done", "cyan"


class LiveProgress:
    """A rich live table of gates with state and elapsed time, refreshed in place and cleared
    when the run ends (the final table follows)."""

    def __init__(self, stream: TextIO, color: bool = True) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=stream, force_terminal=True, no_color=not color)
        self._rows: dict[str, list[Any]] = {}
        self._lock = threading.Lock()
        self._live = Live(self._table(), console=self.console, refresh_per_second=8, transient=True)
        self._live.start()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def _table(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        table = Table(title="gates", show_edge=False, expand=False)
        for column in ("stage", "gate", "state", "time"):
            table.add_column(column)
        now = time.monotonic()
        with self._lock:
            for name, (stage, state, started, result) in self._rows.items():
                if result is not None:
                    elapsed = _time(result.cached, result.duration_s)
                else:
                    elapsed = f"{now - started:.1f}s" if started else ""
                table.add_row(stage, Text(_safe(name)), Text(state[0], style=state[1]), elapsed)
        return table

    def _tick(self) -> None:
        while not self._stop.wait(0.25):
            self._live.update(self._table())

    def planned(self, gates: Sequence[tuple[str, Stage]]) -> None:
        with self._lock:
            for name, stage in gates:
                self._rows[name] = [stage.value, ("queued", "dim"), None, None]

    def started(self, name: str) -> None:
        with self._lock:
            self._rows[name][1:3] = [("running", "yellow"), time.monotonic()]

    def finished(self, ended: Ended) -> None:
        with self._lock:
            self._rows[ended.name][1] = _state(ended)
            self._rows[ended.name][3] = ended

    def close(self) -> None:
        self._stop.set()
        self._ticker.join(timeout=1)
        self._live.stop()


def make_progress(
    stream: TextIO | None = None, view: View | None = None
) -> PlainProgress | LiveProgress | QuietProgress:
    stream = stream or sys.stdout
    view = view or choose_view(stream, {})
    if not view.progress:
        return QuietProgress()
    if view.live:
        return LiveProgress(stream, view.color)
    return PlainProgress(stream)


# --- the final report -------------------------------------------------------------------------


class _Lines:
    """Lines of styled text: plain strings without colour, rich Text with it."""

    def __init__(self) -> None:
        self.lines: list[list[tuple[str, str]]] = []

    def add(self, *parts: tuple[str, str] | str) -> None:
        self.lines.append([(p, "") if isinstance(p, str) else p for p in parts])

    def render(self, color: bool) -> str:
        if not color:
            return "".join("".join(text for text, _ in line) + "\n" for line in self.lines)
        from rich.console import Console

        out = io.StringIO()
        console = Console(
            file=out, force_terminal=True, no_color=False, color_system="standard", width=10_000
        )
        for line in self.lines:
            console.print(_text(line), soft_wrap=True, highlight=False)
        return out.getvalue()


def _text(parts: list[tuple[str, str]]) -> Text:
    from rich.text import Text

    text = Text()
    for chunk, style in parts:
        text.append(chunk, style=style or None)
    return text


def render_report(report: Report, view: View, limit: int = DEFAULT_LIMIT) -> str:
    """The final report as the view wants it: ANSI-coloured or plain."""
    out = _Lines()
    if view.verbosity == QUIET:
        _quiet(report, out)
    else:
        _header(report, out)
        _table(report, out)
        for g in report.gates:
            _gate_section(g, out, view, limit)
        _notices(report, out)
    out.add("")
    out.add(*_verdict(report))
    return out.render(view.color)


def render_text(report: Report, github_actions: bool = False, limit: int = DEFAULT_LIMIT) -> str:
    """The final report as plain text; under Actions each gate's findings are a log group."""
    return render_report(report, View(github_actions=github_actions), limit)


def _header(report: Report, out: _Lines) -> None:
    out.add(
        ("gates ", "bold"),
        (report.verdict.value.upper(), _VERDICT_STYLE[report.verdict]),
        f"  ({_safe(report.diff.note)})",
    )
    if report.environment is not None:
        env = report.environment
        tools = ", ".join(f"{k} {v}" for k, v in env.tools.items())
        python = f"  python {env.python_version} {env.python}" + (f"; {tools}" if tools else "")
        out.add((_safe(python), "dim"))
    out.add("")


def _table(report: Report, out: _Lines) -> None:
    width = max([18, *(len(_safe(g.name)) for g in report.gates)])
    heading = f"  {'stage':9} {'gate':{width}} {'status':6} {'blocking':>8} {'new/total':>9} "
    out.add((heading + f"{'time':>7}", "bold"))
    for g in report.gates:
        notes = ", ".join([*headline_metrics(g), *_merged_note(g)])
        out.add(
            f"  {g.stage.value:9} {_safe(g.name):{width}} ",
            (f"{_STATUS_WORD[g.status]:6}", _STATUS_STYLE[g.status]),
            (f" {g.blocking_count:>8}", "bold red" if g.blocking_count else ""),
            f" {f'{g.new_count}/{len(g.findings)}':>9} {_time(_cached(g), g.duration_s):>7}",
            (f"  {notes}" if notes else "", "dim"),
        )


def _merged_note(gate: GateResult) -> list[str]:
    merged = gate.metrics.get(DUPLICATES_MERGED)
    if isinstance(merged, int) and not isinstance(merged, bool) and merged > 0:
        return [f"{merged} merged into another tool's finding"]
    return []


def _gate_section(g: GateResult, out: _Lines, view: View, limit: int) -> None:
    """A gate's detail and findings: new ones (old and suppressed too with -v)."""
    every = view.verbosity == VERBOSE
    shown = _ordered(g) if every else [f for f in _ordered(g) if f.new and not f.suppressed]
    hidden = len(g.findings) - len(shown)
    if not shown and not hidden and (not g.detail or (g.status is Status.SKIPPED and not every)):
        return  # a skipped gate's reason (nothing to check) is noise unless asked for with -v
    title = f"{g.name}: {g.status.value}"
    if g.findings:
        title += f", {plural(g.blocking_count, 'blocking finding')}, "
        title += f"{g.new_count} new of {len(g.findings)}"
    stop_token = secrets.token_hex(16)
    if view.github_actions:  # nothing untrusted below may be read as a command, whatever it is
        out.add(f"::group::{escape_workflow_data(title)}")
        out.add(f"::stop-commands::{stop_token}")
    else:
        out.add("")
        out.add(("== " + _safe(title), "bold"))
    _gate_body(g, out, shown[: None if every else limit], hidden)
    if not every and len(shown) > limit:
        out.add(f"  … {len(shown) - limit} more in gates.json")
    if view.github_actions:
        out.add(f"::{stop_token}::")
        out.add("::endgroup::")


def _gate_body(g: GateResult, out: _Lines, shown: list[Finding], hidden: int) -> None:
    if g.detail:
        for line in g.detail.splitlines()[-40:]:
            out.add((f"  {_safe(line)}", "magenta" if g.status is Status.ERROR else "dim"))
    for hint in fix_hints(g):
        out.add("  fix: ", (_safe(hint), "bold"))
    _findings(shown, g.fail_on, out)
    if hidden:
        word = plural(hidden, "finding")
        out.add((f"  … {word} not introduced by this PR or suppressed (-v shows them)", "dim"))


def _ordered(g: GateResult) -> list[Finding]:
    return sorted(
        g.findings,
        key=lambda f: (not f.blocks(g.fail_on), not f.new, f.path, f.line or 0),
    )


def _findings(findings: Sequence[Finding], fail_on: str, out: _Lines) -> None:
    current = None
    for f in findings:
        if f.path != current:
            current = f.path
            out.add(f"  {_safe(f.path) or '(project)'}")
        out.add(*_finding_parts(f, fail_on))


def _finding_parts(f: Finding, fail_on: str) -> list[tuple[str, str]]:
    where = f"{f.line}" if f.line else "-"
    if f.column:
        where += f":{f.column}"
    mark, style = _mark(f, fail_on)
    also = _also(f)
    message = one_line(f.message, 200)
    extra = " (fixable)" if f.extra.get("fixable") == "yes" else ""
    return [
        (f"    {where:>8}  ", ""),
        (f"{f.severity.value:7} ", _SEVERITY_STYLE[f.severity.value]),
        (f"{mark:10} ", style),
        (_safe(f"{f.tool}/{f.rule}: {message}{extra}{also}"), ""),
    ]


def _mark(f: Finding, fail_on: str) -> tuple[str, str]:
    if f.blocks(fail_on):
        return "BLOCKING", "bold red"
    if f.suppressed:
        return "suppressed", "dim"
    return ("new", "yellow") if f.new else ("old", "dim")


def _also(f: Finding) -> str:
    others = [
        item.strip().split(":", 1)[0] for item in f.extra.get("also_reported_by", "").split(",")
    ]
    names = sorted({o for o in others if o and o != f.tool})
    return f" (also {', '.join(names)})" if names else ""


def _notices(report: Report, out: _Lines) -> None:
    """Notes on gates' own markers and config (never blocking), e.g. a suppression without a
    reason, or one this PR adds to its own safety finding."""
    if not report.notices:
        return
    out.add("")
    out.add(("== notices: " + plural(len(report.notices), "notice"), "bold"))
    _findings(report.notices, "never", out)


def _quiet(report: Report, out: _Lines) -> None:
    """`-q`: only the blocking findings, by file, then the verdict."""
    blocking = [(f, g.fail_on) for g in report.gates for f in g.findings if f.blocks(g.fail_on)]
    current = None
    for f, fail_on in sorted(blocking, key=lambda pair: (pair[0].path, pair[0].line or 0)):
        if f.path != current:
            current = f.path
            out.add(f"{_safe(f.path) or '(project)'}")
        out.add(*_finding_parts(f, fail_on))


def _verdict(report: Report) -> list[tuple[str, str]]:
    blocking = sum(g.blocking_count for g in report.gates)
    failing = [g for g in report.gates if g.status is Status.FAIL]
    style = _VERDICT_STYLE[report.verdict]
    if report.verdict is Verdict.ERROR:
        errors = ", ".join(_safe(g.name) for g in report.gates if g.status is Status.ERROR)
        reason = f"{errors} could not run to completion" if errors else "the run was interrupted"
        return [("gates: ERROR", style), (f" — {reason} (failing closed).", "")]
    if report.verdict is Verdict.FAIL:
        where = f" in {plural(len(failing), 'gate')}" if failing else ""
        return [("gates: FAIL", style), (f" — {plural(blocking, 'blocking finding')}{where}.", "")]
    new = sum(g.new_count for g in report.gates)
    tail = f" — {plural(new, 'new finding')}, none blocking." if new else ""
    return [("gates: PASS", style), (tail, "")]
