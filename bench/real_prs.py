"""Run `gates run` on real projects' real merged PRs, each in the project's own test environment.

    .venv/bin/python bench/real_prs.py [--projects click,requests] [--prs-per-project 3]
        [--clones DIR] [--cache DIR] [--jobs N] [--stages LIST] [--json FILE]
        [--gates-src DIR] [--tools-in-project-env]

Where the history comes from, first found wins, per project:
  1. `--clones DIR/<name>`: a full clone of the project, e.g. `git clone
     https://github.com/pallets/click DIR/click` (in a sandbox with the `fetch` tool: fetch
     `github:pallets/click`, then `git clone /work/.mirror/pallets+click/repo DIR/click`);
  2. the fetch tool's mirror, `/work/.mirror/<owner>+<name>/repo`, cloned into the cache;
  3. two consecutive releases' sdists from PyPI, committed as base and head (one "PR").
Nothing fetched is kept in this repository: clones, venvs and reports live under `--cache`.

A PR is a first-parent commit whose subject is "Merge pull request #N" or ends in "(#N)" (a
merge, or a squash or rebase merge): base C^1, head C. For a merge that is the tree GitHub's
`pull_request` event checks out (refs/pull/N/merge), where M^2 can be a branch weeks behind M^1.
Only PRs that change a Python file count.

Each project gets its own venv, installed as its CI installs it (`PROJECTS`' recipes): the
locked dependency group from uv.lock (exported by uv, installed by pip), a pyproject dependency
group, or a requirements file; then the project itself, editable, from a per-project checkout
that each PR's head is checked out into. gates runs from this repository's venv and is pointed
at the project's interpreter with `GATES_PYTHON`. `--gates-src` runs another gates than this
working tree's (e.g. a commit's `git archive HEAD gates`, so edits in progress do not change the
figures mid-run); `--tools-in-project-env` is a diagnostic for a gates that runs every tool with
the project's interpreter (as gates did before it had two environments). No timing is asserted:
this is a benchmark. Prints, per PR, the verdict, the wall time and every gate that is not
`pass` with its first blocking finding; then a markdown table and the rows as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GATES_PYTHON = ROOT / ".venv" / "bin" / "python"
MIRRORS = Path("/work/.mirror")
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "real_prs"
RUN_TIMEOUT_S = 1800
MESSAGE_WIDTH = 140
TOOLS = ("ruff", "mypy", "bandit", "semgrep", "coverage", "pip-audit")


@dataclass(frozen=True)
class Recipe:
    """How the project's CI builds its test environment.

    kind: "uv-lock" (the dependency group as locked in uv.lock, as `uv run --locked` and
    tox-uv's lock runner install it), "group" (a pyproject dependency group, as nox's
    `dependency_groups` installs it), or "requirements" (a pip requirements file).
    """

    kind: str
    what: str
    extras: str = ""


@dataclass(frozen=True)
class Project:
    github: str  # owner/name
    recipe: Recipe
    releases: tuple[str, str]  # the sdist fallback: base and head versions
    ci: str  # where the recipe was read from, for the reader


PROJECTS: Mapping[str, Project] = {
    "click": Project(
        "pallets/click", Recipe("uv-lock", "tests"), ("8.1.7", "8.1.8"), "tox env_run_base"
    ),
    "itsdangerous": Project(
        "pallets/itsdangerous", Recipe("uv-lock", "tests"), ("2.1.1", "2.1.2"), "tox"
    ),
    "markupsafe": Project(
        "pallets/markupsafe", Recipe("uv-lock", "tests"), ("3.0.1", "3.0.2"), "tox"
    ),
    "packaging": Project(
        "pypa/packaging", Recipe("group", "test"), ("24.1", "24.2"), "noxfile.py tests"
    ),
    "requests": Project(
        "psf/requests",
        Recipe("requirements", "requirements-dev.txt"),
        ("2.32.2", "2.32.3"),
        "Makefile init, run-tests.yml",
    ),
    "attrs": Project(
        "python-attrs/attrs", Recipe("uv-lock", "cov"), ("24.2.0", "24.3.0"), "tox 3.10-tests"
    ),
}
DEFAULT_PROJECTS = "click,itsdangerous,markupsafe,packaging,requests"

MERGE_SUBJECT = re.compile(r"^Merge pull request #(\d+)")
SQUASH_SUBJECT = re.compile(r"\(#(\d+)\)\s*$")


@dataclass(frozen=True)
class PR:
    number: int
    base: str
    head: str
    subject: str


@dataclass
class Row:
    project: str
    pr: str
    base: str
    head: str
    files: int
    py_files: int
    verdict: str
    wall_s: float
    problems: list[str] = field(default_factory=list)


# --- PR selection (pure, tested) -----------------------------------------------------------


def parse_log(text: str) -> list[PR]:
    """PRs from `git log --first-parent --format=%H%x00%P%x00%s`, newest first."""
    prs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        sha, parents, subject = line.split("\x00", 2)
        pr = _as_pr(sha, parents.split(), subject)
        if pr is not None:
            prs.append(pr)
    return prs


def _as_pr(sha: str, parents: Sequence[str], subject: str) -> PR | None:
    """A merge of a PR is judged as `pull_request` CI sees it: the merge result against the
    branch it went into (base M^1, head M; M^2 may predate M^1 by weeks)."""
    number = MERGE_SUBJECT.match(subject) or SQUASH_SUBJECT.search(subject)
    if number is None or not parents or len(parents) > 2:
        return None
    return PR(int(number.group(1)), parents[0], sha, subject)


def select_prs(repo: Path, count: int, rev: str = "HEAD") -> list[PR]:
    """The newest `count` PRs on the first-parent history of `rev` that change Python files."""
    log = git(repo, "log", "--first-parent", "--format=%H%x00%P%x00%s", rev)
    chosen = []
    for pr in parse_log(log):
        if python_files(changed_files(repo, pr.base, pr.head)):
            chosen.append(pr)
            if len(chosen) == count:
                break
    return chosen


def changed_files(repo: Path, base: str, head: str) -> list[str]:
    out = git(repo, "diff", "--name-only", "--no-renames", base, head)
    return [line for line in out.splitlines() if line]


def python_files(files: Iterable[str]) -> list[str]:
    return [f for f in files if f.endswith((".py", ".pyi"))]


# --- rendering (pure, tested) ----------------------------------------------------------------


def render_table(rows: Sequence[Row]) -> str:
    """The rows as a markdown table: one line per PR, problems joined by `; `."""
    lines = [
        "| project | PR | base..head | files (py) | verdict | wall s | not pass |",
        "| --- | --- | --- | --- | --- | ---: | --- |",
    ]
    for r in rows:
        problems = "; ".join(_cell(p) for p in r.problems) or "-"
        lines.append(
            f"| {r.project} | {r.pr} | {r.base[:9]}..{r.head[:9]} | {r.files} ({r.py_files}) "
            f"| {r.verdict} | {r.wall_s:.1f} | {problems} |"
        )
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def gate_problems(report: Mapping[str, object]) -> list[str]:
    """Every gate that is not `pass`: `name status: rule message` of its first blocking finding
    (or its detail when none blocks)."""
    problems = []
    for gate in report.get("gates", []):  # type: ignore[attr-defined]
        if gate["status"] == "pass":
            continue
        problems.append(f"{gate['name']} {gate['status']}: {_first_reason(gate)}")
    return problems


def _first_reason(gate: Mapping[str, object]) -> str:
    blocking = [f for f in gate["findings"] if _blocks(f, str(gate["fail_on"]))]  # type: ignore[attr-defined]
    if blocking:
        f = blocking[0]
        where = f"{f['path']}:{f['line']}" if f.get("path") else ""
        more = f" (+{len(blocking) - 1} more)" if len(blocking) > 1 else ""
        text = f"{f['rule']} {where} {f['message']}".strip()
        return _truncate(text) + more
    return _truncate(str(gate.get("detail") or "no blocking finding"))


_RANKS = {"note": 1, "warning": 2, "error": 3}


def _blocks(finding: Mapping[str, object], fail_on: str) -> bool:
    """The rule of gates.model.Finding.blocks, on the JSON form of a finding."""
    if fail_on == "never" or finding.get("suppressed") or not finding.get("new"):
        return False
    return _RANKS[str(finding["severity"])] >= _RANKS.get(fail_on, 3)


def _truncate(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MESSAGE_WIDTH else flat[: MESSAGE_WIDTH - 3] + "..."


# --- sources ---------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def source_repo(name: str, clones: Path | None, cache: Path) -> Path:
    """A full clone of the project: given, cloned from the fetch tool's mirror, or built from
    two sdists."""
    if clones is not None and (clones / name / ".git").exists():
        return clones / name
    local = cache / name / "clone"
    if (local / ".git").exists():
        return local
    mirror = MIRRORS / PROJECTS[name].github.replace("/", "+") / "repo"
    if mirror.is_dir():
        subprocess.run(["git", "clone", "-q", str(mirror), str(local)], check=True)
        return local
    return sdist_repo(name, local, cache / name / "dist")


def sdist_repo(name: str, repo: Path, dist: Path) -> Path:
    """Two releases' sdists as two commits, each with a subject that reads as a squashed PR."""
    older, newer = PROJECTS[name].releases
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "bench@example.com")
    git(repo, "config", "user.name", "bench")
    for number, version in enumerate((older, newer)):
        _replace_tree(repo, _download_sdist(name, version, dist))
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", f"{name} {version} (#{number})")
    return repo


def _download_sdist(name: str, version: str, dist: Path) -> Path:
    target = dist / version
    if not target.is_dir():
        pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*pip, f"{name}=={version}", "-d", str(target)], check=True)
    unpacked = dist / f"{version}-src"
    if not unpacked.is_dir():
        with tarfile.open(next(target.glob("*.tar.gz"))) as tar:
            tar.extractall(unpacked, filter="data")
    return next(unpacked.iterdir())


