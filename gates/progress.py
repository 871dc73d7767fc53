"""What the runner tells a live display while gates run, and nothing more.

A gate's pass or fail is decided only after every gate has finished (several tools' findings on
one problem merge, compare mode re-marks what is new), so progress carries only what no later
step can change: a gate is planned, started, or ended (ran to the end, errored, or skipped) and
how long it took. The runner sends these; the terminal shows them (gates.reporters.terminal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gates.model import Stage, Status


@dataclass(frozen=True)
class Ended:
    name: str
    # ERROR or SKIPPED when the gate could not be judged; None when it ran to the end.
    state: Status | None
    duration_s: float
    cached: bool = False  # its outcome came from the result cache


class Progress(Protocol):
    def planned(self, gates: Sequence[tuple[str, Stage]]) -> None: ...
    def started(self, name: str) -> None: ...
    def finished(self, ended: Ended) -> None: ...


class NoProgress:
    """A run nobody watches (tests, the base run, `-q`)."""

    def planned(self, gates: Sequence[tuple[str, Stage]]) -> None:
        pass

    def started(self, name: str) -> None:
        pass

    def finished(self, ended: Ended) -> None:
        pass

    def close(self) -> None:
        pass
