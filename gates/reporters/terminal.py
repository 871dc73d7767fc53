"""What a person sees in the terminal: live progress while gates run, then the report.

Three modes: a live rich table on a terminal; plain lines when stdout is not a terminal (CI
logs); and under GitHub Actions, each gate's details wrapped in `::group::` blocks. rich is
imported only when a live display is wanted.
"""

from __future__ import annotations

import secrets
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, TextIO

from gates.model import DUPLICATES_MERGED, Finding, GateResult, Report, Stage, Status, Verdict
from gates.reporters.headline import headline_metrics
from gates.text import escape_workflow_data, one_line, reveal_invisible

_STATUS_WORD = {
    Status.PASS: "PASS",
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "SKIP",
}


def _safe(text: str) -> str:
    """Terminal-safe: untrusted text stays on one visible line (a newline in a file name must
    not start a new log line), carries no escape sequences or invisible characters, and never
    reads as a workflow command."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    text = reveal_invisible(text).replace("\x1b", "<ESC>")
    return text.replace("::", ":\u200a:") if text.lstrip().startswith("::") else text


class PlainProgress:
    """One line per event: readable in CI logs, no cursor movement."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def planned(self, gates: Sequence[tuple[str, Stage]]) -> None:
        names = ", ".join(f"{n} ({s.value})" for n, s in gates)
        self._say(f"gates: running {len(gates)} gates: {names}")

    def started(self, name: str) -> None:
        self._say(f"  … {name} started")

    def finished(self, result: GateResult) -> None:
        # Counted before the findings of several tools on one issue are merged into one: the
        # table at the end counts after, and says how many it merged.
        self._say(
            f"  {_STATUS_WORD[result.status]:5} {result.name} ({result.duration_s:.1f}s, "
            f"{len(result.findings)} found, {result.new_count} new)"
        )

    def close(self) -> None:
        pass

    def _say(self, line: str) -> None:
        with self._lock:
            print(_safe(line), file=self.stream, flush=True)


class LiveProgress:
    """A rich live table of gates with state and elapsed time, refreshed in place."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=stream)
        self._rows: dict[str, list[Any]] = {}
        self._lock = threading.Lock()
        self._live = Live(
            self._table(), console=self.console, refresh_per_second=8, transient=False
        )
        self._live.start()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(title="gates", show_edge=False, expand=False)
        for column in ("stage", "gate", "state", "time", "findings"):
            table.add_column(column)
        now = time.monotonic()
        with self._lock:
            for name, (stage, state, started, result) in self._rows.items():
                elapsed = result.duration_s if result else (now - started if started else 0.0)
                found = f"{result.new_count} new / {len(result.findings)}" if result else ""
                table.add_row(stage, name, state, f"{elapsed:.1f}s", found)
        return table

    def _tick(self) -> None:
        while not self._stop.wait(0.25):
            self._live.update(self._table())

    def planned(self, gates: Sequence[tuple[str, Stage]]) -> None:
        with self._lock:
            for name, stage in gates:
                self._rows[name] = [stage.value, "[dim]queued[/]", None, None]

    def started(self, name: str) -> None:
        with self._lock:
            self._rows[name][1:3] = ["[yellow]running[/]", time.monotonic()]

    def finished(self, result: GateResult) -> None:
        colour = {Status.PASS: "green", Status.FAIL: "red", Status.ERROR: "magenta"}.get(
            result.status, "dim"
        )
        with self._lock:
            self._rows[result.name][1] = f"[{colour}]{result.status.value}[/]"
            self._rows[result.name][3] = result

    def close(self) -> None:
        self._stop.set()
        self._live.update(self._table())
        self._live.stop()


def make_progress(stream: TextIO | None = None) -> PlainProgress | LiveProgress:
    stream = stream or sys.stdout
    if stream.isatty():
        return LiveProgress(stream)
    return PlainProgress(stream)


def _finding_line(f: Finding) -> str:
    where = f"{f.line}" if f.line else "-"
    if f.column:
        where += f":{f.column}"
    tags = []
    if f.new and not f.suppressed:
        tags.append("NEW")
    if f.suppressed:
        tags.append(f"suppressed ({f.suppressed.kind})")
    tag = f" [{', '.join(tags)}]" if tags else ""
    return (
        f"    {where:>8}  {f.severity.value:7} {f.tool}/{f.rule}: {one_line(f.message, 200)}{tag}"
    )


def _merged_note(gate: GateResult) -> list[str]:
    merged = gate.metrics.get(DUPLICATES_MERGED)
    if isinstance(merged, int) and not isinstance(merged, bool) and merged > 0:
        return [f"{merged} merged into another tool's finding"]
    return []


def render_text(report: Report, github_actions: bool = False, limit: int = 200) -> str:
    """The final report as plain text; under Actions each gate's findings are a log group."""
    out: list[str] = []
    out.append(f"gates {report.verdict.value.upper()}  ({_safe(report.diff.note)})")
    if report.environment is not None:
        env = report.environment
        tools = ", ".join(f"{k} {v}" for k, v in env.tools.items())
        out.append(
            _safe(f"  python {env.python_version} {env.python}" + (f"; {tools}" if tools else ""))
        )
    out.append("")
    out.append(f"  {'stage':9} {'gate':18} {'status':7} {'new/total':>10} {'time':>8}")
    for g in report.gates:
        counts = f"{g.new_count}/{len(g.findings)}"
        notes = [*headline_metrics(g), *_merged_note(g)]
        out.append(
            f"  {g.stage.value:9} {_safe(g.name):18} {_STATUS_WORD[g.status]:7} {counts:>10} "
            f"{g.duration_s:>7.1f}s" + (f"  {', '.join(notes)}" if notes else "")
        )
    for g in report.gates:
        if not g.findings and not g.detail:
            continue
        title = f"{g.name}: {g.status.value}, {g.new_count} new of {len(g.findings)} findings"
        out.append(f"::group::{escape_workflow_data(title)}" if github_actions else f"\n== {title}")
        stop_token = secrets.token_hex(16)
        if github_actions:  # nothing untrusted below may be read as a command, whatever it is
            out.append(f"::stop-commands::{stop_token}")
        if g.detail:
            out += [f"  {_safe(line)}" for line in g.detail.splitlines()[-40:]]
        shown = sorted(g.findings, key=lambda f: (not f.new, f.path, f.line or 0))[:limit]
        current = None
        for f in shown:
            if f.path != current:
                current = f.path
                out.append(f"  {_safe(f.path) or '(project)'}")
            out.append(_safe(_finding_line(f)))
        if len(g.findings) > limit:
            out.append(f"  … {len(g.findings) - limit} more in gates.json")
        if github_actions:
            out += [f"::{stop_token}::", "::endgroup::"]
    out.append("")
    out.append(_verdict_sentence(report))
    return "\n".join(out) + "\n"


def _verdict_sentence(report: Report) -> str:
    blocking = sum(g.blocking_count for g in report.gates)
    errors = [g.name for g in report.gates if g.status is Status.ERROR]
    if report.verdict is Verdict.ERROR:
        return f"gates: ERROR — {', '.join(errors)} could not run to completion (failing closed)."
    if report.verdict is Verdict.FAIL:
        return f"gates: FAIL — {blocking} blocking findings."
    return "gates: PASS"