def _replace_tree(repo: Path, source: Path) -> None:
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(source, repo, dirs_exist_ok=True)


def checkout_dir(name: str, clone: Path, cache: Path, rev: str) -> Path:
    """The project's working checkout (a worktree of the clone), where each PR's head goes and
    where the venv's editable install points."""
    work = cache / name / "checkout"
    if not (work / ".git").exists():
        git(clone, "worktree", "prune")
        git(clone, "worktree", "add", "-q", "--detach", "-f", str(work), rev)
    return work


def check_out(work: Path, rev: str) -> None:
    """The PR's head, and nothing else that is not ignored (build artifacts stay)."""
    git(work, "checkout", "-q", "--detach", "-f", rev)
    git(work, "clean", "-fdq")


# --- the project's environment ---------------------------------------------------------------


def project_venv(name: str, work: Path, cache: Path, with_tools: bool) -> Path:
    """The project's venv, made once: its CI's test dependencies, then the project, editable.

    `with_tools`: a second venv that also holds gates' tools (constraints.txt), the project's
    own pins installed again after them so they win. A diagnostic for a gates that runs every
    tool with the project's interpreter: what its gates say once the tools are found.
    """
    venv = cache / name / ("venv-tools" if with_tools else "venv")
    python = venv / "bin" / "python"
    if python.exists():
        add_test_tools(python)
        return python
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--upgrade", "pip>=25.1"], check=True)  # for --group
    if with_tools:
        subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), *TOOLS], check=True)
    recipe = PROJECTS[name].recipe
    subprocess.run([*pip, *install_args(recipe, work, cache / name)], cwd=work, check=True)
    target = f"{work}[{recipe.extras}]" if recipe.extras else str(work)
    subprocess.run([*pip, "--no-deps", "-e", target], cwd=work, check=True)
    add_test_tools(python)
    return python


