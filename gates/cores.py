"""How gates shares the machine's cores: worker processes, parts, and cores nobody holds.

The runner starts gates on `total` workers. When the last waiting gate has started, a worker
that finds nothing more to do stops, and its core would idle until the slowest gate ends. A
gate whose files can be checked in independent parts (bandit) borrows such cores for its later
parts, so the run ends when the work does, not when one process does. The thresholds below are
shared by the gates that use them and by the schedule, which must agree with them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Executor

# Below this much text, starting worker processes costs an in-process check more than it
# saves; from it on, the check spreads its files over worker processes on every core.
POOL_MIN_BYTES = 4_000_000

# A part of a gate that runs in parts is at least this big: smaller, a part is mostly the
# tool's start-up (gates.tools.parts).
MIN_PART_BYTES = 512 * 1024


class SpareCores:
    """Counts the runner's live workers and the cores lent out; lends only what nobody holds.

    A worker counts from its start until it finds nothing more to run, not only while it runs a
    gate: between two gates it is about to take the next one, and lending its core then would
    put three busy processes on two cores.
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self._workers = 0
        self._lent = 0
        self._lock = threading.Lock()

    def worker_started(self) -> None:
        with self._lock:
            self._workers += 1

    def worker_stopped(self) -> None:
        with self._lock:
            self._workers -= 1

    def try_borrow(self) -> bool:
        """Take a free core if there is one; the caller must `give_back` it when done."""
        with self._lock:
            if self._workers + self._lent >= self.total:
                return False
            self._lent += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self._lent -= 1

    def free(self) -> int:
        with self._lock:
            return max(0, self.total - self._workers - self._lent)


# A gate run outside a runner (tests, a single gate) has no spare cores to borrow.
NO_SPARE_CORES = SpareCores(0)


@dataclass(frozen=True)
class Shares:
    """What of the machine a gate may use beside the gates running with it."""

    # Worker processes for in-process checks with a lot to read: threads share one core (GIL).
    pool: Executor | None = None
    # Cores this gate may keep busy without crowding the gates beside it: a tool that can run
    # in parallel (semgrep -j) is told this many, not the machine's count.
    cpus: int = 1
    # Cores the runner has nothing left to start on: a tool whose files can be checked in
    # independent parts borrows them for its later parts (gates.tools.parts).
    spare: SpareCores = field(default_factory=lambda: NO_SPARE_CORES)
