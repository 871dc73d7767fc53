"""A fake GitHub REST API for tests: the endpoints `gates publish` uses, GitHub-shaped JSON,
and the request schemas and limits of tests/schemas/github-rest-writes.json ENFORCED (422 with
GitHub's error body, 401 without a token).

Fault injection: N x 5xx, 403/429 rate limits with headers, read-only mode (403 "Resource not
accessible by integration" on writes), a connection reset before or after the write happened.
Every request is recorded (method, path, headers, body, answer) for assertions.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema

SCHEMAS = json.loads(
    (Path(__file__).resolve().parents[1] / "schemas/github-rest-writes.json").read_text("utf-8")
)
DOCS = "https://docs.github.com/rest"
INTEGRATION = "Resource not accessible by integration"
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)

# (method, path regex) -> operation name in the schema file (None = a read).
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p + r"\Z"), op)
    for m, p, op in [
        ("GET", r"/user", "user"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)", "repo"),
        ("POST", r"/repos/(?P<repo>[^/]+/[^/]+)/check-runs", "checks/create"),
        ("PATCH", r"/repos/(?P<repo>[^/]+/[^/]+)/check-runs/(?P<id>\d+)", "checks/update"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/check-runs/(?P<id>\d+)", "checks/get"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/commits/(?P<sha>\w+)/check-runs", "checks/list"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/commits/(?P<sha>\w+)", "commit"),
        (
            "POST",
            r"/repos/(?P<repo>[^/]+/[^/]+)/statuses/(?P<sha>\w+)",
            "repos/create-commit-status",
        ),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<n>\d+)", "issue"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<n>\d+)/comments", "comments/list"),
        (
            "POST",
            r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<n>\d+)/comments",
            "issues/create-comment",
        ),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)", "comments/get"),
        (
            "PATCH",
            r"/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)",
            "issues/update-comment",
        ),
    ]
]
WRITES = {op for op in SCHEMAS["operations"]}


class ApiFailure(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def validation_failed(op: str, resource: str, field_name: str, message: str = "") -> ApiFailure:
    error: dict[str, Any] = {"resource": resource, "code": "invalid", "field": field_name}
    if message:
        error = {"resource": resource, "code": "custom", "field": field_name, "message": message}
    return ApiFailure(
        422,
        {
            "message": "Validation Failed",
            "errors": [error],
            "documentation_url": f"{DOCS}#{op}",
            "status": "422",
        },
    )


def limit_problems(op: str, body: Any) -> list[str]:
    """Schema violations plus the `extra_limits` GitHub enforces beyond its schema."""
    schema = SCHEMAS["operations"][op]["request_schema"]
    problems = [e.message[:200] for e in jsonschema.Draft202012Validator(schema).iter_errors(body)]
    if not isinstance(body, dict):
        return problems or ["body is not an object"]
    if op.startswith("issues/") and len(body.get("body", "")) > 65536:
        problems.append("Body is too long (maximum is 65536 characters)")
    if op == "repos/create-commit-status" and len(body.get("description") or "") > 140:
        problems.append("description is too long (maximum is 140 characters)")
    output = body.get("output")
    for a in output.get("annotations", []) if isinstance(output, dict) else []:
        if len(a.get("title", "")) > 255:
            problems.append("annotation title is too long (maximum is 255 characters)")
        for key in ("message", "raw_details"):
            if len(a.get(key, "").encode("utf-8")) > 64 * 1024:
                problems.append(f"annotation {key} is too long (maximum is 64 KB)")
        has_cols = "start_column" in a or "end_column" in a
        if has_cols and a.get("start_line") != a.get("end_line"):
            problems.append("start_column and end_column need start_line == end_line")
    return problems


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    op: str
    status: int = 0
    at: float = 0.0


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    times: int
    status: int = 0  # 0 = reset the connection
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    after_write: bool = False  # reset only after the write was done
    delay: float = 0.0  # with status 0 and after_write: answer late instead of resetting


class FakeGitHub:
    """The state of the fake API; `url` is its base URL for PyGithub."""

    def __init__(self, login: str = "github-actions[bot]", user_endpoint_forbidden: bool = True):
        self.login = login
        self.user_endpoint_forbidden = user_endpoint_forbidden  # like an Actions/App token
        self.read_only = False
        self.max_per_page = 100
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.annotations: dict[int, list[dict[str, Any]]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self._next_id = 1000
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- fault injection -------------------------------------------------------------------
    def fail(self, method: str, path: str, status: int, times: int = 1, **kw: Any) -> None:
        self.faults.append(Fault(method, re.compile(path), times, status, **kw))

    def reset(self, method: str, path: str, times: int = 1, after_write: bool = False) -> None:
        self.faults.append(Fault(method, re.compile(path), times, 0, after_write=after_write))

    def slow(self, method: str, path: str, delay: float, times: int = 1) -> None:
        """Do the write, then answer only after `delay` seconds (a client timeout)."""
        fault = Fault(method, re.compile(path), times, 0, after_write=True, delay=delay)
        self.faults.append(fault)

    def _fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.path.search(path):
                fault.times -= 1
                return fault
        return None

    # --- seeding and views -----------------------------------------------------------------
    def new_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def add_comment(self, number: int, author: str, body: str) -> dict[str, Any]:
        comment = {"id": self.new_id(), "body": body, "user": _user(author)}
        self.comments.setdefault(number, []).append(comment)
        return comment

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.op in WRITES]

    def over_limit(self) -> list[str]:
        """Every recorded write that broke a schema or limit (must stay empty)."""
        return [
            f"{r.method} {r.path}: {p}" for r in self.writes() for p in limit_problems(r.op, r.body)
        ]

    # --- the API ---------------------------------------------------------------------------
    def handle(self, rec: Recorded, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if not rec.headers.get("authorization", "").strip():
            raise ApiFailure(
                401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
            )
        if rec.op in WRITES:
            if self.read_only:
                raise ApiFailure(
                    403, {"message": INTEGRATION, "documentation_url": DOCS, "status": "403"}
                )
            problems = limit_problems(rec.op, rec.body)
            if problems:
                resource = "CheckRun" if rec.op.startswith("checks") else "IssueComment"
                raise validation_failed(rec.op, resource, "body", "; ".join(problems))
        handler = getattr(self, "op_" + rec.op.replace("/", "_").replace("-", "_"))
        result: tuple[int, Any, dict[str, str]] = handler(rec, params)
        return result

    def op_user(self, rec: Recorded, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if self.user_endpoint_forbidden:
            raise ApiFailure(
                403, {"message": INTEGRATION, "documentation_url": DOCS, "status": "403"}
            )
        return 200, _user(self.login), {}

    def op_repo(self, rec: Recorded, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        return 200, {"id": 1, "full_name": p["repo"], "url": f"{self.url}/repos/{p['repo']}"}, {}

    def op_commit(self, rec: Recorded, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        url = f"{self.url}/repos/{p['repo']}/commits/{p['sha']}"
        return 200, {"sha": p["sha"], "url": url}, {}

    def op_issue(self, rec: Recorded, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        url = f"{self.url}/repos/{p['repo']}/issues/{p['n']}"
        return 200, {"id": int(p["n"]), "number": int(p["n"]), "url": url}, {}

    def _run_json(self, repo: str, run: dict[str, Any]) -> dict[str, Any]:
        out = dict(run)
        out["url"] = f"{self.url}/repos/{repo}/check-runs/{run['id']}"
        output = dict(run.get("output") or {})
        output.pop("annotations", None)
        output["annotations_count"] = len(self.annotations[run["id"]])
        out["output"] = output
        return out

    def op_checks_create(self, rec: Recorded, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        run = dict(rec.body, id=self.new_id(), repo=p["repo"])
        self.annotations[run["id"]] = list((rec.body.get("output") or {}).get("annotations", []))
        self.check_runs[run["id"]] = run
        return 201, self._run_json(p["repo"], run), {}

    def op_checks_update(self, rec: Recorded, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        run = self._get_run(p)
        output = rec.body.get("output") or {}
        self.annotations[run["id"]] += output.get("annotations", [])  # GitHub appends
        run.update({k: v for k, v in rec.body.items() if k != "output"})
        if output:
            run["output"] = {**(run.get("output") or {}), **output}
        return 200, self._run_json(p["repo"], run), {}

    def _get_run(self, p: dict[str, str]) -> dict[str, Any]:
        run = self.check_runs.get(int(p["id"]))
        if run is None or run["repo"] != p["repo"]:
            raise ApiFailure(404, {"message": "Not Found", "documentation_url": DOCS})
        return run

    def op_checks_get(self, rec: Recorded, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        return 200, self._run_json(p["repo"], self._get_run(p)), {}

    def op_checks_list(self, rec: Recorded, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        name = rec.query.get("check_name", [None])[0]
        runs = [
            self._run_json(p["repo"], r)
            for r in self.check_runs.values()
            if r["head_sha"] == p["sha"] and (name is None or r["name"] == name)
        ]
        return 200, {"total_count": len(runs), "check_runs": runs}, {}

    def op_repos_create_commit_status(
        self, rec: Recorded, p: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        status = dict(rec.body, id=self.new_id(), sha=p["sha"])
        self.statuses.append(status)
        return 201, status, {}

    def _comment_json(self, repo: str, c: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.url}/repos/{repo}/issues/comments/{c['id']}"
        return {**c, "url": url, "html_url": url, "created_at": "2026-01-01T00:00:00Z"}

    def op_comments_list(self, rec: Recorded, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        items = self.comments.get(int(p["n"]), [])
        per_page = min(int(rec.query.get("per_page", ["30"])[0]), self.max_per_page)
        page = int(rec.query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            base = f"{self.url}{rec.path}?per_page={per_page}"
            last = (len(items) + per_page - 1) // per_page
            headers["Link"] = (
                f'<{base}&page={page + 1}>; rel="next", <{base}&page={last}>; rel="last"'
            )
        return 200, [self._comment_json(p["repo"], c) for c in chunk], headers

    def op_issues_create_comment(
        self, rec: Recorded, p: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        comment = self.add_comment(int(p["n"]), self.login, rec.body["body"])
        return 201, self._comment_json(p["repo"], comment), {}

    def _find_comment(self, p: dict[str, str]) -> dict[str, Any]:
        for comments in self.comments.values():
            for c in comments:
                if c["id"] == int(p["id"]):
                    return c
        raise ApiFailure(404, {"message": "Not Found", "documentation_url": DOCS})

    def op_comments_get(self, rec: Recorded, p: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        return 200, self._comment_json(p["repo"], self._find_comment(p)), {}

    def op_issues_update_comment(
        self, rec: Recorded, p: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        comment = self._find_comment(p)
        comment["body"] = rec.body["body"]
        return 200, self._comment_json(p["repo"], comment), {}

    def all_comments(self) -> Iterator[dict[str, Any]]:
        for comments in self.comments.values():
            yield from comments


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10**6, "type": "Bot"}


def _handler(api: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def finish(self) -> None:
            with contextlib.suppress(OSError):  # the connection was reset on purpose
                super().finish()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            op, params = "unknown", {}
            for method, pattern, name in ROUTES:
                m = pattern.match(parts.path)
                if method == self.command and m:
                    op, params = name, m.groupdict()
                    break
            rec = Recorded(
                self.command,
                parts.path,
                parse_qs(parts.query),
                {k.lower(): v for k, v in self.headers.items()},
                body,
                op,
                at=time.monotonic(),
            )
            with api._lock:
                api.requests.append(rec)
                fault = api._fault(self.command, parts.path)
            if fault is not None and fault.status == 0 and not fault.after_write:
                return self._reset(rec)
            if fault is not None and fault.status:
                rec.status = fault.status
                return self._send(
                    fault.status, fault.body or {"message": "Server Error"}, fault.headers
                )
            try:
                if op == "unknown":
                    raise ApiFailure(404, {"message": "Not Found", "documentation_url": DOCS})
                with api._lock:
                    status, data, headers = api.handle(rec, params)
            except ApiFailure as exc:
                status, data, headers = exc.status, exc.body, exc.headers
            rec.status = status
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            elif fault is not None:  # the write happened, the answer is lost
                return self._reset(rec)
            self._send(status, data, headers)

        def _reset(self, rec: Recorded) -> None:
            rec.status = -1
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def _send(self, status: int, data: Any, headers: dict[str, str]) -> None:
            payload = json.dumps(data).encode("utf-8")
            with contextlib.suppress(OSError):  # the client gave up (timeout tests)
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = _serve

    return Handler
