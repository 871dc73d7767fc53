"""What of the machine a gate may use beside the gates running with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Executor

# Below this much text, starting worker processes costs an in-process check more than it
# saves; from it on, the check spreads its files over worker processes on every core.
POOL_MIN_BYTES = 4_000_000


@dataclass(frozen=True)
class Shares:
    # Worker processes for in-process checks with a lot to read: threads share one core (GIL).
    pool: Executor | None = None
    # Cores this gate may keep busy without crowding the gates beside it: a tool that can run
    # in parallel (semgrep -j) is told this many, not the machine's count.
    cpus: int = 1
