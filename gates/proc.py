"""Run a tool as a subprocess: argv only, explicit cwd, a time budget, a scrubbed environment.

Failures are values, not exceptions: a missing executable, a timeout or a crash all come back
in `ProcResult`, so a gate can turn them into an `error` status with the reason and the tail of
the output. Output capture is bounded, so a tool that prints a gigabyte cannot exhaust memory.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

MAX_CAPTURE_BYTES = 64 * 1024 * 1024
TAIL_CHARS = 2000

# Names that carry credentials in GitHub Actions and common CI systems. Tools run the PR's own
# code (pytest imports it), so none of these may reach them.
_SECRET_ENV = re.compile(
    r"^(GITHUB_TOKEN|GH_TOKEN|GH_ENTERPRISE_TOKEN|GITHUB_PAT|INPUT_.*|ACTIONS_.*|"
    r"ACTIONS_RUNTIME_TOKEN|ACTIONS_ID_TOKEN_REQUEST_.*|ACTIONS_CACHE_URL|"
    r".*_TOKEN|.*_SECRET|.*_SECRET_KEY|.*_PASSWORD|.*_API_KEY|AWS_SESSION_TOKEN|"
    r"AWS_SECRET_ACCESS_KEY|NPM_TOKEN|PYPI_TOKEN|TWINE_PASSWORD)$",
    re.IGNORECASE,
)
_KEEP_ENV = frozenset({"GITHUB_ACTIONS", "CI"})
# The runner's file commands: a tool that could append to these could forge the action's
# outputs, or set environment variables (LD_PRELOAD ...) for the later step that holds the
# token. Tools never get their paths.
FILE_COMMANDS = frozenset(
    {"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"}
)
# gates' own hand-over between `entry` and the process it re-execs (gates.passenv): not the
# job's environment, so not the tools'.
INTERNAL_ENV = frozenset({"GATES_ENV_SCRUBBED", "GATES_PASS_FD"})


def is_secret_name(key: str) -> bool:
    return key not in _KEEP_ENV and bool(_SECRET_ENV.match(key))


def scrubbed_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a tool may see: no credentials, no runner file commands."""
    source = os.environ if base is None else base
    return {
        key: value
        for key, value in source.items()
        if not is_secret_name(key) and key not in FILE_COMMANDS and key not in INTERNAL_ENV
    }


@dataclass(frozen=True)
class ProcResult:
    argv: tuple[str, ...]
    returncode: int | None  # None when the process never ran or was killed for time
    out: bytes
    err: bytes
    duration_s: float
    timed_out: bool = False
    missing: bool = False  # the executable was not found
    truncated: bool = False
    error: str = ""  # why it could not run, when it could not

    @functools.cached_property
    def stdout(self) -> str:
        return self.out.decode("utf-8", errors="replace")

    @functools.cached_property
    def stderr(self) -> str:
        return self.err.decode("utf-8", errors="replace")

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def crashed(self) -> bool:
        """Killed by a signal (segfault, OOM kill) rather than exiting."""
        return self.returncode is not None and self.returncode < 0

    def tail(self, chars: int = TAIL_CHARS) -> str:
        text = (self.stderr.strip() + "\n" + self.stdout.strip()).strip()
        return text[-chars:]

    def describe_failure(self) -> str:
        name = Path(self.argv[0]).name if self.argv else "tool"
        if self.missing:
            return f"{name} is not installed ({self.error})"
        if self.timed_out:
            return f"{name} timed out after {self.duration_s:.0f}s and was killed"
        if self.crashed:
            signum = -(self.returncode or 0)
            try:
                signame = signal.Signals(signum).name
            except ValueError:
                signame = str(signum)
            return f"{name} was killed by signal {signame}"
        if self.error:
            return f"{name} could not run: {self.error}"
        return f"{name} exited with code {self.returncode}"


class _BoundedReader(threading.Thread):
    """Drains a pipe, keeping at most `limit` bytes, so the child never blocks on a full pipe."""

    def __init__(self, stream: object, limit: int) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self._limit = limit
        self.chunks: list[bytes] = []
        self.kept = 0
        self.truncated = False

    def run(self) -> None:
        read = self._stream.read  # type: ignore[attr-defined]
        while True:
            chunk: bytes = read(65536)
            if not chunk:
                break
            room = self._limit - self.kept
            if room > 0:
                self.chunks.append(chunk[:room])
                self.kept += min(len(chunk), room)
            if len(chunk) > room:
                self.truncated = True

    def data(self) -> bytes:
        return b"".join(self.chunks)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the tool and everything it started (pytest workers, semgrep-core ...)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()


def kill_all_children() -> None:
    """Called on SIGTERM/SIGINT so no tool outlives an interrupted run."""
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        _kill_group(proc)


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 600.0,
    stdin: bytes | None = None,
    max_capture: int = MAX_CAPTURE_BYTES,
    cancelled: Callable[[], bool] = lambda: False,
) -> ProcResult:
    args = tuple(str(a) for a in argv)
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=dict(env) if env is not None else scrubbed_env(),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        return ProcResult(args, None, b"", b"", 0.0, missing=True, error=str(exc))
    except OSError as exc:
        return ProcResult(args, None, b"", b"", 0.0, error=str(exc))
    with _live_lock:
        _live.add(proc)
    readers = [_BoundedReader(proc.stdout, max_capture), _BoundedReader(proc.stderr, max_capture)]
    for reader in readers:
        reader.start()
    if stdin is not None and proc.stdin is not None:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(stdin)
        proc.stdin.close()
    timed_out = _wait(proc, started + timeout_s, cancelled)
    if timed_out:
        _kill_group(proc)
        proc.wait()
    else:
        # The tool is done; anything it left running in its group must not linger.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    for reader in readers:
        reader.join(timeout=5)
    with _live_lock:
        _live.discard(proc)
    return ProcResult(
        argv=args,
        returncode=None if timed_out else proc.returncode,
        out=readers[0].data(),
        err=readers[1].data(),
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
        truncated=readers[0].truncated or readers[1].truncated,
    )


def _wait(proc: subprocess.Popen[bytes], deadline: float, cancelled: Callable[[], bool]) -> bool:
    """Wait for the process; True when it ran out of time or the run was cancelled."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or cancelled():
            return True
        try:
            proc.wait(timeout=min(remaining, 0.2))
            return False
        except subprocess.TimeoutExpired:
            continue