def add_test_tools(python: Path) -> None:
    """What the action's `install-test-tools: true` does: pytest and coverage, only those the
    project's environment lacks (click's CI measures coverage in a job of its own)."""
    missing = [
        name
        for name in ("pytest", "coverage")
        if subprocess.run([str(python), "-c", f"import {name}"], capture_output=True).returncode
    ]
    if missing:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *missing], check=True)


def install_args(recipe: Recipe, work: Path, home: Path) -> list[str]:
    """pip arguments for the project's test dependencies, as its CI resolves them; a checkout
    without the recipe's file (an sdist) falls back to its requirements files, then pytest."""
    if recipe.kind == "uv-lock" and (work / "uv.lock").exists():
        return ["-r", str(uv_export(recipe.what, work, home))]
    if recipe.kind == "group" and (work / "pyproject.toml").exists():
        return ["--group", f"{work / 'pyproject.toml'}:{recipe.what}", "-e", str(work)]
    if recipe.kind == "requirements" and (work / recipe.what).exists():
        return ["-r", str(work / recipe.what)]
    for candidate in ("requirements/tests.txt", "requirements-dev.txt", "tests/requirements.txt"):
        if (work / candidate).exists():
            return ["-r", str(work / candidate), "-e", str(work)]
    return ["pytest", "-e", str(work)]


def uv_export(group: str, work: Path, home: Path) -> Path:
    """The group's locked requirements (with the project's own dependencies), from uv.lock."""
    uv = uv_binary(home.parent)
    out = home / f"locked-{group}.txt"
    argv = [str(uv), "export", "--frozen", "--no-hashes", "--no-header", "--no-emit-project"]
    argv += ["--no-default-groups", "--group", group, "-o", str(out)]
    subprocess.run(argv, cwd=work, check=True, stdout=subprocess.DEVNULL)
    return out


def uv_binary(cache: Path) -> Path:
    """uv, from PyPI into a venv of its own: only to read uv.lock."""
    venv = cache / "uv-venv"
    uv = venv / "bin" / "uv"
    if not uv.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "uv"], check=True
        )
    return uv


