"""The fake API refuses what GitHub refuses, so the limit checks of the other tests mean it."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from fake_github import FakeGitHub

AUTH = {"Authorization": "token t"}
NOTE = {
    "path": "a.py",
    "start_line": 1,
    "end_line": 1,
    "annotation_level": "warning",
    "message": "m",
}


def _post(
    api: FakeGitHub, path: str, body: Any, headers: dict[str, str] = AUTH
) -> requests.Response:
    return requests.post(f"{api.url}/repos/o/r{path}", json=body, headers=headers, timeout=5)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/issues/1/comments", {"body": "x" * 65537}),
        ("/statuses/abc", {"state": "success", "description": "d" * 141}),
        ("/statuses/abc", {"state": "green"}),
        ("/check-runs", {"name": "g", "head_sha": "abc", "status": "completed"}),
        (
            "/check-runs",
            {
                "name": "g",
                "head_sha": "abc",
                "output": {"title": "t", "summary": "s", "annotations": [NOTE] * 51},
            },
        ),
        (
            "/check-runs",
            {"name": "g", "head_sha": "abc", "output": {"title": "t", "summary": "s" * 65536}},
        ),
        (
            "/check-runs",
            {
                "name": "g",
                "head_sha": "abc",
                "output": {
                    "title": "t",
                    "summary": "s",
                    "annotations": [NOTE | {"end_line": 2, "start_column": 1, "end_column": 2}],
                },
            },
        ),
        (
            "/check-runs",
            {
                "name": "g",
                "head_sha": "abc",
                "output": {
                    "title": "t",
                    "summary": "s",
                    "annotations": [NOTE | {"title": "t" * 256}],
                },
            },
        ),
    ],
)
def test_over_limit_writes_get_422(path: str, body: Any) -> None:
    with FakeGitHub() as api:
        answer = _post(api, path, body)
        assert answer.status_code == 422
        assert answer.json()["message"] == "Validation Failed" and answer.json()["errors"]
        assert api.over_limit()


def test_no_token_gets_401_and_read_only_gets_403() -> None:
    with FakeGitHub() as api:
        answer = _post(api, "/statuses/abc", {"state": "success"}, headers={})
        assert answer.status_code == 401 and answer.json()["message"] == "Bad credentials"
        api.read_only = True
        answer = _post(api, "/statuses/abc", {"state": "success"})
        assert answer.status_code == 403
        assert answer.json()["message"] == "Resource not accessible by integration"


def test_patch_appends_annotations() -> None:
    with FakeGitHub() as api:
        body = {
            "name": "g",
            "head_sha": "abc",
            "status": "completed",
            "conclusion": "success",
            "output": {"title": "t", "summary": "s", "annotations": [NOTE] * 50},
        }
        run = _post(api, "/check-runs", body).json()
        patch = {"output": {"summary": "s", "annotations": [NOTE] * 7}}
        answer = requests.patch(run["url"], json=patch, headers=AUTH, timeout=5)
        assert answer.json()["output"]["annotations_count"] == 57
