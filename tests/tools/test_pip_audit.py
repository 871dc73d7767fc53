"""pip-audit: parsing golden JSON, locating requirements, and the offline path. No network."""

from __future__ import annotations

import os
import socket
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Repo

from gates.app import RunRequest, run
from gates.diff import Diff
from gates.gate import GateContext, GateError, GateOutcome
from gates.git import Revisions
from gates.model import GateResult, Severity, Status
from gates.runner import NoProgress
from gates.tools.pip_audit import (
    AuditGate,
    Declared,
    all_pinned,
    parse_audit_json,
    plan_audit,
    probe_target,
    pyproject_lines,
    requirement_lines,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "pip_audit"
REQUIREMENTS = "# pinned\nFlask == 0.12  # web\n\nrequests==2.19.0 \\\n    --hash=sha256:abc\n"


def test_parse_vulnerabilities_onto_declaring_lines() -> None:
    declared = requirement_lines("requirements.txt", REQUIREMENTS)
    assert declared == {
        "flask": Declared("requirements.txt", 2),
        "requests": Declared("requirements.txt", 4),
    }
    text = (GOLDEN / "vulnerable_requests_flask.json").read_text()
    findings, unaudited = parse_audit_json(text, declared, "requirements.txt")
    assert [(f.rule, f.line) for f in findings] == [
        ("PYSEC-2018-28", 4),
        ("PYSEC-2023-74", 4),
        ("PYSEC-2019-179", 2),
    ]
    first = findings[0]
    assert first.path == "requirements.txt" and first.severity is Severity.ERROR
    assert first.message == (
        "requests 2.19.0 has known vulnerability PYSEC-2018-28 "
        "(aliases: CVE-2018-18074, GHSA-x84v-xcm2-53pg); fixed in 2.20.0"
    )
    assert first.extra["package"] == "requests" and first.extra["fix_versions"] == "2.20.0"
    assert first.help_uri == "https://osv.dev/vulnerability/PYSEC-2018-28"
    assert unaudited == [
        "private-lib: Dependency not found on PyPI and could not be audited: private-lib (1.0)"
    ]


def test_undeclared_dependency_goes_to_the_fallback_file() -> None:
    text = (GOLDEN / "vulnerable_requests_flask.json").read_text()
    findings, _ = parse_audit_json(text, {}, "requirements.txt")
    assert {(f.path, f.line) for f in findings} == {("requirements.txt", None)}


def test_real_output_without_vulnerability_data() -> None:
    text = (GOLDEN / "real_not_found_on_index.json").read_text()
    findings, unaudited = parse_audit_json(text, {}, "requirements.txt")
    assert findings == [] and len(unaudited) == 2


@pytest.mark.parametrize("text", ["", "[]", "{}", "Traceback ..."])
def test_unreadable_output(text: str) -> None:
    with pytest.raises(ValueError):
        parse_audit_json(text, {}, "")


def test_pins_and_pyproject_lines() -> None:
    assert all_pinned(REQUIREMENTS)
    assert not all_pinned("requests>=2\n")
    assert not all_pinned("-e .\n")
    assert not all_pinned("# nothing\n")
    pyproject = "\n".join(
        [
            "[project]",
            "dependencies = [",
            '  "Jinja2>=3",',
            "  \"zope.interface ; python_version>'3'\",",
            "]",
        ]
    )
    found = pyproject_lines("pyproject.toml", pyproject, ["jinja2", "zope-interface", "absent"])
    assert found == {
        "jinja2": Declared("pyproject.toml", 3),
        "zope-interface": Declared("pyproject.toml", 4),
    }


def test_plan_prefers_requirements_then_pyproject_then_environment(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["rich>=13"]\n')
    (tmp_path / "requirements-dev.txt").write_text("pytest>=8\n")
    (tmp_path / "requirements.txt").write_text("requests==2.19.0\n")
    plan = plan_audit(tmp_path, ["pyproject.toml", "requirements-dev.txt", "requirements.txt"])
    assert plan.args == ("-r", "requirements-dev.txt", "-r", "requirements.txt")
    plan = plan_audit(tmp_path, ["requirements.txt"])
    assert plan.args == ("-r", "requirements.txt", "--no-deps", "--disable-pip")
    plan = plan_audit(tmp_path, ["pyproject.toml"])
    assert plan.args == (".",) and plan.declared == {"rich": Declared("pyproject.toml", 3)}
    assert plan_audit(tmp_path, ["setup.py"]).args == ()


def test_probe_target() -> None:
    assert probe_target("pypi", "", {}) == ("pypi.org", 443)
    assert probe_target("osv", "", {}) == ("api.osv.dev", 443)
    assert probe_target("pypi", "127.0.0.1:9", {}) == ("127.0.0.1", 9)
    assert probe_target("pypi", "", {"HTTPS_PROXY": "http://proxy.local:3128"}) == (
        "proxy.local",
        3128,
    )


def audit(repo: Repo, base: str) -> GateResult:
    gate = AuditGate()
    return run(RunRequest(path=repo.path, base=base), {gate.name: gate}, NoProgress()).report.gates[
        0
    ]


@pytest.mark.parametrize(("required", "status"), [(False, Status.SKIPPED), (True, Status.ERROR)])
def test_offline_is_skipped_unless_required(repo: Repo, required: bool, status: Status) -> None:
    base = repo.commit("base")
    # Nothing listens on the discard port of the loopback address: the probe fails at once.
    flag = "true" if required else "false"
    repo.write(".gates.toml", f'[audit]\nprobe = "127.0.0.1:9"\nrequired = {flag}\n')
    repo.write("requirements.txt", "requests==2.19.0\n")
    repo.commit("pr")
    result = audit(repo, base)
    assert result.status is status
    assert result.detail.startswith("offline: cannot reach 127.0.0.1:9")


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A local port that accepts connections, so the probe says online without any network."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


def _fake_pip_audit(tmp_path: Path, script: str) -> str:
    """A stand-in for gates' own interpreter: `-m pip_audit` runs `script`, anything else
    (the project's listing of its packages) the real interpreter."""
    fake = tmp_path / "fake-python"
    fake.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "-m" ] && [ "$2" = "pip_audit" ]; then\n{script}\nfi\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    fake.chmod(0o755)
    return str(fake)


def _audit_with(
    repo: Repo, tmp_path: Path, tool_python: str, port: int, **options: object
) -> GateOutcome:
    """The audit gate alone, with `tool_python` as gates' own interpreter."""
    ctx = GateContext(
        name="audit",
        root=repo.path,
        diff=Diff(Revisions(None, "h" * 40, None, ""), all_changed=True),
        files=tuple(p for p in ("requirements.txt",) if (repo.path / p).exists()),
        options={"probe": f"127.0.0.1:{port}", "service": "pypi", **options},
        python=str(options.pop("python", sys.executable)),
        tool_python=tool_python,
        scratch=tmp_path / "scratch",
        timeout_s=60.0,
        env=dict(os.environ),
    )
    ctx.scratch.mkdir(exist_ok=True)
    return AuditGate().run(ctx)


def test_findings_go_on_their_requirement_lines(
    repo: Repo, tmp_path: Path, listening_port: int
) -> None:
    # pip-audit prints the golden report and exits 1, as it does when it found vulnerabilities.
    fake = _fake_pip_audit(tmp_path, f"cat '{GOLDEN / 'vulnerable_requests_flask.json'}'; exit 1")
    repo.write("requirements.txt", "flask==0.12\nrequests==2.19.0\n")
    repo.commit()
    outcome = _audit_with(repo, tmp_path, fake, listening_port)
    by_rule = {f.rule: f for f in outcome.findings}
    assert (
        by_rule["PYSEC-2023-74"].line == 2 and by_rule["PYSEC-2023-74"].path == "requirements.txt"
    )
    assert by_rule["PYSEC-2019-179"].line == 1
    assert "private-lib" in outcome.detail
    assert outcome.metrics == {"dependencies_audited": 3, "dependencies_unaudited": 1}


def test_a_whole_run_uses_gates_pip_audit_offline_is_skipped(
    repo: Repo, listening_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the whole run with gates' real pip-audit: the probe says online, pip-audit then
    reaches nothing (a dead proxy), so the gate is skipped offline, never passed."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    base = repo.commit("base")
    repo.write("requirements.txt", "requests==2.19.0\n")
    repo.write(".gates.toml", f'[audit]\nprobe = "127.0.0.1:{listening_port}"\n')
    repo.commit("pr")
    result = audit(repo, base)
    assert result.status is Status.SKIPPED, result.detail
    assert result.tool_version.startswith("pip-audit ")


def test_no_dependency_audited_is_skipped_not_passed(
    repo: Repo, tmp_path: Path, listening_port: int
) -> None:
    fake = _fake_pip_audit(tmp_path, f"cat '{GOLDEN / 'real_not_found_on_index.json'}'; exit 0")
    repo.write("requirements.txt", "requests==2.19.0\nflask == 0.12\n")
    repo.commit()
    outcome = _audit_with(repo, tmp_path, fake, listening_port)
    assert outcome.status is Status.SKIPPED
    assert outcome.detail.startswith("vulnerability data unavailable: no dependency could be")


def test_nothing_declared_is_skipped_without_probing(repo: Repo) -> None:
    base = repo.commit("base")
    repo.write(".gates.toml", '[audit]\nprobe = "127.0.0.1:9"\nrequired = true\n')
    repo.write("a.py", "x = 1\n")
    repo.commit("pr")
    result = audit(repo, base)
    assert result.status is Status.SKIPPED and result.detail.startswith("nothing to audit")


def test_pip_audit_missing_from_gates_environment_names_the_fix(
    repo: Repo, tmp_path: Path, listening_port: int
) -> None:
    """gates' own interpreter lacks pip-audit: an error that says how to install it, not a
    parse failure."""
    fake = _fake_pip_audit(tmp_path, "echo 'No module named pip_audit' >&2; exit 1")
    repo.write("requirements.txt", "requests==2.19.0\n")
    repo.commit()
    with pytest.raises(GateError, match=r"pip_audit is not installed.*pip install pip-audit"):
        _audit_with(repo, tmp_path, fake, listening_port)


def test_environment_audits_the_projects_packages_not_gates(
    repo: Repo, tmp_path: Path, listening_port: int
) -> None:
    """`environment = true` audits the project's interpreter's packages, written out as pins
    (pip-audit itself runs in gates' environment); a local install is left out."""
    env = tmp_path / "project-env"
    venv.create(env, with_pip=False, symlinks=True)
    (site,) = env.glob("lib/python*/site-packages")
    for name, version, local in (("flask", "0.12", False), ("myproject", "1.0", True)):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        if local:
            (info / "direct_url.json").write_text('{"url": "file:///src", "dir_info": {}}')
    seen = tmp_path / "audited.txt"
    fake = _fake_pip_audit(
        tmp_path, f"cp \"$4\" '{seen}'; cat '{GOLDEN / 'vulnerable_requests_flask.json'}'; exit 1"
    )
    repo.write("a.py", "x = 1\n")
    repo.commit()
    outcome = _audit_with(
        repo, tmp_path, fake, listening_port, environment=True, python=str(env / "bin/python")
    )
    assert seen.read_text().split() == ["flask==0.12"]  # not ruff, not gates' own packages
    assert any(f.rule == "PYSEC-2019-179" for f in outcome.findings)
    assert f"the installed environment of {env / 'bin/python'}" in outcome.detail
