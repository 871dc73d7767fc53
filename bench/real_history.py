"""Replay the change-judging gates over real projects' merged PRs, to find their false positives.

    .venv/bin/python bench/real_history.py CLONE [CLONE ...] [--commits N] [--skip N]
        [--paths GLOBS] [--online] [--gates-src DIR] [--out DIR] [--json FILE] [--labels FILE]
    .venv/bin/python bench/real_history.py --rows RUN.json [--rows ...] --labels FILE

Each CLONE is a full (non-bare) clone of a project nobody here wrote, e.g.
`git clone /work/.mirror/pallets+click/repo /tmp/real_hist/click`. The script checks commits out
INSIDE that clone (`git checkout --detach`) and puts its branch back at the end: never point it
at this repository or at a clone someone else is using.

Which commits: the last N first-parent commits of the clone's default branch (`origin/HEAD`,
else `HEAD`) whose change against their first parent touches tests, CI or packaging files
(`INTERESTING`). A merge's first-parent diff is the PR merged; a project that squash-merges
has one commit per PR on that line, so the same rule serves both (base C^1, head C).

Each commit is one `python -m gates run CLONE --base C^1 --head C --stages GATES` with a config
that sets the dependencies gate offline (`online = "never"`); `--online` runs each commit that
touched a manifest a second time with `online = "always"` (PyPI), the dependencies gate only.
Sequential, one run at a time: the figures are the gates' findings and wall time per commit.

Output: per commit, the new findings of the five gates (gate, rule, severity, path:line,
message); then per gate the commits where it ran, its findings by rule and the median wall
time; `--json` writes every row. `--labels FILE` (TOML: `[[label]]` tables with `commit`
(a prefix), `gate`, `rule`, `verdict = "true" | "fp"`, optional `path`, `line`, `message`
(a substring), `cause`, `reason`; the first label that matches wins) adds true/false-positive
counts and the rate of false positives per 100 commits, per gate.
No timing is asserted: this is a benchmark.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
GATES = ("test-integrity", "checks-weakened", "workflow-security", "dependencies", "agent-config")
RUN_TIMEOUT_S = 600
MESSAGE_WIDTH = 160
# Globs (fnmatch on the whole path) of what the five gates read: tests, CI, packaging, agents.
INTERESTING = (
    "test/*",
    "tests/*",
    "testing/*",
    "*/tests/*",
    "*test_*.py",
    "*_test.py",
    "*conftest.py",
    ".github/*",
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "tox.ini",
    "noxfile.py",
    "pytest.ini",
    "mypy.ini",
    ".coveragerc",
    ".flake8",
    "ruff.toml",
    ".pre-commit-config.yaml",
    "*requirements*",
    "*.lock",
    "Pipfile",
    "AGENTS.md",
    "CLAUDE.md",
    "*/AGENTS.md",
    "*/CLAUDE.md",
    ".cursor/*",
    ".cursorrules",
    ".mcp.json",
)


@dataclass(frozen=True)
class Commit:
    """A PR as the default branch recorded it: its first parent is the base."""

    sha: str
    subject: str
    files: tuple[str, ...]


@dataclass
class Row:
    """One `gates run`: per gate its status, and the new findings of the gates measured."""

    project: str
    sha: str
    subject: str
    mode: str
    wall_s: float
    statuses: dict[str, str] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    findings: list[dict[str, object]] = field(default_factory=list)
    problem: str = ""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {repo}: {done.stderr.strip()[:200]}")
    return done.stdout


def default_branch(repo: Path) -> str:
    """`origin/HEAD` for a clone (its HEAD may be left detached by an earlier run), else HEAD."""
    try:
        return git(repo, "rev-parse", "--abbrev-ref", "origin/HEAD").strip()
    except RuntimeError:
        return git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()


def interesting(path: str, globs: Sequence[str] = INTERESTING) -> bool:
    return any(fnmatch.fnmatchcase(path, glob) for glob in globs)


def first_parent_prs(
    repo: Path,
    ref: str,
    limit: int,
    globs: Sequence[str] = INTERESTING,
    skip: int = 0,
    scan: int = 3000,
) -> list[Commit]:
    """The last `limit` first-parent commits of `ref` (not the root) touching `globs`, after
    the `skip` newest such commits (an earlier run's)."""
    picked: list[Commit] = []
    log = git(repo, "log", "--first-parent", f"-{scan}", "--format=%H%x00%P%x00%s", ref)
    for line in log.splitlines():
        sha, parents, subject = line.split("\0", 2)
        if not parents:
            continue
        files = git(repo, "diff", "--name-only", "--no-renames", f"{sha}^1", sha).split()
        if any(interesting(f, globs) for f in files):
            picked.append(Commit(sha, pr_title(repo, sha, subject), tuple(files)))
            if len(picked) >= skip + limit:
                break
    return picked[skip:]


def pr_title(repo: Path, sha: str, subject: str) -> str:
    """A "Merge pull request #N from ..." subject says little: the PR's title is the body's
    first line."""
    if not subject.startswith("Merge pull request"):
        return subject
    body = git(repo, "log", "-1", "--format=%b", sha).strip().splitlines()
    return f"{subject.split(' from ')[0]}: {body[0]}" if body else subject


def write_config(out: Path, online: bool) -> Path:
    config = out / ("online.toml" if online else "offline.toml")
    config.write_text(f'[dependencies]\nonline = "{"always" if online else "never"}"\n')
    return config


def run_commit(
    repo: Path, commit: Commit, gates: Sequence[str], config: Path, out: Path, src: Path
) -> Row:
    """Check the commit out in the clone and run gates on it; read gates.json."""
    git(repo, "checkout", "-q", "-f", "--detach", commit.sha)
    report_dir = Path(tempfile.mkdtemp(prefix=f"{repo.name}-{commit.sha[:10]}-", dir=out))
    argv = [str(PYTHON), "-m", "gates", "run", str(repo), "--base", f"{commit.sha}^1"]
    argv += ["--head", commit.sha, "--stages", ",".join(gates), "--config", str(config)]
    argv += ["--output-dir", str(report_dir), "--no-progress", "-q"]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv, cwd=src, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        done = None
    wall = time.perf_counter() - started
    mode = "online" if config.name.startswith("online") else "offline"
    row = Row(repo.name, commit.sha, commit.subject, mode, round(wall, 3))
    report = report_dir / "gates.json"
    if not report.exists():
        tail = "timed out" if done is None else done.stderr.strip()[-300:]
        row.problem = f"no gates.json: {tail}"
        return row
    read_report(json.loads(report.read_text(encoding="utf-8")), gates, row)
    return row


def read_report(data: dict[str, object], gates: Sequence[str], row: Row) -> None:
    """Statuses of the measured gates and their new, unsuppressed findings."""
    results = data.get("gates")
    for gate in results if isinstance(results, list) else []:
        if gate.get("name") not in gates:
            continue
        row.statuses[gate["name"]] = gate["status"]
        row.durations[gate["name"]] = float(gate.get("duration_s") or 0.0)
        if gate["status"] == "error":
            row.problem += f"{gate['name']} error: {str(gate.get('detail', ''))[:200]} "
        for finding in gate.get("findings", []):
            if finding.get("new") and not finding.get("suppressed"):
                row.findings.append(finding_row(finding, gate))


def finding_row(finding: dict[str, object], gate: dict[str, object]) -> dict[str, object]:
    blocking = severity_rank(str(finding["severity"])) >= severity_rank(str(gate["fail_on"]))
    return {
        "gate": finding["gate"],
        "rule": finding["rule"],
        "severity": finding["severity"],
        "blocking": blocking,
        "path": finding.get("path"),
        "line": finding.get("line"),
        "message": finding["message"],
    }


def severity_rank(name: str) -> int:
    return {"note": 1, "warning": 2, "error": 3}.get(name, 4)


@dataclass(frozen=True)
class Label:
    """A reviewer's reading of one finding against the commit's diff."""

    commit: str
    gate: str
    rule: str
    verdict: str
    path: str = ""
    line: int = 0
    message: str = ""
    cause: str = ""
    reason: str = ""

    def matches(self, row: Row, finding: dict[str, object]) -> bool:
        return (
            row.sha.startswith(self.commit)
            and finding["gate"] == self.gate
            and finding["rule"] == self.rule
            and (not self.path or finding.get("path") == self.path)
            and (not self.line or finding.get("line") == self.line)
            and self.message in str(finding["message"])
        )


def load_labels(path: Path | None) -> list[Label]:
    if path is None:
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Label(**entry) for entry in data.get("label", [])]


