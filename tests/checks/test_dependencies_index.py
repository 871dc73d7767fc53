"""The dependencies gate against a package index: a local fake of PyPI's JSON API on 127.0.0.1
(`/pypi/<name>/json`, PyPI's document shape), asked by the real HTTP client, and the whole gate
through `gates.app.run` on a real git repository."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import Repo

from gates.app import RunRequest, run
from gates.checks.dependencies import DependenciesGate
from gates.checks.deps.index import HttpIndex, Status
from gates.model import GateResult, Severity
from gates.model import Status as GateStatus
from gates.runner import NoProgress

SLOW_S = 2.0  # how long the fake index stalls a name marked slow (the client waits less)


def pypi_doc(name: str, *days: str) -> dict[str, Any]:
    """A project as PyPI's JSON API answers it (https://docs.pypi.org/api/json/)."""
    releases = {
        f"0.{i}.0": [
            {
                "filename": f"{name.replace('-', '_')}-0.{i}.0-py3-none-any.whl",
                "packagetype": "bdist_wheel",
                "upload_time": f"{day}T08:30:00",
                "upload_time_iso_8601": f"{day}T08:30:00.123456Z",
                "yanked": False,
                "digests": {"sha256": "0" * 64},
            }
        ]
        for i, day in enumerate(days)
    }
    info = {"name": name, "version": f"0.{len(days) - 1}.0", "summary": "a project"}
    return {"info": info, "last_serial": 1, "releases": releases, "urls": [], "vulnerabilities": []}


@dataclass
class FakeIndex:
    """Projects by name; `statuses` forces an HTTP status, `slow` stalls, `raw` sends a body."""

    url: str = ""
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    slow: set[str] = field(default_factory=set)
    raw: dict[str, bytes] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)


def _handler(index: FakeIndex) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            index.asked.append(self.path)
            parts = self.path.strip("/").split("/")
            name = parts[1] if len(parts) == 3 and parts[0] == "pypi" and parts[2] == "json" else ""
            if name in index.slow:
                time.sleep(SLOW_S)
            status = index.statuses.get(name, 200 if name in index.projects else 404)
            body = (
                index.raw.get(name)
                or json.dumps(index.projects.get(name, {"message": "Not Found"})).encode()
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            del args

    return Handler


@pytest.fixture
def fake_index() -> Iterator[FakeIndex]:
    index = FakeIndex(projects={"pip": pypi_doc("pip", "2008-10-24", "2024-03-03")})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(index))
    server.daemon_threads = True
    index.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield index
    server.shutdown()
    server.server_close()


def test_answers_found_missing_and_failing(fake_index: FakeIndex) -> None:
    fake_index.projects["old-lib"] = pypi_doc("old-lib", "2019-01-01", "2023-06-01")
    fake_index.statuses["flaky-lib"] = 503
    fake_index.raw["odd-lib"] = b"<html>maintenance</html>"
    fake_index.statuses["odd-lib"] = 200
    index = HttpIndex(fake_index.url + "/simple/", timeout_s=1.0)

    found = index.lookup("Old_Lib")
    assert found.status is Status.FOUND and found.info is not None
    assert found.info.releases == 2 and found.info.first_upload is not None
    assert found.info.first_upload.date().isoformat() == "2019-01-01"
    assert index.lookup("nowhere-lib").status is Status.MISSING
    flaky = index.lookup("flaky-lib")
    assert flaky.status is Status.UNCHECKED and "HTTP 503" in flaky.reason
    odd = index.lookup("odd-lib")
    assert odd.status is Status.UNCHECKED and "unreadable" in odd.reason
    index.lookup("old-lib")
    assert fake_index.asked.count("/pypi/old-lib/json") == 1, "one request per name"


def test_an_index_without_the_json_api_is_not_believed_on_404(fake_index: FakeIndex) -> None:
    del fake_index.projects["pip"]
    index = HttpIndex(fake_index.url, timeout_s=1.0)

    first, second = index.lookup("some-lib"), index.lookup("other-lib")

    assert first.status is second.status is Status.UNCHECKED
    assert "has no JSON API" in first.reason
    assert fake_index.asked.count("/pypi/pip/json") == 1, "the control name is asked once"


