"""The shape of the built-in checks: a pure `scan` of one file's text, wrapped as a gate.

A check never opens files or starts processes itself. `TextCheckGate.run` reads each file in
scope through `gates.sources` (never through a symlink, never a huge or binary file whole) and
hands the text to `scan`, so detectors are pure functions of (path, text, options) that the
labelled corpus in `tests/corpus/safety/` can measure directly.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gates.gate import GateContext, GateError, GateOutcome, Option, Scope
from gates.model import Finding, Stage
from gates.sources import read_text, split_lines


@dataclass(frozen=True)
class Source:
    """One file's text as a check sees it. `lines[0]` is line 1."""

    path: str  # repo-relative POSIX path
    text: str

    @functools.cached_property
    def lines(self) -> tuple[str, ...]:
        """Split once per file: checks read lines many times (a 60k-line file took 13 s)."""
        return split_lines(self.text)

    @property
    def suffix(self) -> str:
        name = self.path.rsplit("/", 1)[-1]
        return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


class TextCheckGate:
    """Base class for in-process checks over the text of the changed files.

    Subclasses set the class attributes of the Gate protocol and implement `scan`; `wants`
    narrows the files a check reads (by suffix, say) without reading them.
    """

    name: str = ""
    stage: Stage = Stage.SAFETY
    tool: str = "gates"
    scope: Scope = Scope.CHANGED
    description: str = ""
    default_timeout_s: float = 120.0
    default_fail_on: str = "warning"
    options: Mapping[str, Option] = {}

    def wants(self, path: str) -> bool:
        del path
        return True

    def scan(self, source: Source, options: Mapping[str, object]) -> list[Finding]:
        raise NotImplementedError

    def run(self, ctx: GateContext) -> GateOutcome:
        findings: list[Finding] = []
        scanned = 0
        unread: list[str] = []
        for rel in ctx.files:
            if ctx.cancelled():
                raise GateError("cancelled before every file was scanned")
            if not self.wants(rel):
                continue
            text = read_text(ctx.root, rel)
            if text is None:
                unread.append(rel)
                continue
            scanned += 1
            findings += self.scan(Source(rel, text), ctx.options)
        return GateOutcome(
            findings=findings,
            metrics={"files_scanned": scanned, "files_not_text": len(unread)},
            detail=_unread_note(unread),
        )


def _unread_note(unread: Sequence[str]) -> str:
    if not unread:
        return ""
    shown = ", ".join(unread[:5]) + (" ..." if len(unread) > 5 else "")
    return f"{len(unread)} file(s) not scanned (binary, over the size limit, or a link): {shown}"
