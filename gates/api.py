"""The Python API: `run` the gates on a checkout, `scan_text` a string with the safety detectors.

Both are the CLI's own pipeline without the terminal: nothing is printed, nothing exits, and
bad usage, config or input raises `gates.errors.UsageError` with the one-line message the CLI
prints after `gates: error:`. The pipeline's modules are imported when a function is first
called, so `import gates` stays as fast as `gates --help`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gates.errors import UsageError

if TYPE_CHECKING:
    from gates.checks.base import Source, TextCheckGate
    from gates.model import Finding, Report

StrPath = str | os.PathLike[str]


def run(
    path: StrPath = ".",
    *,
    base: str | None = None,
    head: str | None = None,
    stages: Sequence[str] | str | None = None,
    config: StrPath | None = None,
    output_dir: StrPath | None = None,
) -> Report:
    """Run the gates on the repository at `path`, as `python -m gates run PATH` does.

    The same config (`.gates.toml` or `[tool.gates]`, or the file `config` names; under GitHub
    Actions the merge-base's), the same revisions (`base` defaults to the event's or origin's,
    `head` to HEAD), the same gates and verdict. `stages` holds stage or gate names, as
    `--stages` does. Report files are written only when `output_dir` is given.
    """
    from gates.app import RunRequest
    from gates.app import run as run_pipeline
    from gates.proc import kill_all_children
    from gates.registry import REGISTRY
    from gates.runner import NoProgress

    names = _names(stages)
    stop = threading.Event()
    with _report_dir(output_dir) as out_dir:
        request = RunRequest(
            path=Path(path),
            base=base,
            head="HEAD" if head is None else head,
            stages=names,
            config=None if config is None else Path(config),
            output_dir=out_dir,
        )
        try:
            outcome = run_pipeline(request, REGISTRY, NoProgress(), stop)
        except KeyboardInterrupt:
            stop.set()  # no gate starts any more, and no tool outlives the run
            kill_all_children()
            raise
    return outcome.report


def _names(stages: Sequence[str] | str | None) -> tuple[str, ...]:
    """A list of names; one string is read as `--stages` reads it, comma-separated."""
    if stages is None:
        return ()
    if isinstance(stages, str):
        stages = stages.split(",")
    return tuple(name.strip() for name in stages if name.strip())


@contextlib.contextmanager
def _report_dir(output_dir: StrPath | None) -> Iterator[Path]:
    """Where the pipeline writes its report files: the caller's directory, or a temporary one
    removed afterwards (the pipeline always writes; the caller asked only for the Report)."""
    if output_dir is not None:
        yield Path(output_dir)
        return
    with tempfile.TemporaryDirectory(prefix="gates-api-") as scratch:
        yield Path(scratch)


def _detectors() -> dict[str, TextCheckGate]:
    """The safety stage's in-process detectors by name, in the registry's order."""
    from gates.checks.base import TextCheckGate
    from gates.model import Stage
    from gates.registry import REGISTRY

    return {
        name: gate
        for name, gate in REGISTRY.items()
        if gate.stage is Stage.SAFETY and isinstance(gate, TextCheckGate)
    }


def scan_text(
    text: str, path: StrPath = "snippet.py", *, gates: Sequence[str] | str | None = None
) -> list[Finding]:
    """The safety detectors' findings on `text`, as if it were the file `path` of a PR.

    The path's suffix decides how the text is read (`.py`: Python, parsed; anything else:
    text). Each detector runs with its default options. The findings are what a run reports
    for a new file: masked (no secret or personal value in full), fingerprinted, `new`, and
    marked `suppressed` under a `gates: ignore[...]` marker (kept, never dropped), sorted by
    position. `gates` narrows the detectors; an unknown name is a UsageError.
    """
    if not isinstance(text, str):
        raise TypeError(f"scan_text: text must be str, not {type(text).__name__}")
    rel = Path(path).as_posix()
    if rel in ("", "."):
        raise UsageError("scan_text: path must name a file, e.g. 'snippet.py'")
    chosen = _chosen(_detectors(), gates)
    from gates.checks.base import Source
    from gates.model import sort_key

    source = Source(rel, text)
    findings = [
        f for gate in chosen if gate.wants(rel) for f in _finished(_scan(gate, source), source)
    ]
    return sorted(findings, key=sort_key)


def _chosen(
    detectors: dict[str, TextCheckGate], names: Sequence[str] | str | None
) -> list[TextCheckGate]:
    if names is None:
        return list(detectors.values())
    wanted = [names] if isinstance(names, str) else list(names)
    unknown = [n for n in wanted if n not in detectors]
    if unknown:
        known = ", ".join(detectors)
        raise UsageError(f"scan_text: unknown safety detector {unknown[0]!r} (known: {known})")
    return [gate for name, gate in detectors.items() if name in wanted]


def _scan(gate: TextCheckGate, source: Source) -> list[Finding]:
    """One detector's findings. A crash of a detector that reads secrets names only its type:
    its message could hold the value (gates.checks.redact does the same in a run)."""
    from gates.checks.redact import SensitiveCheckGate

    options = {name: option.default for name, option in gate.options.items()}
    if not isinstance(gate, SensitiveCheckGate):
        return gate.scan(source, options)
    try:
        return gate.scan(source, options)
    except Exception as exc:
        raise RuntimeError(
            f"{gate.name} crashed ({type(exc).__name__}); details withheld, they may hold a secret"
        ) from None


def _finished(findings: list[Finding], source: Source) -> list[Finding]:
    """What judging does to one gate's findings on a file that is new in a PR (gates.judge:
    identity, inline suppressions, every finding new, encodable text)."""
    from gates.filters.encodable import encodable_findings
    from gates.filters.suppressions import mark_suppressed
    from gates.judge import identified

    lines = source.lines
    marked = mark_suppressed(identified(findings, lambda _path: lines), lambda _path: lines)
    return list(encodable_findings(f.replace(new=True) for f in marked))