def label_of(labels: Sequence[Label], row: Row, finding: dict[str, object]) -> Label | None:
    return next((label for label in labels if label.matches(row, finding)), None)


def summary(
    rows: Sequence[Row], labels: Sequence[Label], gates: Sequence[str] = GATES
) -> list[str]:
    """A markdown table: per gate, commits run, findings, labelled true / FP, FP findings per
    100 commits and the commits with at least one FP (what a team would see as a wrong alarm)."""
    lines = [
        "| gate | commits | ran | findings | blocking | true | FP | unlabelled | FP/100 "
        "| PRs with FP | rules |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for gate in gates:
        mine = [r for r in rows if gate in r.statuses]
        ran = sum(1 for r in mine if r.statuses[gate] not in ("skip", "skipped"))
        found = [(r, f) for r in mine for f in r.findings if f["gate"] == gate]
        verdicts = Counter(_verdict(labels, r, f) for r, f in found)
        rules = Counter(str(f["rule"]) for _, f in found)
        blocking = sum(1 for _, f in found if f["blocking"])
        rate = 100 * verdicts["fp"] / len(mine) if mine else 0.0
        fp_prs = len({r.sha for r, f in found if _verdict(labels, r, f) == "fp"})
        lines.append(
            f"| {gate} | {len(mine)} | {ran} | {len(found)} | {blocking} | {verdicts['true']} "
            f"| {verdicts['fp']} | {verdicts['?']} | {rate:.1f} | {fp_prs} | {_rules(rules)} |"
        )
    return lines


def _verdict(labels: Sequence[Label], row: Row, finding: dict[str, object]) -> str:
    label = label_of(labels, row, finding)
    return label.verdict if label else "?"


def _rules(rules: Counter[str]) -> str:
    return ", ".join(f"{rule} {count}" for rule, count in sorted(rules.items()))


def false_positives(rows: Sequence[Row], labels: Sequence[Label]) -> list[str]:
    """The false positives grouped by their labelled cause, so a gate's owner fixes a class."""
    groups: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        for finding in row.findings:
            label = label_of(labels, row, finding)
            if label and label.verdict == "fp":
                message = str(finding["message"])[:MESSAGE_WIDTH]
                groups[f"{finding['gate']}: {label.cause}"].append(
                    f"  {row.project} {row.sha[:10]} {finding['rule']}: {message} -- {label.reason}"
                )
    return [line for cause in sorted(groups) for line in (cause, *groups[cause])]


def print_row(row: Row) -> None:
    status = " ".join(f"{g}={s}" for g, s in row.statuses.items() if s not in ("skip", "skipped"))
    print(f"{row.project} {row.sha[:10]} {row.mode} {row.wall_s:.1f}s {status} {row.subject}")
    if row.problem:
        print(f"    PROBLEM {row.problem}")
    for f in row.findings:
        where = f"{f['path']}:{f['line']}"
        message = str(f["message"])[:MESSAGE_WIDTH]
        print(f"    {f['gate']}/{f['rule']} {f['severity']} {where} {message}")


def touches_manifest(commit: Commit) -> bool:
    names = ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile", "uv.lock", "poetry.lock")
    return any(f.rsplit("/", 1)[-1] in names or "requirements" in f for f in commit.files)


def replay(repo: Path, args: argparse.Namespace, configs: tuple[Path, Path]) -> list[Row]:
    """Every picked commit of one clone, offline, then the manifest ones online if asked;
    the clone's branch is checked out again at the end."""
    ref = default_branch(repo)
    rows = []
    try:
        for commit in first_parent_prs(repo, ref, args.commits, args.paths, args.skip):
            rows.append(run_commit(repo, commit, GATES, configs[0], args.out, args.gates_src))
            print_row(rows[-1])
            if args.online and touches_manifest(commit):
                only = ("dependencies",)
                rows.append(run_commit(repo, commit, only, configs[1], args.out, args.gates_src))
                print_row(rows[-1])
    finally:
        git(repo, "checkout", "-q", "-f", ref.removeprefix("origin/"))
    return rows


def timing(rows: Sequence[Row]) -> list[str]:
    """The wall time of a whole `gates run` per commit, then each gate's own time where it ran."""
    walls = sorted(r.wall_s for r in rows if r.mode == "offline")
    if not walls:
        return ["no run"]
    lines = [f"wall time per commit (five gates, offline): {_spread(walls)}, over {len(walls)}"]
    for gate in GATES:
        took = sorted(
            r.durations.get(gate, 0.0)
            for r in rows
            if r.mode == "offline" and r.statuses.get(gate) not in (None, "skip", "skipped")
        )
        if took:
            lines.append(f"  {gate}: {_spread(took)}, over {len(took)} commits it ran on")
    return lines


def _spread(values: Sequence[float]) -> str:
    p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
    return (
        f"median {statistics.median(values):.2f} s, p90 {p90:.2f} s, max {values[-1]:.2f} s, "
        f"total {sum(values):.0f} s"
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clones", nargs="*", type=Path, help="full clones to check out in")
    parser.add_argument(
        "--rows",
        type=Path,
        action="append",
        default=[],
        help="a --json file of an earlier run: summarised (with --labels) instead of running",
    )
    parser.add_argument("--commits", type=int, default=40, help="commits per project")
    parser.add_argument("--skip", type=int, default=0, help="newest picked commits to pass over")
    parser.add_argument(
        "--paths",
        type=lambda text: tuple(text.split(",")),
        default=INTERESTING,
        help="comma-separated globs a picked commit touches (default: tests, CI, packaging)",
    )
    parser.add_argument("--online", action="store_true", help="also dependencies on PyPI")
    parser.add_argument("--gates-src", type=Path, default=ROOT, help="the gates to run")
    parser.add_argument("--out", type=Path, default=None, help="where reports go")
    parser.add_argument("--json", type=Path, default=None, help="write every row here")
    parser.add_argument("--labels", type=Path, default=None, help="TOML labels of findings")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    args.out = (args.out or Path(tempfile.mkdtemp(prefix="real_history-"))).resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    args.gates_src = args.gates_src.resolve()
    configs = (write_config(args.out, online=False), write_config(args.out, online=True))
    rows = [Row(**row) for path in args.rows for row in json.loads(path.read_text())]
    for clone in args.clones:
        rows += replay(clone.resolve(), args, configs)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1) + "\n")
    labels = load_labels(args.labels)
    rows = list({(r.project, r.sha, r.mode): r for r in rows}.values())  # runs may overlap
    offline = [r for r in rows if r.mode == "offline"]
    print("\n".join(["", *summary(offline, labels), "", *timing(rows)]))
    online = [r for r in rows if r.mode == "online"]
    if online:
        print("\nonline (dependencies on PyPI, manifest commits):")
        print("\n".join(summary(online, labels, ("dependencies",))))
    fps = false_positives(offline + online, labels)
    print("\n".join(["", "false positives by cause:", *fps] if fps else []))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
