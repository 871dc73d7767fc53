"""Command line: parse arguments into typed requests, and map outcomes to exit codes.

This is the only place that turns exceptions into exit codes:
0 every blocking gate passed; 1 a blocking gate failed or errored; 2 bad usage, config or input;
3 an internal error (a bug in gates: the message asks for a report, GATES_DEBUG=1 shows the
traceback). Heavy libraries are imported inside the commands, so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from gates import __version__
from gates.config import FAIL_ON_CHOICES
from gates.errors import UsageError

if TYPE_CHECKING:
    from gates.app import RunRequest
    from gates.reporters.terminal import LiveProgress, PlainProgress, QuietProgress
    from gates.reporters.terminal import View as TerminalView

if TYPE_CHECKING:
    from gates.model import Report

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gates",
        description="Staged pull-request gates: safety, integrity, security, quality, size.",
    )
    parser.add_argument("--version", action="version", version=f"gates {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run the gates on a checkout (local dry run: posts nothing)")
    _add_run_arguments(run, with_files=True)
    run.add_argument(
        "--fail-on",
        choices=FAIL_ON_CHOICES,
        help="lowest severity of a new finding that fails its gate, for every gate "
        "(overrides fail_on in the config)",
    )
    run.add_argument(
        "--config-from",
        choices=("base", "head"),
        help="whose gates config judges the PR: the merge-base's (a PR cannot loosen its own "
        "gates; the default under GitHub Actions) or the checkout's (the default elsewhere)",
    )
    run.add_argument(
        "--staged",
        action="store_true",
        help="check the staged changes (the index) against HEAD, as a pre-commit hook does; "
        "unstaged edits are left out",
    )
    run.add_argument(
        "--files",
        action="store_true",
        help="the PATH arguments are the only files to check (as pre-commit passes them), in "
        "the repository of the current directory: a changed file on its changed lines, an "
        "unchanged one whole",
    )
    run.set_defaults(handler=cmd_run)

    baseline = sub.add_parser(
        "baseline",
        help="record today's findings in the baseline file, so only new ones block",
        description="Run every gate on every file and write the fingerprints of today's "
        "findings to the baseline file (default .gates-baseline.json); with --prune, only "
        "remove the entries that are fixed.",
    )
    _add_run_arguments(baseline, with_new=False)
    baseline.add_argument(
        "--prune", action="store_true", help="only remove fixed entries; never add any"
    )
    baseline.set_defaults(handler=cmd_baseline)

    merge = sub.add_parser("merge", help="combine the reports of sharded runs into one report")
    merge.add_argument("reports", nargs="+", type=Path, metavar="REPORT", help="gates.json files")
    merge.add_argument(
        "--output-dir",
        type=Path,
        default=Path("reports"),
        help="where reports go (default: reports)",
    )
    _add_output_flags(merge, progress=False)
    merge.set_defaults(handler=cmd_merge)
    _add_publish(sub)
    _add_explain(sub)
    _add_init(sub)
    return parser


def _add_run_arguments(
    parser: argparse.ArgumentParser, with_new: bool = True, with_files: bool = False
) -> None:
    if with_files:  # `run`: PATH is the repository, or with --files the files (see _run_targets)
        parser.add_argument("path", nargs="*", type=Path, help="repository (default: .)")
    else:
        parser.add_argument(
            "path", nargs="?", default=".", type=Path, help="repository (default: .)"
        )
    parser.add_argument("--base", help="base commit or ref (default: from the event or origin)")
    parser.add_argument("--head", default="HEAD", help="head commit or ref (default: HEAD)")
    parser.add_argument(
        "--stages",
        type=_csv,
        default=[],
        metavar="LIST",
        help="comma-separated stages or gates, e.g. safety,quality or ruff",
    )
    parser.add_argument(
        "--config", type=Path, help="config file (default: .gates.toml or pyproject)"
    )
    parser.add_argument("--output-dir", type=Path, help="where reports go (default: PATH/reports)")
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="the project's interpreter, which runs its tests (default: config python, "
        "$GATES_PYTHON, else the one running gates)",
    )
    parser.add_argument(
        "--pass-env",
        action="append",
        default=[],
        metavar="NAME",
        help="give the tools this variable although the credential scrub drops it (repeatable; "
        "NAME* globs; never GITHUB_TOKEN, GH_TOKEN, ACTIONS_*, INPUT_*)",
    )
    _add_output_flags(parser)
    if with_new:
        parser.add_argument(
            "--new",
            choices=("lines", "compare", "all"),
            help="what counts as introduced by the PR (default: lines; compare: not in the "
            "base revision's findings)",
        )


def _add_output_flags(parser: argparse.ArgumentParser, progress: bool = True) -> None:
    """How much the terminal shows: -q, -v, --no-progress (colour: NO_COLOR, FORCE_COLOR)."""
    loud = parser.add_mutually_exclusive_group()
    loud.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only the blocking findings and the verdict",
    )
    loud.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every finding, old and suppressed ones too (default: the new ones)",
    )
    if progress:
        parser.add_argument(
            "--no-progress", action="store_true", help="no live table or progress lines"
        )


def _view(args: argparse.Namespace) -> TerminalView:
    """The terminal view these flags and the environment ask for (gates.reporters.terminal)."""
    from gates.reporters.terminal import choose_view

    return choose_view(
        sys.stdout,
        os.environ,
        quiet=args.quiet,
        verbose=args.verbose,
        no_progress=getattr(args, "no_progress", True),
    )


def _request(args: argparse.Namespace, **more: Any) -> RunRequest:
    """What `run` and `baseline` share: the repository, the stages, config and output."""
    from gates.app import RunRequest

    return RunRequest(
        path=args.path,
        stages=args.stages,
        config=args.config,
        output_dir=args.output_dir,
        python=args.python,
        pass_env=tuple(args.pass_env),
        held_env=getattr(args, "held_env", {}),
        **more,
    )


def _add_init(sub: argparse._SubParsersAction[_Parser]) -> None:
    init = sub.add_parser(
        "init",
        help="write a starter [tool.gates] for this project's layout (never overwrites)",
        description="Look for the packages, the tests folder and agent folders, and write a "
        "starter [tool.gates] into pyproject.toml (or a .gates.toml without one). An existing "
        ".gates.toml or [tool.gates] is left alone: exit 2.",
    )
    init.add_argument("path", nargs="?", default=".", type=Path, help="project (default: .)")
    init.add_argument("--print", action="store_true", help="print the configuration; write nothing")
    init.set_defaults(handler=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    from gates.registry import REGISTRY
    from gates.scaffold import init_config

    written = init_config(args.path, REGISTRY, dry_run=args.print)
    if args.print:
        sys.stdout.write(written.text)
        return EXIT_PASS
    print(f"gates init: wrote a starter configuration to {written.path}")
    print("next: python -m gates run   (the gates on your changes against origin's default branch)")
    return EXIT_PASS


def cmd_baseline(args: argparse.Namespace) -> int:
    from gates.app import write_baseline
    from gates.registry import REGISTRY

    request = _request(args, base=args.base, head=args.head)
    stop = threading.Event()
    with _live_progress(stop, _view(args)) as progress:
        outcome = write_baseline(request, REGISTRY, progress, stop, prune=args.prune)
    print(f"baseline: {outcome.path}: {outcome.before} -> {outcome.after} entries")
    errored = [g.name for g in outcome.run.report.gates if g.status.value == "error"]
    if errored:
        print(
            f"gates: {', '.join(errored)} errored; their old entries were kept unchanged",
            file=sys.stderr,
        )
        return EXIT_FAIL
    return EXIT_PASS


def _add_publish(sub: argparse._SubParsersAction[_Parser]) -> None:
    env = os.environ
    pub = sub.add_parser(
        "publish", help="post a report to GitHub: check run, PR comment, statuses, job summary"
    )
    pub.add_argument(
        "report",
        nargs="?",
        default=Path("reports/gates.json"),
        type=Path,
        help="the gates.json to publish (default: reports/gates.json)",
    )
    pub.add_argument("--dry-run", action="store_true", help="print the requests; send nothing")
    pub.add_argument(
        "--strict-publish",
        action="store_true",
        help="exit 1 when publishing fails (default: publishing never changes the exit code)",
    )
    pub.add_argument(
        "--check-name",
        default=env.get("GATES_CHECK_NAME") or "gates",
        help="name of the check run (env GATES_CHECK_NAME; default: gates)",
    )
    pub.add_argument(
        "--comment",
        choices=("always", "on-failure", "never"),
        default=env.get("GATES_COMMENT") or "always",
        help="when to post the PR comment (env GATES_COMMENT; default: always)",
    )
    pub.add_argument(
        "--statuses",
        action="store_true",
        default=env.get("GATES_STATUSES", "").lower() in ("1", "true", "yes"),
        help="also set one commit status per stage, gates/<stage> (env GATES_STATUSES)",
    )
    pub.set_defaults(handler=cmd_publish)


def _add_explain(sub: argparse._SubParsersAction[_Parser]) -> None:
    explain = sub.add_parser(
        "explain",
        help="print a rule's documentation (a rule id such as eval-nonliteral, or a gate name)",
    )
    explain.add_argument("rule", metavar="RULE", help="rule id, gate/rule, or gate name")
    explain.set_defaults(handler=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    """The rule's doc from gates/docs (what the reports link); unknown -> exit 2 with matches."""
    from gates.explain import explain

    explain(args.rule, sys.stdout)
    return EXIT_PASS