def test_a_stalled_index_is_unreachable_after_one_timeout(fake_index: FakeIndex) -> None:
    fake_index.slow.add("slow-lib")
    fake_index.projects["next-lib"] = pypi_doc("next-lib", "2019-01-01")
    index = HttpIndex(fake_index.url, timeout_s=0.3)

    started = time.monotonic()
    first = index.lookup("slow-lib")
    second = index.lookup("next-lib")

    assert first.status is Status.UNCHECKED and "timed out" in first.reason
    assert second.status is Status.UNCHECKED and second.reason == first.reason
    assert time.monotonic() - started < SLOW_S
    assert "/pypi/next-lib/json" not in fake_index.asked


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    answer = HttpIndex(f"http://127.0.0.1:{port}", timeout_s=1.0).lookup("anything")
    assert answer.status is Status.UNCHECKED and "unreachable" in answer.reason


BASE_PYPROJECT = """[project]
name = "svc"
version = "1.0"
dependencies = ["requests>=2.31"]

[tool.gates.dependencies]
online = "{online}"
index_url = "{url}"
timeout_s = 2
"""


def _run(repo: Repo, base: str) -> GateResult:
    gate = DependenciesGate()
    outcome = run(RunRequest(path=repo.path, base=base), {gate.name: gate}, NoProgress())
    return outcome.report.gates[0]


def _pr(repo: Repo, online: str, url: str) -> str:
    config = BASE_PYPROJECT.format(online=online, url=url)
    repo.write("pyproject.toml", config)
    repo.write("requirements-dev.txt", "pytest==8.1.1\n")
    base = repo.commit("base")
    added = '"requests>=2.31", "brand-new-lib>=0.1", "flask-jwt-simple-auth", "old-lib"'
    repo.write("pyproject.toml", config.replace('"requests>=2.31"', added))
    repo.write("requirements-dev.txt", "pytest==8.1.1\nreqeusts==2.31.0\n")
    repo.commit("add dependencies")
    return base


def test_a_pr_judged_against_the_fake_index_end_to_end(repo: Repo, fake_index: FakeIndex) -> None:
    fake_index.projects["brand-new-lib"] = pypi_doc("brand-new-lib", time.strftime("%Y-%m-%d"))
    fake_index.projects["old-lib"] = pypi_doc("old-lib", "2018-02-01", "2022-09-09")
    base = _pr(repo, "always", fake_index.url)

    result = _run(repo, base)

    found = sorted((f.path, f.line, f.rule, f.severity) for f in result.findings)
    assert found == [
        ("pyproject.toml", 4, "new-project", Severity.WARNING),
        ("pyproject.toml", 4, "not-on-index", Severity.ERROR),
        ("requirements-dev.txt", 2, "not-on-index", Severity.ERROR),
        ("requirements-dev.txt", 2, "typosquat", Severity.WARNING),
    ]
    assert result.status is GateStatus.FAIL and all(f.new for f in result.findings)
    assert "/pypi/requests/json" not in fake_index.asked, "popular names are not looked up"
    assert "/pypi/old-lib/json" in fake_index.asked


def test_offline_the_same_pr_gets_a_note_not_a_pass(repo: Repo, fake_index: FakeIndex) -> None:
    base = _pr(repo, "never", fake_index.url)

    result = _run(repo, base)

    notes = [f for f in result.findings if f.rule == "index-unchecked"]
    assert [(n.path, n.severity) for n in notes] == [
        ("pyproject.toml", Severity.NOTE),
        ("requirements-dev.txt", Severity.NOTE),
    ]
    assert "brand-new-lib, flask-jwt-simple-auth, old-lib" in notes[0].message
    assert {f.rule for f in result.findings} == {"index-unchecked", "typosquat"}
    assert fake_index.asked == []


def test_a_bad_option_is_a_config_error_naming_the_key(repo: Repo) -> None:
    repo.write("pyproject.toml", BASE_PYPROJECT.format(online="sometimes", url=""))
    base = repo.commit("base")
    repo.write("requirements.txt", "requests\n")
    repo.commit("head")
    from gates.errors import UsageError

    with pytest.raises(UsageError, match="online"):
        _run(repo, base)


def test_auto_asks_the_index_under_github_actions(
    repo: Repo, fake_index: FakeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_index.projects["old-lib"] = pypi_doc("old-lib", "2018-02-01", "2022-09-09")
    base = _pr(repo, "auto", "")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("PIP_INDEX_URL", fake_index.url + "/simple/")

    result = _run(repo, base)

    assert "/pypi/old-lib/json" in fake_index.asked, "PIP_INDEX_URL's JSON API was asked"
    assert "index-unchecked" not in {f.rule for f in result.findings}
    missing = sorted(f.message for f in result.findings if f.rule == "not-on-index")
    assert len(missing) == 3 and f"does not exist on {fake_index.url}" in missing[0]