# --- running gates ---------------------------------------------------------------------------


def gates_argv(work: Path, base: str, out: Path, args: argparse.Namespace) -> list[str]:
    argv = [str(GATES_PYTHON), "-m", "gates", "run", str(work), "--base", base]
    argv += ["--output-dir", str(out)]
    if args.stages:
        argv += ["--stages", args.stages]
    config = config_lines(args.jobs)
    if config:
        path = out / "gates-config.toml"
        path.write_text("".join(config), encoding="utf-8")
        argv += ["--config", str(path)]
    return argv


def config_lines(jobs: int | None) -> list[str]:
    """A config file only when needed: it replaces the project's own gates config."""
    return [f"jobs = {jobs}\n"] if jobs else []


def gates_env(python: Path, out: Path) -> dict[str, str]:
    """Cold caches every run: a figure for this PR, not for the last time it ran."""
    return {**os.environ, "GATES_PYTHON": str(python), "GATES_CACHE_DIR": str(out / "cache")}


def run_pr(name: str, pr: PR, work: Path, python: Path, args: argparse.Namespace) -> Row:
    check_out(work, pr.head)
    files = changed_files(work, pr.base, pr.head)
    out = Path(tempfile.mkdtemp(prefix=f"{name}-{pr.number}-", dir=args.cache / "runs"))
    argv = gates_argv(work, pr.base, out, args)
    started = time.perf_counter()
    with (out / "gates.log").open("w", encoding="utf-8") as log:
        done = subprocess.run(
            argv,
            cwd=args.gates_src,  # `python -m gates` imports the gates found here first
            env=gates_env(python, out),
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
    wall = time.perf_counter() - started
    row = Row(
        name, f"#{pr.number}", pr.base, pr.head, len(files), len(python_files(files)), "", wall
    )
    report = out / "gates.json"
    if report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
        row.verdict, row.problems = data["verdict"], gate_problems(data)
    else:
        row.verdict = f"exit {done.returncode}"
        row.problems = [f"no report; see {out / 'gates.log'}"]
    return row


def print_row(row: Row, subject: str) -> None:
    print(
        f"\n{row.project} {row.pr} {row.base[:9]}..{row.head[:9]}  {subject[:70]}\n"
        f"  files {row.files} ({row.py_files} py)  verdict {row.verdict}  wall {row.wall_s:.1f} s"
    )
    for problem in row.problems:
        print(f"  - {problem}")
    sys.stdout.flush()


def run_project(name: str, args: argparse.Namespace) -> list[Row]:
    clone = source_repo(name, args.clones, args.cache)
    prs = select_prs(clone, args.prs_per_project)
    if not prs:
        print(f"\n{name}: no PR that changes Python files in {clone}")
        return []
    work = checkout_dir(name, clone, args.cache, prs[0].head)
    check_out(work, prs[0].head)
    python = project_venv(name, work, args.cache, args.tools_in_project_env)
    rows = []
    for pr in prs:
        row = run_pr(name, pr, work, python, args)
        print_row(row, pr.subject)
        rows.append(row)
    return rows


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", default=DEFAULT_PROJECTS, help=f"of {', '.join(PROJECTS)}")
    parser.add_argument("--prs-per-project", type=int, default=3)
    parser.add_argument("--clones", type=Path, help="a directory of full clones, DIR/<name>")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE / "cache")
    parser.add_argument("--jobs", type=int, help="gates' parallel gates (config `jobs`)")
    parser.add_argument("--stages", help="passed to `gates run --stages`")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument(
        "--gates-src",
        type=Path,
        default=ROOT,
        help="a directory holding the `gates` package to run, e.g. `git archive HEAD gates` "
        "unpacked (default: this working tree)",
    )
    parser.add_argument(
        "--tools-in-project-env",
        action="store_true",
        help="diagnostic: a second project venv that also holds gates' tools",
    )
    args = parser.parse_args(argv)
    unknown = set(args.projects.split(",")) - set(PROJECTS)
    if unknown:
        parser.error(f"unknown project(s): {', '.join(sorted(unknown))}")
    args.cache = args.cache.resolve()
    args.gates_src = args.gates_src.resolve()
    (args.cache / "runs").mkdir(parents=True, exist_ok=True)
    return args


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    rows: list[Row] = []
    for name in args.projects.split(","):
        rows.extend(run_project(name, args))
    print("\n" + render_table(rows))
    dump = json.dumps([asdict(r) for r in rows], indent=2)
    print(dump)
    if args.json:
        args.json.write_text(dump + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