def cmd_publish(args: argparse.Namespace) -> int:
    """Exit with the report's verdict; publishing problems only warn (unless --strict-publish)."""
    from gates.github.context import load_context
    from gates.reporters.json_report import load_report

    path: Path = args.report
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the report {path}: {exc.strerror}") from None
    report = load_report(text, str(path))
    if args.comment not in ("always", "on-failure", "never"):
        raise UsageError(f"GATES_COMMENT: expected always, on-failure or never: {args.comment!r}")
    env = dict(os.environ)
    ctx = load_context(env, require_repo=not args.dry_run)

    from gates.github.client import client_from_env
    from gates.github.publish import PublishOptions, publish_report

    options = PublishOptions(args.check_name, args.comment, args.statuses, args.dry_run)
    result = publish_report(report, path, ctx, options, env, sys.stdout, client_from_env)
    sys.stdout.flush()
    verdict_code = EXIT_PASS if report.verdict.value == "pass" else EXIT_FAIL
    if args.strict_publish and (result.errors or (result.fallback and not ctx.is_fork)):
        print("gates: publishing failed (--strict-publish)", file=sys.stderr)
        return EXIT_FAIL
    return verdict_code


def cmd_run(args: argparse.Namespace) -> int:
    from gates.app import run
    from gates.registry import REGISTRY
    from gates.reporters.terminal import render_report

    args.path, files = _run_targets(args)
    base, head = _staged_revisions(args) if args.staged else (args.base, args.head)
    request = _request(
        args,
        base=base,
        head=head,
        new=args.new,
        fail_on=args.fail_on,
        config_from=args.config_from,
        files=files,
    )
    stop = threading.Event()
    view = _view(args)
    with _live_progress(stop, view) as progress:
        outcome = run(request, REGISTRY, progress, stop)
    sys.stdout.write(render_report(outcome.report, view))
    if not args.quiet:
        print(f"reports: {', '.join(str(p) for p in outcome.written)}")
    _step_outputs(outcome.report, outcome.written)
    if stop.is_set():
        return 130
    return EXIT_PASS if outcome.report.verdict.value == "pass" else EXIT_FAIL


def _run_targets(args: argparse.Namespace) -> tuple[Path, tuple[str, ...] | None]:
    """The repository, and with --files the repository paths of the files named (relative to
    the current directory, whose repository it is), as pre-commit runs a hook."""
    paths: list[Path] = args.path
    if not args.files:
        if len(paths) > 1:
            raise UsageError("run takes one repository; to check some files, add --files")
        return (paths[0] if paths else Path()), None
    from gates.diff import repo_relative
    from gates.git import repo_root

    root = repo_root(Path.cwd())
    return root, repo_relative(root, paths, Path.cwd())


def _staged_revisions(args: argparse.Namespace) -> tuple[str | None, str]:
    """--staged: base HEAD, head a commit of the index (see gates.git.staged_commit)."""
    from gates.git import Git, repo_root, staged_commit

    if args.base is not None or args.head != "HEAD":
        raise UsageError("--staged compares the index with HEAD; it takes no --base or --head")
    head, base = staged_commit(Git(repo_root(args.path)))
    return base, head


def cmd_merge(args: argparse.Namespace) -> int:
    from gates.app import write_reports
    from gates.merge import load_reports, merge_reports
    from gates.reporters.terminal import render_report

    report = merge_reports(load_reports(args.reports))
    written = write_reports(report, args.output_dir.resolve())
    sys.stdout.write(render_report(report, _view(args)))
    if not args.quiet:
        print(f"reports: {', '.join(str(p) for p in written)}")
    _step_outputs(report, written)
    return EXIT_PASS if report.verdict.value == "pass" else EXIT_FAIL


def _step_outputs(report: Report, written: Sequence[Path]) -> None:
    """Under Actions, the step outputs (verdict, report, sarif, findings) for later steps; a
    runner file that cannot be written is a warning, never a changed verdict."""
    from gates.github.workflow import report_outputs, write_outputs

    (report_path,) = [p for p in written if p.name == "gates.json"]
    try:
        write_outputs(report_outputs(report, report_path), os.environ)
    except OSError as exc:
        print(f"gates: warning: cannot write GITHUB_OUTPUT: {exc}", file=sys.stderr)


@contextlib.contextmanager
def _live_progress(
    stop: threading.Event, view: TerminalView
) -> Iterator[PlainProgress | LiveProgress | QuietProgress]:
    """The run's progress display, with SIGINT/SIGTERM trapped for as long as it lasts."""
    from gates.reporters.terminal import make_progress

    restore = _trap_signals(stop)
    progress = make_progress(sys.stdout, view)
    try:
        yield progress
    finally:
        progress.close()
        restore()


def _trap_signals(stop: threading.Event) -> Callable[[], None]:
    """On SIGINT/SIGTERM: stop starting gates, kill running tools, still write the report."""
    from gates.proc import kill_all_children

    def handler(signum: int, frame: FrameType | None) -> None:
        del frame
        if stop.is_set():
            raise KeyboardInterrupt
        print(
            f"\ngates: {signal.Signals(signum).name} received; stopping gates, writing a "
            "partial report",
            file=sys.stderr,
            flush=True,
        )
        stop.set()
        kill_all_children()

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


# Commands that run the PR's code (through its tests) and never need a credential.
_UNTRUSTED_COMMANDS = ("run", "baseline")
_SCRUBBED_MARK = "GATES_ENV_SCRUBBED"


def entry() -> int:
    """The program entry (`gates`, `python -m gates`).

    `run` starts tools that execute the PR's code, and that code can read the environment of
    its ancestors in /proc/<pid>/environ, which no later change to os.environ erases. So when
    the environment holds a credential, `run` first replaces itself with a copy of itself
    started without any: the token is then not in this process at all. What `pass_env` may
    still name crosses over in memory, not in the environment (gates.passenv).
    """
    argv = sys.argv[1:]
    command = next((a for a in argv if not a.startswith("-")), "")
    held: dict[str, str] = {}
    if command in _UNTRUSTED_COMMANDS and os.environ.get(_SCRUBBED_MARK):
        from gates.passenv import take_over

        held = take_over(os.environ)
    elif command in _UNTRUSTED_COMMANDS:
        from gates.passenv import hand_over
        from gates.proc import is_secret_name, scrubbed_env

        if any(is_secret_name(key) for key in os.environ):
            env = {**scrubbed_env(), _SCRUBBED_MARK: "1", **hand_over(os.environ, argv)}
            for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
                if name in os.environ:  # gates itself still writes the outputs and summary
                    env[name] = os.environ[name]
            os.execve(sys.executable, [sys.executable, "-m", "gates", *argv], env)  # noqa: S606
    return main(argv, held)


def main(argv: Sequence[str] | None = None, held: Mapping[str, str] | None = None) -> int:
    """Parse and run a command; `held`: the variables `entry` carried over the re-exec."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        args.held_env = dict(held or {})
        if not getattr(args, "handler", None):
            parser.print_help()
            return EXIT_USAGE
        code: int = args.handler(args)
        return code
    except UsageError as exc:
        print(f"gates: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gates: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: a bug, not the user's fault
        if os.environ.get("GATES_DEBUG"):
            traceback.print_exc()
        print(
            f"gates: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in gates; rerun with GATES_DEBUG=1 for the traceback.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
